// nst serve refusing what it must, over loopback, and serving on afterwards: bad uploads (truncated JPEG, text, a
// PNG header claiming 100000×100000), bodies over the limit, requests beyond the concurrency limit (503 +
// Retry-After), the processing-time limit, and clients that hang up half-way through an upload.
import * as net from 'net';
import sharp from 'sharp';
import { bombPng, encodedPattern, makeTmpDir, postForm, postRaw, readJson, removeDir, startServer, tinyCheckpoint, truncatedJpeg } from './fixtures';
import type { NstServer } from '../../src/serve';

const dir = makeTmpDir('nst-serve-limits-');
let ckpt: string;
const servers: NstServer[] = [];

async function serve(options: Parameters<typeof startServer>[0]) {
  const s = await startServer({ model: [ckpt], ...options });
  servers.push(s.server);
  return s.url;
}

beforeAll(async () => {
  ckpt = await tinyCheckpoint(dir);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  removeDir(dir);
});

/** The server still stylizes: a small round trip that decodes at its size. */
async function expectStillServing(url: string) {
  const res = await postRaw(url, await encodedPattern(20, 12));
  expect(res.status).toBe(200);
  const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
  expect([meta.width, meta.height]).toEqual([20, 12]);
}

describe('bad uploads are one 4xx JSON each, and the server serves on', () => {
  let url: string;
  beforeAll(async () => {
    url = await serve({});
  });

  test('a truncated JPEG: 400 naming the image', async () => {
    const res = await postRaw(url, await truncatedJpeg(), { 'Content-Type': 'image/jpeg' });
    expect(res.status).toBe(400);
    expect(await readJson(res)).toEqual({ error: expect.stringMatching(/^image: cannot decode as an image \(.*premature end/i) });
    await expectStillServing(url);
  });

  test('text sent as an image: 415', async () => {
    const res = await postRaw(url, Buffer.from('this is not a picture, just words'), { 'Content-Type': 'image/jpeg' });
    expect(res.status).toBe(415);
    expect((await readJson(res)).error).toMatch(/^image: not an image nst can read/);
    await expectStillServing(url);
  });

  test('an empty body: 4xx JSON', async () => {
    const res = await postRaw(url, Buffer.alloc(0));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(typeof (await readJson(res)).error).toBe('string');
  });

  test('a 74-byte PNG whose header claims 100000×100000 is refused from its header: 413, limit maxPixels', async () => {
    const bomb = bombPng();
    expect(bomb.length).toBeLessThan(100);
    for (const res of [await postRaw(url, bomb), await postForm(url, { image: await encodedPattern(40, 40), style: bomb })]) {
      expect(res.status).toBe(413);
      const body = await readJson(res);
      expect(body.limit).toBe('maxPixels');
      expect(body.error).toMatch(/100000×100000 = 10000000000 pixels/);
    }
    // Nothing was decoded: the process did not grow by gigabytes.
    expect(process.memoryUsage().rss).toBeLessThan(8 * 1024 ** 3);
    await expectStillServing(url);
  });

  test('a body that is not an image type: 415 JSON', async () => {
    const res = await fetch(`${url}/v1/stylize`, { method: 'POST', body: '{"image": 1}', headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(415);
    expect((await readJson(res)).error).toMatch(/Content-Type: image\/\*/);
  });

  test('a multipart form without an image part: 400', async () => {
    const form = new FormData();
    form.append('model', 'tiny');
    const res = await fetch(`${url}/v1/stylize`, { method: 'POST', body: form });
    expect(res.status).toBe(400);
    expect((await readJson(res)).error).toMatch(/no 'image' file part/);
  });
});

describe('byte and pixel limits', () => {
  let url: string;
  beforeAll(async () => {
    // 16 KiB bodies, 64×64 pixels.
    url = await serve({ maxBodyMib: 1 / 64, maxPixels: 64 * 64 });
  });

  test('a raw body over --max-body-mib: 413 JSON, limit maxBodyMib', async () => {
    const res = await postRaw(url, Buffer.alloc(40 * 1024, 7));
    expect(res.status).toBe(413);
    expect(await readJson(res)).toEqual({ error: expect.stringMatching(/larger than this server takes/), limit: 'maxBodyMib' });
    await expectStillServing(url);
  });

  test('a multipart file over --max-body-mib: 413 JSON, limit maxBodyMib', async () => {
    const res = await postForm(url, { image: Buffer.alloc(40 * 1024, 7) });
    expect(res.status).toBe(413);
    expect((await readJson(res)).limit).toBe('maxBodyMib');
    await expectStillServing(url);
  });

  test('an image over --max-pixels: 413, limit maxPixels; one at the limit is stylized', async () => {
    const over = await postRaw(url, await encodedPattern(65, 64));
    expect(over.status).toBe(413);
    expect((await readJson(over)).limit).toBe('maxPixels');
    const at = await postRaw(url, await encodedPattern(64, 64));
    expect(at.status).toBe(200);
  });
});

test('over the processing-time limit: 408 JSON, limit timeout', async () => {
  const url = await serve({ timeout: 0.001 });
  const res = await postRaw(url, await encodedPattern(64, 64));
  expect(res.status).toBe(408);
  expect(await readJson(res)).toEqual({ error: expect.stringMatching(/longer than this server allows/), limit: 'timeout' });
});

test('requests beyond concurrency + queue get 503 with Retry-After; the others are stylized', async () => {
  const url = await serve({ concurrency: 1, queueLimit: 1 });
  const image = await encodedPattern(160, 120);
  const count = 10;
  const results = await Promise.all(
    Array.from({ length: count }, async () => {
      const res = await postRaw(url, image, {}, '?model=tiny');
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: res.status === 200 ? undefined : await readJson(res) };
    }),
  );
  const ok = results.filter((r) => r.status === 200);
  const busy = results.filter((r) => r.status === 503);
  expect(ok.length + busy.length).toBe(count);
  expect(ok.length).toBeGreaterThanOrEqual(2); // the one running and the one waiting
  expect(busy.length).toBeGreaterThanOrEqual(1);
  for (const b of busy) {
    expect(Number(b.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(b.body).toEqual({ error: expect.stringMatching(/^busy: /), limit: 'queueLimit' });
  }
  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toMatch(new RegExp(`^nst_http_requests_total\\{route="/v1/stylize",method="POST",status="503"\\} ${busy.length}$`, 'm'));
  await expectStillServing(url);
});

/** Sends a request's head and half its declared body on a raw socket, then destroys the socket. */
function hangUpHalfway(url: string, head: string, body: Buffer): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(head);
      socket.write(body.subarray(0, body.length >> 1), () => {
        // Give the server a moment to start reading, then vanish.
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    socket.on('error', reject);
  });
}

test('clients that hang up mid-upload (raw and multipart) cost nothing: the next request is answered', async () => {
  const url = await serve({});
  const image = await encodedPattern(96, 96);
  await hangUpHalfway(url, `POST /v1/stylize HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: ${image.length}\r\n\r\n`, image);
  const boundary = 'nst-test-boundary';
  const multipartBody = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`),
    image,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  await hangUpHalfway(
    url,
    `POST /v1/stylize HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${multipartBody.length}\r\n\r\n`,
    multipartBody,
  );
  await expectStillServing(url);
  const health = await (await fetch(`${url}/healthz`)).json();
  expect(health).toMatchObject({ status: 'ok', inFlight: 0, queued: 0 });
});

test('close() lets the request in flight finish, then stops listening', async () => {
  const { server, url } = await startServer({ model: [ckpt] });
  const pending = postRaw(url, await encodedPattern(256, 192));
  // Close once the request holds its slot (earlier, it would be a new request during close: 503).
  for (let i = 0; i < 5000 && server.status().inFlight === 0; i++) await new Promise((r) => setTimeout(r, 2));
  expect(server.status().inFlight).toBe(1);
  const closed = server.close();
  const res = await pending;
  expect(res.status).toBe(200);
  const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
  expect([meta.width, meta.height]).toEqual([256, 192]);
  await closed;
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
});
