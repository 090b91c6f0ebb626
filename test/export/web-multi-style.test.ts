/**
 * The demo page with a multi-style export, in headless Chromium on tfjs' cpu backend (as test/export/web.test.ts):
 * web/multi-style.js offers the model's styles and a mixing slider; the canvas equals nst's Node stylize() with the
 * same style index, then with the same mix, within one level of 255.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { tf } from '../../src/backend/tf';
import { transformerToTfjsWeb } from '../../src/export';
import { stylize } from '../../src/infer/stylize';
import { parseTransformerConfig } from '../../src/nets/transformer';
import { randomImage, randomNet } from './net-fixtures';
import { describeBrowser, launchChromium, readCanvas, startWebServer, waitFor as waitForState, type WebServer } from './page-harness';

/** cpu backend: tfjs' own JS kernels, as in Node; only a rounding at x.5 may flip a level. */
const TOLERANCE = 1;

describeBrowser('multi-style web page test')('web demo page: a multi-style model’s styles and mixing slider', () => {
  const config = parseTransformerConfig({ width: 0.25, residualBlocks: 1, styles: 3 });
  let model: tf.LayersModel;
  let tmp: string;
  let png: string;
  let browser: Browser | undefined;
  let server: WebServer | undefined;
  let page: Page | undefined;
  const logs: string[] = [];
  const [width, height] = [42, 37];

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-web-ms-'));
    model = randomNet(config, 31);
    const dir = path.join(tmp, 'models', 'three');
    fs.mkdirSync(dir, { recursive: true });
    const files = await transformerToTfjsWeb(model, config, { styleNames: ['candy.jpg', 'mosaic.jpg', 'udnie.jpg'] });
    for (const [file, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), data);
    png = path.join(tmp, 'small.png');
    await sharp(Buffer.from(Uint8Array.from(randomImage(height, width, 7), (v) => Math.round(v))), { raw: { width, height, channels: 3 } })
      .png()
      .toFile(png);
    server = await startWebServer({ modelDir: path.join(tmp, 'models') });
    browser = await launchChromium();
  }, 120000);
  afterAll(async () => {
    await page?.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
    model?.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const waitFor = (state: string) => waitForState(page!, logs, state);

  /** Runs `action` and waits for the restyle it starts to finish (lastRun is set again when the page is done). */
  async function restyledBy(action: () => Promise<unknown>): Promise<void> {
    await page!.evaluate('window.nst.lastRun = undefined');
    await action();
    await page!.waitForFunction('window.nst.lastRun !== undefined && document.body.dataset.state !== "busy"', undefined, { timeout: 240000 });
    await waitFor('done');
  }

  async function maxLevelDiff(styleIndexOrMix: { styleIndex?: number; mix?: number[] }): Promise<number> {
    const { rgba } = await readCanvas(page!);
    const want = (await stylize(model, png, { tile: 0, ...styleIndexOrMix })).rgb;
    let d = 0;
    for (let p = 0; p < width * height; p++) {
      for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(rgba[p * 4 + c] - Math.round(Math.min(255, Math.max(0, want[p * 3 + c])))));
    }
    return d;
  }

  test('offers the styles by name; style 2, then a 40% mix with style 0, restyle the photo as nst does in Node', async () => {
    page = await browser!.newPage();
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    await page.goto(`${server!.url}?backend=cpu`);
    await waitFor('ready');
    expect(await page.$$eval('#style-index option', (o) => o.map((e) => (e as unknown as { textContent: string }).textContent))).toEqual([
      '0: candy',
      '1: mosaic',
      '2: udnie',
    ]);
    await page.setInputFiles('#file', png);
    await waitFor('done');
    expect(await maxLevelDiff({ styleIndex: 0 })).toBeLessThanOrEqual(TOLERANCE);

    await restyledBy(() => page!.selectOption('#style-index', '2'));
    expect(await page.evaluate('window.nst.styleWeights')).toEqual([0, 0, 1]);
    expect(await maxLevelDiff({ styleIndex: 2 })).toBeLessThanOrEqual(TOLERANCE);

    // The styles differ where the page drew them: the comparisons are not of near-equal images.
    expect(await maxLevelDiff({ styleIndex: 0 })).toBeGreaterThan(10);
    await restyledBy(() => page!.selectOption('#style-mix-with', '0'));
    await restyledBy(() =>
      page!.$eval('#style-mix', (e) => {
        const el = e as unknown as { value: string; dispatchEvent(ev: unknown): void };
        el.value = '0.4';
        el.dispatchEvent(new (globalThis as unknown as { Event: new (t: string) => unknown }).Event('change'));
      }),
    );
    const weights = (await page.evaluate('window.nst.styleWeights')) as number[];
    expect(weights.map((w) => Math.round(w * 100) / 100)).toEqual([0.4, 0, 0.6]);
    expect(await page.textContent('#style-mix-value')).toBe('40%');
    expect(await maxLevelDiff({ mix: [0.4, 0, 0.6] })).toBeLessThanOrEqual(TOLERANCE);
  }, 600000);
});
