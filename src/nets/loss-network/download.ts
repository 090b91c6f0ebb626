/**
 * Downloads one weight file into the cache: HTTP(S) with redirects, resume of a `.part` file via HTTP Range,
 * a hash check before the file gets its final name, and errors that say what to do next.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { InputError, NstError } from '../../errors';
import type { ExpectedHash } from './catalog';

export interface DownloadOptions {
  url: string;
  /** Final path; the data first goes to `${dest}.part`. */
  dest: string;
  expected: ExpectedHash;
  /** Called as bytes arrive: bytes on disk so far (including a resumed part) and the total when known. */
  onProgress?: (received: number, total: number | undefined) => void;
  /** Told about resumes and restarts. */
  log?: (line: string) => void;
  /** What the offline message tells the user to copy, e.g. the file name (default: basename of dest). */
  offlineHint?: string;
  /** Socket inactivity limit; default 30 s. */
  stallMs?: number;
}

export class DownloadError extends NstError {}

const NETWORK_DOWN = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT']);

export async function hashFile(file: string, algorithm: ExpectedHash['algorithm']): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A published prefix (torchvision's 8 hex digits) matches the start of the digest; a full digest must match exactly. */
export function hashMatches(actualHex: string, expected: ExpectedHash): boolean {
  return actualHex.toLowerCase().startsWith(expected.hex.toLowerCase()) && expected.hex.length > 0;
}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

function request(url: string, headers: Record<string, string>, stallMs: number, redirects = 5): Promise<Response> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { headers }, (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (redirects === 0) return reject(new DownloadError(`too many redirects fetching ${url}`));
        return resolve(request(new URL(res.headers.location, url).toString(), headers, stallMs, redirects - 1));
      }
      resolve({ status, headers: res.headers, body: res });
    });
    req.setTimeout(stallMs, () => req.destroy(Object.assign(new Error('no data'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });
}

function offlineMessage(o: DownloadOptions, err: NodeJS.ErrnoException): string {
  const host = (() => {
    try {
      return new URL(o.url).host;
    } catch {
      return o.url;
    }
  })();
  return (
    `cannot reach ${host} (${err.code}): no network? Download ${o.url} on a connected machine and copy it to ` +
    `${o.dest} (the cache folder, NST_HOME), or pass --loss-weights PATH to a VGG weight file you have`
  );
}

/** Writes the response body to `part`, appending or not; rejects (keeping the part) if the stream breaks. */
function writeBody(res: Response, part: string, append: boolean, start: number, total: number | undefined, o: DownloadOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(part, { flags: append ? 'a' : 'w' });
    let received = start;
    let failed = false;
    res.body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      o.onProgress?.(received, total);
    });
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      out.end(() =>
        reject(
          new DownloadError(
            `download of ${o.url} interrupted after ${received}${total ? ` of ${total}` : ''} bytes (${(e as NodeJS.ErrnoException).code ?? e.message}): ` +
              `run the same command again to resume from ${part}`,
          ),
        ),
      );
    };
    res.body.on('error', fail);
    res.body.on('aborted', () => fail(new Error('connection closed early')));
    res.body.pipe(out);
    out.on('finish', () => {
      if (failed) return;
      if (total !== undefined && received < total) return fail(new Error('connection closed early'));
      resolve(received);
    });
    out.on('error', (e) => reject(new InputError(`cannot write ${part}: ${e.message}`)));
  });
}

async function verifyAndFinish(part: string, o: DownloadOptions): Promise<void> {
  const actual = await hashFile(part, o.expected.algorithm);
  if (!hashMatches(actual, o.expected)) {
    fs.rmSync(part, { force: true });
    throw new DownloadError(
      `checksum mismatch for ${o.url}: ${o.expected.algorithm} ${actual} does not ${o.expected.hex.length < actual.length ? 'start with' : 'equal'} ` +
        `${o.expected.hex}; the download was removed — run again, and if it persists the file at that URL is not the expected one`,
    );
  }
  fs.renameSync(part, o.dest);
}

/** Downloads `url` to `dest` (resuming `dest.part`), checks the hash, returns dest. A verified existing dest is kept. */
export async function downloadFile(o: DownloadOptions): Promise<string> {
  const stallMs = o.stallMs ?? 30000;
  const part = `${o.dest}.part`;
  fs.mkdirSync(path.dirname(o.dest), { recursive: true });
  let have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  if (have > 0) o.log?.(`resuming ${path.basename(o.dest)} from byte ${have}`);
  let res: Response;
  try {
    res = await request(o.url, have > 0 ? { Range: `bytes=${have}-` } : {}, stallMs);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err instanceof NstError) throw err;
    if (err.code && NETWORK_DOWN.has(err.code)) throw new DownloadError(offlineMessage(o, err));
    throw new DownloadError(`cannot download ${o.url}: ${err.message}`);
  }
  if (res.status === 416 && have > 0) {
    // The part already holds everything the server has: check it as it is.
    res.body.resume();
    await verifyAndFinish(part, o);
    return o.dest;
  }
  if (res.status !== 200 && res.status !== 206) {
    res.body.resume();
    throw new DownloadError(
      `download of ${o.url} failed: HTTP ${res.status}${res.status === 404 ? ' (not found: the URL is wrong or the file was moved)' : ''}`,
    );
  }
  const resumed = res.status === 206 && have > 0 && String(res.headers['content-range'] ?? '').startsWith(`bytes ${have}-`);
  if (have > 0 && !resumed) {
    o.log?.(`server did not resume ${path.basename(o.dest)}: starting over`);
    have = 0;
  }
  const length = Number(res.headers['content-length']);
  const total = Number.isFinite(length) && res.headers['content-length'] !== undefined ? have + length : undefined;
  await writeBody(res, part, resumed, have, total, o);
  await verifyAndFinish(part, o);
  return o.dest;
}
