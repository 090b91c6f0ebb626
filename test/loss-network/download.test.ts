import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { downloadFile, DownloadError, hashMatches } from '../../src/nets/loss-network/download';
import { fetchWeights } from '../../src/nets/loss-network/fetch-weights';

// A local server on 127.0.0.1 (port 0) serving a 96 KiB fixture, with Range support, a route that drops the
// connection half-way through its first response, and 404s for everything else. Closed in afterAll.
const BODY = randomBytes(96 * 1024);
const SHA256 = createHash('sha256').update(BODY).digest('hex');

describe('weight download', () => {
  let server: http.Server;
  let base: string;
  const ranges: Array<string | undefined> = [];
  let cutServed = 0;
  let tmp: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const range = req.headers.range;
      if (req.url === '/flaky/fixture.bin') ranges.push(range);
      const served = req.url === '/flaky/fixture.bin' || /^\/files\/[\w.-]+\.(bin|pth)$/.test(req.url ?? '');
      if (!served) {
        res.writeHead(404).end('not here');
        return;
      }
      if (req.url === '/flaky/fixture.bin' && !range && cutServed++ === 0) {
        // Promise the whole body, send a third of it, then drop the connection.
        res.writeHead(200, { 'Content-Length': BODY.length });
        res.write(BODY.subarray(0, 32 * 1024), () => res.destroy());
        return;
      }
      const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
      if (m) {
        const start = Number(m[1]);
        if (start >= BODY.length) {
          res.writeHead(416).end();
          return;
        }
        res.writeHead(206, { 'Content-Length': BODY.length - start, 'Content-Range': `bytes ${start}-${BODY.length - 1}/${BODY.length}` });
        res.end(BODY.subarray(start));
        return;
      }
      res.writeHead(200, { 'Content-Length': BODY.length });
      res.end(BODY);
    });
    server.keepAliveTimeout = 100;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-dl-'));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('hash prefixes (torchvision style) and full digests both verify', () => {
    expect(hashMatches(SHA256, { algorithm: 'sha256', hex: SHA256.slice(0, 8) })).toBe(true);
    expect(hashMatches(SHA256, { algorithm: 'sha256', hex: SHA256 })).toBe(true);
    expect(hashMatches(SHA256, { algorithm: 'sha256', hex: '00000000' })).toBe(SHA256.startsWith('00000000'));
    expect(hashMatches(SHA256, { algorithm: 'sha256', hex: '' })).toBe(false);
  });

  it('downloads, reports progress, verifies SHA-256 and leaves no .part behind', async () => {
    const dest = path.join(tmp, 'ok', 'w.bin');
    const seen: number[] = [];
    await downloadFile({ url: `${base}/files/fixture.bin`, dest, expected: { algorithm: 'sha256', hex: SHA256 }, onProgress: (n) => seen.push(n) });
    expect(fs.readFileSync(dest).equals(BODY)).toBe(true);
    expect(fs.existsSync(`${dest}.part`)).toBe(false);
    expect(seen[seen.length - 1]).toBe(BODY.length);
  });

  it('an interrupted download keeps its .part and the next run resumes it with a Range request', async () => {
    const dest = path.join(tmp, 'resume', 'w.bin');
    const o = { url: `${base}/flaky/fixture.bin`, dest, expected: { algorithm: 'sha256' as const, hex: SHA256 } };
    await expect(downloadFile(o)).rejects.toThrow(/interrupted after \d+ of 98304 bytes.*run the same command again to resume/);
    const partial = fs.statSync(`${dest}.part`).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(BODY.length);
    const logs: string[] = [];
    await downloadFile({ ...o, log: (l) => logs.push(l) });
    expect(ranges).toEqual([undefined, `bytes=${partial}-`]);
    expect(logs[0]).toBe(`resuming w.bin from byte ${partial}`);
    expect(fs.readFileSync(dest).equals(BODY)).toBe(true);
    expect(fs.existsSync(`${dest}.part`)).toBe(false);
  });

  it('a wrong checksum removes the download and says so', async () => {
    const dest = path.join(tmp, 'bad', 'w.bin');
    const attempt = downloadFile({ url: `${base}/files/fixture.bin`, dest, expected: { algorithm: 'sha256', hex: 'deadbeef' } });
    await expect(attempt).rejects.toThrow(DownloadError);
    await expect(attempt).rejects.toThrow(/checksum mismatch .*does not start with deadbeef; the download was removed/);
    expect(fs.existsSync(dest)).toBe(false);
    expect(fs.existsSync(`${dest}.part`)).toBe(false);
  });

  it('a 404 is a clear error naming the URL', async () => {
    const dest = path.join(tmp, 'missing', 'w.bin');
    await expect(downloadFile({ url: `${base}/nothing.bin`, dest, expected: { algorithm: 'sha256', hex: SHA256 } })).rejects.toThrow(
      /download of http:\/\/127\.0\.0\.1:\d+\/nothing\.bin failed: HTTP 404 \(not found/,
    );
  });

  it('offline (DNS failure), the error says to copy the file into the cache or pass --loss-weights', async () => {
    const dest = path.join(tmp, 'offline', 'vgg16-397923af.pth');
    // .invalid never resolves (RFC 6761), so this fails in DNS without touching the network.
    await expect(
      downloadFile({ url: 'https://weights.invalid/vgg16-397923af.pth', dest, expected: { algorithm: 'sha256', hex: '397923af' } }),
    ).rejects.toThrow(/cannot reach weights\.invalid \((ENOTFOUND|EAI_AGAIN)\).*copy it to .*vgg16-397923af\.pth .*or pass --loss-weights PATH/);
  });

  it('fetchWeights takes its URL from NST_WEIGHTS_BASE_URL, checks the catalog hash, and keeps a verified file', async () => {
    const cacheDir = path.join(tmp, 'cache');
    process.env.NST_WEIGHTS_BASE_URL = `${base}/files/`;
    try {
      // The server's random bytes cannot carry torchvision's hash prefix: the catalog check must refuse them.
      await expect(fetchWeights('vgg19', { cacheDir, source: 'torchvision' })).rejects.toThrow(/checksum mismatch for .*\/files\/vgg19-dcbb9e9d\.pth: sha256 \w+ does not start with dcbb9e9d/);
      expect(fs.readdirSync(cacheDir)).toEqual([]);
      const first = await fetchWeights('vgg19', { cacheDir, source: 'torchvision', expected: { algorithm: 'sha256', hex: SHA256 } });
      expect(first).toMatchObject({ file: path.join(cacheDir, 'vgg19-dcbb9e9d.pth'), downloaded: true });
      expect(fs.readFileSync(first.file).equals(BODY)).toBe(true);
      const again = await fetchWeights('vgg19', { cacheDir, source: 'torchvision', expected: { algorithm: 'sha256', hex: SHA256 } });
      expect(again.downloaded).toBe(false);
      // Present but not the publisher's bytes: refused, not silently trusted.
      await expect(fetchWeights('vgg19', { cacheDir, source: 'torchvision' })).rejects.toThrow(/vgg19-dcbb9e9d\.pth exists but its sha256 .* does not match dcbb9e9d: delete it/);
      // The default source is Keras, named by its own file name.
      await expect(fetchWeights('vgg16', { cacheDir, baseUrl: `${base}/nowhere` })).rejects.toThrow(
        /nowhere\/vgg16_weights_tf_dim_ordering_tf_kernels_notop\.h5 failed: HTTP 404/,
      );
    } finally {
      delete process.env.NST_WEIGHTS_BASE_URL;
    }
  });
});
