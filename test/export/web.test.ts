/**
 * The demo page, for real: web/serve.js serves web/ and an exported tfjs folder on 127.0.0.1, Debian's Chromium
 * (headless, via playwright-core) loads the page, a fixture PNG is set on the file input, and the output canvas's
 * pixels must equal what nst's own Node stylize() makes of the same file (clamped, rounded), within 1 level of 255,
 * on tfjs' cpu and wasm backends.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { chromium, Browser } from 'playwright-core';
import { transformerToTfjsWeb } from '../../src/export';
import { stylize } from '../../src/infer/stylize';
import { parseTransformerConfig } from '../../src/nets/transformer';
import { randomImage, randomNet } from './net-fixtures';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startWebServer, resolveFile } = require('../../web/serve.js') as {
  startWebServer(o: { modelDir: string; port?: number }): Promise<{ url: string; close(): Promise<void> }>;
  resolveFile(urlPath: string, modelDir?: string): string | undefined;
};

describe('web/serve.js', () => {
  test('serves the page, tfjs and the model folder on 127.0.0.1, and nothing outside them', async () => {
    const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-serve-'));
    fs.writeFileSync(path.join(modelDir, 'model.json'), '{}');
    const server = await startWebServer({ modelDir });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const get = async (p: string) => {
        const r = await fetch(new URL(p, server.url));
        return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
      };
      expect(await get('/')).toMatchObject({ status: 200, type: expect.stringMatching(/text\/html/) });
      expect((await get('/vendor/tf.min.js')).status).toBe(200);
      expect(await get('/model/model.json')).toMatchObject({ status: 200, body: '{}' });
      expect((await get('/model/missing.bin')).status).toBe(404);
      expect((await get('/serve.js')).status).toBe(404);
    } finally {
      await server.close();
      fs.rmSync(modelDir, { recursive: true, force: true });
    }
    // Encoded dot-dot segments reach the server un-normalized: they must not climb out of a root.
    expect(resolveFile('/model/%2e%2e/%2e%2e/etc/passwd', '/tmp/m')).toBeUndefined();
    expect(resolveFile('/%2e%2e/package.json', '/tmp/m')).toBeUndefined();
    expect(resolveFile('/model/weights.bin', '/tmp/m')).toBe(path.join('/tmp/m', 'weights.bin'));
  });
});

if (!hasChromium) {
  process.stderr.write(`SKIPPED web page test: ${CHROMIUM} not found (install it: apt-get install -y chromium)\n`);
}
const describeBrowser = hasChromium ? describe : describe.skip;

describeBrowser('web demo page in headless Chromium', () => {
  const [W, H] = [42, 37]; // odd height, width not a multiple of 4: the page's reflect padding and crop are exercised
  let tmp: string;
  let png: string;
  let node: { rgb: Float32Array };
  let browser: Browser | undefined;
  let server: { url: string; close(): Promise<void> } | undefined;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-web-'));
    const config = parseTransformerConfig({ width: 0.25, residualBlocks: 2 });
    const model = randomNet(config, 21);
    const modelDir = path.join(tmp, 'model');
    fs.mkdirSync(modelDir);
    for (const [name, data] of Object.entries(await transformerToTfjsWeb(model, config))) fs.writeFileSync(path.join(modelDir, name), data);
    png = path.join(tmp, 'fixture.png');
    const rgb = Buffer.from(Uint8Array.from(randomImage(H, W, 3), (v) => Math.round(v)));
    await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(png);
    node = await stylize(model, png);
    model.dispose();
    server = await startWebServer({ modelDir });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  // cpu: tfjs' own JS kernels, as in Node: only a float rounding at x.5 may flip a level. wasm: XNNPACK kernels sum in
  // another order (~1e-4 relative), which can flip a rounded level, never more than one.
  test.each<[string, number]>([
    ['cpu', 1],
    ['wasm', 1],
  ])('stylizes a picked image on the %s backend as nst does in Node (within %d level of 255), showing the time', async (backend, tolerance) => {
    const page = await browser!.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    await page.goto(`${server!.url}?backend=${backend}`);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 120000 });
    const loaded = (await page.textContent('#status')) ?? '';
    if (!loaded.includes(`model loaded (${backend} backend)`)) throw new Error(`page: ${loaded}\n${logs.join('\n')}`);

    await page.setInputFiles('#file', png);
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 120000 });
    const status = (await page.textContent('#status')) ?? '';
    if (!/stylized/.test(status)) throw new Error(`page: ${status}\n${logs.join('\n')}`);
    expect(status).toMatch(new RegExp(`stylized ${W}×${H} in \\d+ ms \\(${backend} backend\\)`));

    // Evaluated in the page (a string: this project's TypeScript config has no DOM types).
    const browserPixels = (await page.evaluate(`(() => {
      const c = document.getElementById('output');
      return { width: c.width, height: c.height, rgba: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data) };
    })()`)) as { width: number; height: number; rgba: number[] };
    expect([browserPixels.width, browserPixels.height]).toEqual([W, H]);
    let maxDiff = 0;
    let differing = 0;
    let lo = 255, hi = 0;
    for (let p = 0; p < W * H; p++) {
      for (let c = 0; c < 3; c++) {
        const expected = Math.round(Math.min(255, Math.max(0, node.rgb[p * 3 + c])));
        const got = browserPixels.rgba[p * 4 + c];
        const d = Math.abs(got - expected);
        if (d > 0) differing++;
        maxDiff = Math.max(maxDiff, d);
        lo = Math.min(lo, got);
        hi = Math.max(hi, got);
      }
      expect(browserPixels.rgba[p * 4 + 3]).toBe(255);
    }
    const shot = path.join(os.tmpdir(), `nst-web-page-${backend}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    await page.close();
    process.stderr.write(`web page (${backend}): ${status}; vs Node: max level diff ${maxDiff}, ${differing}/${W * H * 3} values differ; output range ${lo}..${hi}; screenshot ${shot}\n`);
    expect(hi - lo).toBeGreaterThan(50); // a real image, not a flat one
    expect(maxDiff).toBeLessThanOrEqual(tolerance);
  });
});
