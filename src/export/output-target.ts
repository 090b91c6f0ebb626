/**
 * Where an export goes: overwrite rules checked before any slow work, and writes that never leave a half-written
 * model behind (src/util/atomic-write.ts: a temp sibling, fsynced, renamed over the target, the folder fsynced).
 *
 *   - an existing output is replaced only with force;
 *   - even with force, a folder output replaces only an empty folder or a previous export (one with model.json),
 *     never an unrelated folder, and a file output never replaces a folder.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../errors';
import { replaceDirAtomic, writeFileDurable } from '../util/atomic-write';

export type OutputKind = 'file' | 'folder';

/** The absolute target, after checking it may be written. */
export function checkOutputTarget(out: string, kind: OutputKind, force: boolean, markerFile = 'model.json'): string {
  const target = path.resolve(out);
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat) {
    const parent = path.dirname(target);
    if (!fs.existsSync(parent)) throw new UsageError(`${out}: folder ${parent} does not exist; create it or choose another --out`);
    return target;
  }
  if (!force) throw new UsageError(`${out}: already exists; pass --force to replace it, or choose another --out`);
  if (kind === 'file' && stat.isDirectory()) throw new UsageError(`${out}: is a folder; give a file name such as style.onnx`);
  if (kind === 'folder') {
    if (!stat.isDirectory()) throw new UsageError(`${out}: is a file; a tfjs export is a folder — choose another --out`);
    const entries = fs.readdirSync(target);
    if (entries.length > 0 && !entries.includes(markerFile)) {
      throw new UsageError(`${out}: is a folder that is not an nst export (no ${markerFile}); --force only replaces previous exports`);
    }
  }
  return target;
}

/** Writes every file into a temp folder beside `target`, then swaps it in (the previous folder is removed after). */
export async function writeFolderAtomic(target: string, files: Record<string, string | Uint8Array>): Promise<void> {
  // checkOutputTarget has already decided that `target` may be replaced.
  await replaceDirAtomic(target, (temp) => {
    for (const [name, data] of Object.entries(files)) writeFileDurable(path.join(temp, name), data);
  }, () => undefined);
}
