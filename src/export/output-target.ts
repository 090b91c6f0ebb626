/**
 * Where an export goes: overwrite rules checked before any slow work, and writes that never leave a half-written
 * model behind (a temp sibling, fsynced, then renamed over the target).
 *
 *   - an existing output is replaced only with force;
 *   - even with force, a folder output replaces only an empty folder or a previous export (one with model.json),
 *     never an unrelated folder, and a file output never replaces a folder.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../errors';

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

const tempSuffix = () => `.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

function writeSynced(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function writeFileAtomic(target: string, data: Uint8Array): void {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}${tempSuffix()}`);
  try {
    writeSynced(temp, data);
    fs.renameSync(temp, target);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
}

/** Writes every file into a temp folder beside `target`, then swaps it in (the previous folder is removed after). */
export function writeFolderAtomic(target: string, files: Record<string, string | Uint8Array>): void {
  const parent = path.dirname(target);
  const temp = path.join(parent, `.${path.basename(target)}${tempSuffix()}`);
  const old = path.join(parent, `.${path.basename(target)}.old${tempSuffix()}`);
  fs.mkdirSync(temp);
  try {
    for (const [name, data] of Object.entries(files)) writeSynced(path.join(temp, name), data);
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(temp, target);
  } catch (e) {
    fs.rmSync(temp, { recursive: true, force: true });
    if (fs.existsSync(old) && !fs.existsSync(target)) fs.renameSync(old, target);
    throw e;
  }
  fs.rmSync(old, { recursive: true, force: true });
}
