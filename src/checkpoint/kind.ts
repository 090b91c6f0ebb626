/**
 * What kind of network a checkpoint holds, from its nst.json `kind` (absent = 'transformer': every checkpoint written
 * before AdaIN existed is a per-style network). Read before the kind's own schema, so that handing one kind where the
 * other is expected is one clear error naming both, not a schema complaint about `network` fields.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { NST_JSON } from './format';

export const CHECKPOINT_KINDS = ['transformer', 'adain'] as const;
export type CheckpointKind = (typeof CHECKPOINT_KINDS)[number];

const DESCRIPTION: Record<CheckpointKind, string> = {
  transformer: "a per-style network (kind 'transformer', from nst train / nst import)",
  adain: "an AdaIN arbitrary-style decoder (kind 'adain')",
};

/** How to use a checkpoint of each kind with nst stylize, for the error's fix. */
const USE: Record<CheckpointKind, (dir: string) => string> = {
  transformer: (dir) => `nst stylize -m ${dir} INPUT`,
  adain: (dir) => `nst stylize --style PAINTING --model ${dir} INPUT`,
};

/** The `kind` of a parsed nst.json; InputError for a kind this nst does not know. */
export function kindOf(raw: unknown, file: string): CheckpointKind {
  const kind = (raw as { kind?: unknown } | null)?.kind ?? 'transformer';
  if (!CHECKPOINT_KINDS.includes(kind as CheckpointKind)) {
    throw new InputError(`${file}: unknown checkpoint kind ${JSON.stringify(kind)} (this nst reads ${CHECKPOINT_KINDS.join(', ')}) — upgrade nst`);
  }
  return kind as CheckpointKind;
}

/** The kind of the checkpoint in `dir`, or undefined when it has no readable nst.json (the caller's loader says why). */
export function readCheckpointKind(dir: string): CheckpointKind | undefined {
  const file = path.join(dir, NST_JSON);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  return kindOf(raw, file);
}

export function wrongKindError(dir: string, found: CheckpointKind, expected: CheckpointKind): InputError {
  return new InputError(`${dir}: this checkpoint is ${DESCRIPTION[found]}, but ${DESCRIPTION[expected]} is expected here — use it as \`${USE[found](dir)}\``);
}

/** Throws wrongKindError unless the parsed nst.json is of the `expected` kind. */
export function expectKind(raw: unknown, file: string, expected: CheckpointKind): void {
  const found = kindOf(raw, file);
  if (found !== expected) throw wrongKindError(path.dirname(file), found, expected);
}
