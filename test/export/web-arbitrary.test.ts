/**
 * The demo page with an arbitrary-style (AdaIN) export, for real: `nst export` of a random AdaIN decoder (embedded
 * VGG19 encoder) to a tfjs folder, web/serve.js, Debian's Chromium headless (playwright-core; WebGL on SwiftShader, as
 * in web.test.ts). The page shows its style picker; a PNG is set as the style and another as the photo, and the output
 * canvas must equal nst's own Node stylizeArbitrary() of the same files (clamped, rounded) within a stated number of
 * levels — on tfjs' cpu backend at alpha 1 and, after moving the slider, 0.5, and on its default WebGL backend.
 * Also: a photo picked before any style waits for one; a style image that is too small or does not decode is one error
 * line naming it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { saveAdainCheckpoint } from '../../src/checkpoint';
import { exportCheckpoint } from '../../src/export';
import { loadArbitraryModel, stylizeArbitrary, type ArbitraryModel } from '../../src/infer/arbitrary';
import { randomDecoder } from '../infer/arbitrary-fixtures';
import { randomImage } from './net-fixtures';
import { describeBrowser, launchChromium, openPage as openReadyPage, readCanvas, startWebServer, waitFor as waitForState, type WebServer } from './page-harness';

// cpu: tfjs' JS kernels as in Node; only a float rounding at x.5 may flip a level. WebGL on SwiftShader sums in its own
// order through float32 textures: measured 1 level (14 of 57600 values, docs/adain.md); one level spare.
const CPU_TOLERANCE = 1;
const WEBGL_TOLERANCE = 2;
const TIMEOUT = 600000;
const STYLE_SIZE = 64;

describeBrowser('arbitrary-style web page test')('arbitrary-style (AdaIN) web page in headless Chromium', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-web-adain-'));
  const files = { photo: path.join(tmp, 'photo.png'), style: path.join(tmp, 'style.png'), tiny: path.join(tmp, 'tiny.png'), junk: path.join(tmp, 'junk.jpg'), wide: path.join(tmp, 'wide.png') };
  let model: ArbitraryModel;
  let browser: Browser | undefined;
  let server: WebServer | undefined;
  const openPages: Page[] = [];

  async function png(file: string, width: number, height: number, seed: number) {
    const rgb = Buffer.from(Uint8Array.from(randomImage(height, width, seed), (v) => Math.round(v)));
    await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toFile(file);
  }

  beforeAll(async () => {
    const ckpt = path.join(tmp, 'ckpt');
    const decoder = randomDecoder({ width: 0.25 });
    await saveAdainCheckpoint(ckpt, { model: decoder, config: { width: 0.25 }, encoder: { arch: 'vgg19', preprocessing: 'caffe' } });
    decoder.dispose();
    await exportCheckpoint(ckpt, { format: 'tfjs', out: path.join(tmp, 'adain') });
    model = await loadArbitraryModel(ckpt);
    // Odd photo sides (not multiples of 4): the reflect padding and crop. The style's longest side is STYLE_SIZE, so
    // neither the page nor Node resamples it (a canvas and sharp resample differently); its 50 rows are cropped to 48.
    await png(files.photo, 42, 37, 7);
    await png(files.style, STYLE_SIZE, 50, 8);
    await png(files.tiny, 40, 20, 9);
    await png(files.wide, 160, 120, 10);
    fs.writeFileSync(files.junk, 'not a JPEG at all');
    server = await startWebServer({ modelDir: path.join(tmp, 'adain') });
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const p of openPages) await p.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
    model?.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function openPage(query: string) {
    const opened = await openReadyPage(browser!, `${server!.url}${query}`);
    openPages.push(opened.page);
    return opened;
  }

  const waitFor = (page: Page, logs: string[], state: string, timeout = TIMEOUT) => waitForState(page, logs, state, timeout);

  /** Waits until the page has stylized with this style and alpha (window.nst.lastRun), then for state done. */
  async function waitForRun(page: Page, logs: string[], style: string, alpha: number, width: number) {
    await page.waitForFunction(
      `window.nst.lastRun && window.nst.lastRun.style === ${JSON.stringify(style)} && window.nst.lastRun.alpha === ${alpha} && window.nst.lastRun.width === ${width}`,
      undefined,
      { timeout: TIMEOUT },
    );
    return waitFor(page, logs, 'done');
  }

  async function expectMatchesNode(page: Page, label: string, photo: string, alpha: number, tolerance: number) {
    const want = await stylizeArbitrary(model, photo, files.style, { styleSize: STYLE_SIZE, alpha, tile: 0 });
    const got = await readCanvas(page);
    expect([got.width, got.height]).toEqual([want.width, want.height]);
    let maxDiff = 0;
    let differing = 0;
    let [lo, hi] = [255, 0];
    for (let p = 0; p < got.width * got.height; p++) {
      for (let c = 0; c < 3; c++) {
        const w = Math.round(Math.min(255, Math.max(0, want.rgb[p * 3 + c])));
        const v = got.rgba[p * 4 + c];
        maxDiff = Math.max(maxDiff, Math.abs(v - w));
        if (v !== w) differing++;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(got.rgba[p * 4 + 3]).toBe(255);
    }
    process.stderr.write(
      `adain web page (${label}, ${got.width}×${got.height}, alpha ${alpha}): vs Node stylizeArbitrary max level diff ${maxDiff}, ${differing}/${got.width * got.height * 3} values differ; range ${lo}..${hi}\n`,
    );
    expect(hi - lo).toBeGreaterThan(50); // a real image, not a flat one
    expect(maxDiff).toBeLessThanOrEqual(tolerance);
  }

  /** Sets the slider as a user would: the value, then input and change events. */
  const setAlpha = (page: Page, alpha: number) =>
    page.evaluate(`(() => { const a = document.getElementById('alpha'); a.value = '${alpha}'; a.dispatchEvent(new Event('input')); a.dispatchEvent(new Event('change')); })()`);

  test(`cpu backend: the style picker stylizes the photo as nst does in Node (within ${CPU_TOLERANCE} level), at alpha 1 and after the slider moves to 0.5`, async () => {
    const { page, logs, status } = await openPage('?backend=cpu');
    expect(status).toMatch(/model adain loaded \(cpu backend\): pick a style image and a photo/);
    expect(await page.isVisible('#style-file')).toBe(true);
    expect(await page.inputValue('#style-size')).toBe('512');
    // A photo first: it waits for a style.
    await page.setInputFiles('#file', files.photo);
    expect(await waitFor(page, logs, 'ready')).toMatch(/pick a style image first, then photo\.png is stylized/);
    await page.fill('#style-size', String(STYLE_SIZE));
    await page.setInputFiles('#style-file', files.style);
    const done = await waitForRun(page, logs, 'style.png', 1, 42);
    expect(done).toMatch(/stylized 42×37 in \d+ ms \(cpu backend\)/);
    expect(await page.evaluate('[window.nst.lastRun.styleWidth, window.nst.lastRun.styleHeight]')).toEqual([64, 50]);
    await expectMatchesNode(page, 'cpu', files.photo, 1, CPU_TOLERANCE);

    await setAlpha(page, 0.5);
    await waitForRun(page, logs, 'style.png', 0.5, 42);
    expect(await page.textContent('#alpha-value')).toBe('0.50');
    await expectMatchesNode(page, 'cpu', files.photo, 0.5, CPU_TOLERANCE);

    // A style too small to measure: one line naming it; the page keeps the previous style's result.
    await page.setInputFiles('#style-file', files.tiny);
    await page.waitForSelector('body[data-state="error"]', { timeout: TIMEOUT });
    expect(await page.textContent('#status')).toMatch(/style tiny\.png: 40×20 is too small \(the shorter side must be at least 32 px\)/);
    // One that does not decode: named too.
    await page.setInputFiles('#style-file', files.junk);
    await page.waitForFunction(`document.getElementById('status').textContent.includes('junk.jpg')`, undefined, { timeout: TIMEOUT });
    expect(await page.textContent('#status')).toMatch(/^error: style junk\.jpg: cannot decode as an image/);
  }, TIMEOUT);

  test(`default backend (WebGL): a 160×120 photo as in Node (within ${WEBGL_TOLERANCE} levels)`, async () => {
    const { page, logs, status } = await openPage('');
    expect(status).toContain('(webgl backend)');
    await page.fill('#style-size', String(STYLE_SIZE));
    await page.setInputFiles('#style-file', files.style);
    await waitFor(page, logs, 'ready');
    await page.setInputFiles('#file', files.wide);
    const done = await waitForRun(page, logs, 'style.png', 1, 160);
    expect(done).toMatch(/stylized 160×120 in \d+ ms \(webgl backend\)/);
    await expectMatchesNode(page, 'webgl', files.wide, 1, WEBGL_TOLERANCE);
    await page.screenshot({ path: path.join(os.tmpdir(), 'nst-web-page-adain.png'), fullPage: true });
  }, TIMEOUT);
});
