// Small inputs for the nst serve tests: a tiny random per-style checkpoint, encoded pattern images, the bad uploads
// (a PNG whose header claims 100000×100000, a truncated JPEG, text) and a free-port server in this process.
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import * as zlib from 'zlib';
import { saveCheckpoint } from '../../src/checkpoint';
import { buildTransformer } from '../../src/nets/transformer';
import { createServer, type NstServer, type ServeOptionsInput } from '../../src/serve';
import { makeTmpDir, patternImage, toRawRgb } from '../infer/fixtures';

export { makeTmpDir };

/** A per-style checkpoint small enough to stylize 64² in milliseconds (random weights: any output will do). */
export async function tinyCheckpoint(dir: string): Promise<string> {
  const ckpt = path.join(dir, 'tiny');
  const config = { width: 0.125, residualBlocks: 1 };
  const model = buildTransformer(config);
  await saveCheckpoint(ckpt, { model, config });
  model.dispose();
  return ckpt;
}

export async function encodedPattern(width: number, height: number, format: 'png' | 'jpeg' = 'png', seed = 1): Promise<Buffer> {
  const img = sharp(toRawRgb(patternImage(width, height, seed)), { raw: { width, height, channels: 3 } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 90 }).toBuffer();
}

function crc32(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid-looking PNG of a few dozen bytes whose IHDR claims width×height (8-bit RGB): a decompression bomb's header. */
export function bombPng(width = 100000, height = 100000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(64))), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A noisy JPEG cut in half: its header is intact (the size reads fine), its scan data ends early. */
export async function truncatedJpeg(): Promise<Buffer> {
  const [w, h] = [128, 96];
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919) % 251;
  const full = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg().toBuffer();
  return full.subarray(0, full.length >> 1);
}

/** A server on 127.0.0.1, any free port. */
export async function startServer(options: ServeOptionsInput): Promise<{ server: NstServer; url: string }> {
  const server = await createServer({ host: '127.0.0.1', port: 0, styleSize: 64, ...options });
  const url = await server.listen();
  return { server, url };
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** POST an image as the raw body. */
export function postRaw(url: string, body: Buffer, headers: Record<string, string> = {}, query = ''): Promise<Response> {
  return fetch(`${url}/v1/stylize${query}`, { method: 'POST', body: new Uint8Array(body), headers: { 'Content-Type': 'image/png', ...headers } });
}

/** POST multipart: `image` (and optionally `style`) as files, the rest as text fields. */
export function postForm(url: string, parts: { image: Buffer; style?: Buffer; fields?: Record<string, string> }, headers: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(parts.image)], { type: 'image/png' }), 'photo.png');
  if (parts.style) form.append('style', new Blob([new Uint8Array(parts.style)], { type: 'image/png' }), 'style.png');
  for (const [k, v] of Object.entries(parts.fields ?? {})) form.append(k, v);
  return fetch(`${url}/v1/stylize`, { method: 'POST', body: form, headers });
}

/** A JSON reply: the refusals' `{error, limit}`, or /v1/models and /healthz. */
export type JsonReply = { error?: string; limit?: string } & Record<string, unknown>;
export async function readJson(res: Response): Promise<JsonReply> {
  return (await res.json()) as JsonReply;
}
