/**
 * The training loop's view of the checkpoint API (src/checkpoint): save atomically, load the model, read the
 * training state files back. One addition: a save killed between its two renames leaves the previous checkpoint
 * under `.checkpoint.old-PID-*` and nothing at the target; resuming puts that backup back in place (and says so),
 * so a kill -9 at any moment never costs more than the steps since the last checkpoint.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isCheckpointDir, loadAdainCheckpoint, loadCheckpoint, readAdainCheckpointMeta, readCheckpointMeta, readExtraFile, saveAdainCheckpoint, saveCheckpoint } from '../checkpoint';
import { InputError } from '../errors';
import { leftoverSiblings, OLD_MARK } from '../util/atomic-write';
import { pidAlive } from '../util/pid';
import type { AdainRecord } from './adain';
import type { CheckpointStore } from './deps';

/** Restores the backup of an interrupted save when the target is missing; returns a note when it did. */
export function recoverInterruptedSave(dir: string): string | undefined {
  const abs = path.resolve(dir);
  if (fs.existsSync(abs)) return undefined;
  for (const backup of leftoverSiblings(abs, OLD_MARK)) {
    const pid = Number(/\.old-(\d+)-/.exec(backup)?.[1]);
    if (pid === process.pid || (Number.isFinite(pid) && pidAlive(pid)) || !isCheckpointDir(backup)) continue;
    fs.renameSync(backup, abs);
    return `a save to ${abs} was interrupted; restored the previous checkpoint from ${path.basename(backup)}`;
  }
  return undefined;
}

type Log = (line: string) => void;
const stderrLog: Log = (l) => process.stderr.write(l + '\n');

/** What both kinds of store do alike: recover an interrupted save, read the training state files. */
function commonStore(log: Log): Pick<CheckpointStore<unknown>, 'exists' | 'readExtra'> {
  return {
    exists(dir) {
      const note = recoverInterruptedSave(dir);
      if (note) log(`nst: ${note}`);
      return isCheckpointDir(dir);
    },
    async readExtra(dir, name) {
      const buf = await readExtraFile(dir, name);
      if (!buf) throw new InputError(`${path.join(dir, name)}: missing; this checkpoint cannot be resumed (it holds no training state)`);
      return buf;
    },
  };
}

/** The store of arbitrary-style (AdaIN decoder) runs: the same layout, kind 'adain'. */
export function adainCheckpointStore(log: Log = stderrLog): CheckpointStore<AdainRecord> {
  return {
    ...commonStore(log),
    async readTrainingOptions(dir) {
      return readAdainCheckpointMeta(dir).training?.options;
    },
    async loadModel(dir) {
      return (await loadAdainCheckpoint(dir)).model;
    },
    async save(dir, payload) {
      await saveAdainCheckpoint(dir, {
        model: payload.model,
        config: payload.networkConfig,
        encoder: payload.encoder,
        training: payload.training,
        extraFiles: payload.extraFiles,
      });
    },
  };
}

export function checkpointStore(log: Log = stderrLog): CheckpointStore {
  return {
    ...commonStore(log),
    async readTrainingOptions(dir) {
      return readCheckpointMeta(dir).training?.options;
    },
    async loadModel(dir) {
      return (await loadCheckpoint(dir)).model;
    },
    async save(dir, payload) {
      await saveCheckpoint(dir, {
        model: payload.model,
        config: payload.networkConfig,
        meta: { training: { ...payload.training }, ...(payload.styleNames ? { styleNames: payload.styleNames } : {}) },
        extraFiles: payload.extraFiles,
      });
    },
  };
}
