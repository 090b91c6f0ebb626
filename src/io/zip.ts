/** Reading zip archives (torch .pth files are zips of stored entries) through fflate, with clear errors. */
import { unzipSync } from 'fflate';

export class ZipError extends Error {}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** All entries (or those `want` accepts) as name -> bytes. */
export function readZipEntries(bytes: Uint8Array, want?: (name: string) => boolean): Map<string, Uint8Array> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, want ? { filter: (f) => want(f.name) } : undefined);
  } catch (e) {
    throw new ZipError(`not a readable zip archive (${(e as Error).message})`);
  }
  return new Map(Object.entries(files));
}
