/**
 * Turning command-line inputs (files, folders, quoted globs) into image files: the one expander of the tool, so
 * `nst stylize photos/` and `nst train --data photos/` see the same images in the same folder.
 *
 *   expandInputs(args) -> Promise<ExpandedInput[]>
 *
 * The rules:
 * - a folder contributes every image file below it, recursively (sub-folders included), sorted by path;
 * - a glob (fast-glob syntax, e.g. "shots/**\/*.png", quoted so the shell leaves it alone) contributes its matching
 *   image files, sorted;
 * - "image file" means one of IMAGE_EXTENSIONS, in any letter case; hidden files and folders (a leading '.', e.g.
 *   macOS's ._IMG_0001.jpg resource forks) are not looked at;
 * - a path named explicitly is taken as given, whatever its extension (sharp decodes by content);
 * - nothing is silently dropped: a folder named like an image (x.jpg/), a glob or folder with no images, and a path
 *   that does not exist each come back as an entry with a `problem`, for the caller to report by name.
 * Entries keep argument order; the same file reached twice (a folder and a glob over it) is listed once.
 */
import * as fs from 'fs';
import * as path from 'path';
import fg from 'fast-glob';

/** Extensions treated as images when scanning folders and globs: what sharp decodes here. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif', '.heic', '.heif'] as const;

export interface ExpandedInput {
  /** The file (as found: relative paths stay relative), or the argument / folder the problem is about. */
  path: string;
  /** For a file found inside a folder argument: that folder, so outputs can mirror the sub-folders below it. */
  base?: string;
  /** Set when this entry is not an image to read: why, in a few words (the caller adds the path). */
  problem?: string;
}

export function hasImageExtension(file: string): boolean {
  const ext = path.extname(file).toLowerCase();
  return (IMAGE_EXTENSIONS as readonly string[]).includes(ext);
}

const GLOB_OPTIONS = {
  // Directories are listed too (marked with a trailing '/') so one named like an image can be reported.
  onlyFiles: false,
  markDirectories: true,
  caseSensitiveMatch: false,
  followSymbolicLinks: true,
  dot: false,
} as const;

const extensionGlob = `{${IMAGE_EXTENSIONS.map((e) => e.slice(1)).join(',')}}`;

/** Matches of one fast-glob pattern (relative to cwd), sorted; folders named like images come back as problems. */
async function globEntries(pattern: string, cwd: string | undefined, base: string | undefined): Promise<ExpandedInput[]> {
  const matches = (await fg(pattern, { ...GLOB_OPTIONS, cwd })).sort();
  const out: ExpandedInput[] = [];
  for (const m of matches) {
    const isDir = m.endsWith('/');
    const rel = isDir ? m.slice(0, -1) : m;
    const file = cwd ? path.join(cwd, rel) : rel;
    if (!hasImageExtension(rel)) continue;
    if (isDir) out.push({ path: file, problem: 'is a folder named like an image, not an image' });
    else out.push(base ? { path: file, base } : { path: file });
  }
  return out;
}

export async function expandInputs(args: readonly string[]): Promise<ExpandedInput[]> {
  const out: ExpandedInput[] = [];
  const seen = new Set<string>();
  const add = (e: ExpandedInput) => {
    if (e.problem) return void out.push(e);
    const key = path.resolve(e.path);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(e);
  };
  for (const arg of args) {
    const stat = fs.statSync(arg, { throwIfNoEntry: false });
    if (stat?.isDirectory()) {
      const found = await globEntries(`**/*.${extensionGlob}`, arg, arg);
      if (!found.some((e) => !e.problem)) add({ path: arg, problem: `is a folder with no images (${IMAGE_EXTENSIONS.join(' ')}) in it` });
      found.forEach(add);
    } else if (stat) {
      add({ path: arg });
    } else if (fg.isDynamicPattern(arg)) {
      const found = await globEntries(arg, undefined, undefined);
      if (!found.some((e) => !e.problem)) add({ path: arg, problem: 'the pattern matches no image files' });
      found.forEach(add);
    } else {
      add({ path: arg, problem: 'no such file or folder' });
    }
  }
  return out;
}
