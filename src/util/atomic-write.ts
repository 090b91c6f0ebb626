/**
 * Crash-safe writes: new content goes to a temporary sibling in the same directory (so the final rename never
 * crosses a file system), is fsynced, then renamed over the target, and the directory is fsynced so the rename
 * itself survives a power cut. A reader, or a crash at any moment, sees the complete old content or the complete
 * new one, never half a file.
 *
 *   writeFileAtomic(target, data)                  one file
 *   replaceDirAtomic(target, fill, canReplace)     a whole directory (the old one is renamed away, then deleted)
 *   writeFileDurable(file, data) / fsyncDir(dir)   the pieces, for what `fill` writes into its temp directory
 */
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { InputError } from '../errors';
import { pidAlive } from './pid';

/** `.NAME.tmp-PID-*`: a write in progress (or one whose process died). */
export const TEMP_MARK = '.tmp-';
/** `.NAME.old-PID-*`: the previous directory, renamed away while its replacement moves in. */
export const OLD_MARK = '.old-';

/** A fresh hidden sibling of `target`, named after this process so a later sweep can tell live writes from dead ones. */
export function siblingName(target: string, mark: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}${mark}${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Creates `file` (it must not exist), writes all of `data` (looping over short writes) and flushes it to disk. */
export function writeFileDurable(file: string, data: Uint8Array | string): void {
  const fd = fs.openSync(file, 'wx');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsync a directory so the renames / creations in it are durable (a no-op where directories cannot be opened). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot fsync directories; the rename itself is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Replaces (or creates) the file `target` with `data`; on any error the temp file is removed and `target` is untouched. */
export function writeFileAtomic(target: string, data: Uint8Array | string): void {
  const temp = siblingName(path.resolve(target), TEMP_MARK);
  try {
    writeFileDurable(temp, data);
    fs.renameSync(temp, target);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
  fsyncDir(path.dirname(path.resolve(target)));
}

/** Leftover siblings of `target` from writes that crashed (`.NAME.tmp-PID-*` / `.NAME.old-PID-*`). */
export function leftoverSiblings(target: string, mark: string): string[] {
  const parent = path.dirname(target);
  const prefix = `.${path.basename(target)}${mark}`;
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(prefix)).map((n) => path.join(parent, n));
}

/**
 * Removes what crashed writes of this target left (their process is gone): temp dirs always; backups of the old
 * content only while the target exists (otherwise a backup is the only copy, to be restored, not deleted).
 */
function removeStaleLeftovers(target: string): void {
  const dead = (dir: string) => {
    const pid = Number(/\.(?:tmp|old)-(\d+)-/.exec(dir)?.[1]);
    return Number.isFinite(pid) && !pidAlive(pid);
  };
  const stale = leftoverSiblings(target, TEMP_MARK).filter(dead);
  if (fs.existsSync(target)) stale.push(...leftoverSiblings(target, OLD_MARK).filter(dead));
  for (const dir of stale) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Creates the directory `target` atomically from what `fill(tempDir)` writes (use writeFileDurable). If `target`
 * exists, `canReplace(target)` must approve it (so a mistyped path never deletes an unrelated folder); a refusal is
 * thrown as an InputError. A crash leaves the old directory, the new one, or (between the two renames) no directory
 * at the target plus the complete old one under `.NAME.old-*` — never a half-written target.
 */
export async function replaceDirAtomic(
  target: string,
  fill: (tempDir: string) => Promise<void> | void,
  canReplace: (existing: string) => string | undefined,
): Promise<void> {
  const abs = path.resolve(target);
  const parent = path.dirname(abs);
  fs.mkdirSync(parent, { recursive: true });
  if (fs.existsSync(abs)) {
    const refusal = canReplace(abs);
    if (refusal) throw new InputError(refusal);
  }
  removeStaleLeftovers(abs);
  const temp = siblingName(abs, TEMP_MARK);
  fs.mkdirSync(temp);
  try {
    await fill(temp);
    fsyncDir(temp);
  } catch (e) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw e;
  }
  let old: string | undefined;
  try {
    if (fs.existsSync(abs)) {
      old = siblingName(abs, OLD_MARK);
      fs.renameSync(abs, old);
    }
    fs.renameSync(temp, abs);
  } catch (e) {
    // Put the old one back if it was moved away; drop the new one.
    if (old && !fs.existsSync(abs)) fs.renameSync(old, abs);
    fs.rmSync(temp, { recursive: true, force: true });
    throw e;
  }
  fsyncDir(parent);
  if (old) fs.rmSync(old, { recursive: true, force: true });
}
