/**
 * The demo page, for real: web/serve.js serves web/ and a folder of two exported tfjs nets on 127.0.0.1, Debian's
 * Chromium (headless, via playwright-core, WebGL on SwiftShader: largest texture 8192) loads the page, a PNG is set on
 * the file input, and the output canvas's pixels must equal what nst's own Node stylize() makes of the same file
 * (clamped, rounded) within a stated number of levels of 255 — on tfjs' cpu and wasm backends, and on its default
 * WebGL backend at 720×360 (default max size 1024) and 2048×512 (max size 2048), sizes at which tfjs' default WebGL
 * convolution asked for textures past 8192². Also: the PNG download, the style menu and ?model=.
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
import { maxAbsDiff } from '../helpers';
import { randomImage, randomNet } from './net-fixtures';
import { describeBrowser, launchChromium, openPage as openReadyPage, Pixels, readCanvas, startWebServer, waitFor } from './page-harness';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { resolveFile } = require('../../web/serve.js') as {
  resolveFile(urlPath: string, modelDir?: string, modelsDir?: string): string | undefined;
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
    expect(resolveFile('/models/%2e%2e/etc/passwd', undefined, '/tmp/ms')).toBeUndefined();
    expect(resolveFile('/models/a/%2e%2e/%2e%2e/x', undefined, '/tmp/ms')).toBeUndefined();
    expect(resolveFile('/model/%zz', '/tmp/m')).toBeUndefined(); // a malformed escape is a 404, not a crash
    expect(resolveFile('/models/a/model.json', undefined, '/tmp/ms')).toBe(path.join('/tmp/ms', 'a', 'model.json'));
    expect(resolveFile('/models/a/model.json', '/tmp/m')).toBeUndefined(); // no collection served
  });

  test('a folder of exports: models.json lists the sub-folders that hold a model.json, each served under /models/NAME/', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-serve-many-'));
    for (const name of ['udnie', 'candy']) {
      fs.mkdirSync(path.join(dir, name));
      fs.writeFileSync(path.join(dir, name, 'model.json'), `{"name":"${name}"}`);
    }
    fs.mkdirSync(path.join(dir, 'not-a-model'));
    const server = await startWebServer({ modelDir: dir });
    try {
      const list = await (await fetch(new URL('/models.json', server.url))).json();
      expect(list).toEqual([
        { name: 'candy', url: 'models/candy/model.json' },
        { name: 'udnie', url: 'models/udnie/model.json' },
      ]);
      expect(await (await fetch(new URL('/models/udnie/model.json', server.url))).text()).toBe('{"name":"udnie"}');
      expect((await fetch(new URL('/model/model.json', server.url))).status).toBe(404);
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// WebGL on SwiftShader computes in float32 textures (EXT_color_buffer_float), with its own summation order and
// tanh/rsqrt: measured up to WEBGL_TOLERANCE - 1 levels (see docs/export.md); WEBGL_TOLERANCE leaves one level spare.
const WEBGL_TOLERANCE = 2;
// SwiftShader runs WebGL on the CPU, and shares it here with other jobs: minutes, not seconds, per large image.
const WEBGL_TIMEOUT = 900000;

interface Fixture {
  png: string;
  width: number;
  height: number;
}

/** Level differences between the page's canvas (RGBA) and Node's float output (RGB, clamped and rounded here). */
function compareWithNode(got: Pixels, expected: Float32Array) {
  let maxDiff = 0;
  let differing = 0;
  let opaque = true;
  let lo = 255;
  let hi = 0;
  for (let p = 0; p < got.width * got.height; p++) {
    for (let c = 0; c < 3; c++) {
      const want = Math.round(Math.min(255, Math.max(0, expected[p * 3 + c])));
      const v = got.rgba[p * 4 + c];
      const d = Math.abs(v - want);
      if (d > 0) differing++;
      maxDiff = Math.max(maxDiff, d);
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    opaque &&= got.rgba[p * 4 + 3] === 255;
  }
  return { maxDiff, differing, values: got.width * got.height * 3, opaque, lo, hi };
}

describeBrowser('web page test')('web demo page in headless Chromium', () => {
  // alpha: width 0.25 (8 channels at full resolution); beta: width 0.5 (16). At 720×360 beta's 9×9 output conv
  // needed a 9165² texture in tfjs' default WebGL convolution, alpha's at 2048×512 one of 13033²: both past 8192.
  // (A full-width net fails the same way at 720×360, 12960², but takes minutes per image on SwiftShader.)
  const NETS = {
    alpha: { config: parseTransformerConfig({ width: 0.25, residualBlocks: 2 }), seed: 21 },
    beta: { config: parseTransformerConfig({ width: 0.5, residualBlocks: 1 }), seed: 22 },
  };
  type NetName = keyof typeof NETS;
  let tmp: string;
  let models: Record<NetName, tf.LayersModel>;
  const fixtures: Record<string, Fixture> = {};
  const nodeOutputs = new Map<string, Float32Array>();
  let browser: Browser | undefined;
  let server: { url: string; close(): Promise<void> } | undefined;

  async function makeFixture(name: string, width: number, height: number, seed: number): Promise<Fixture> {
    const png = path.join(tmp, `${name}.png`);
    const rgb = Buffer.from(Uint8Array.from(randomImage(height, width, seed), (v) => Math.round(v)));
    await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toFile(png);
    return { png, width, height };
  }

  /** nst's own stylize() in Node, in one pass (no tiling: the instance norms see the whole image, as the page's do). */
  async function nodeOutput(net: NetName, fixture: string): Promise<Float32Array> {
    const key = `${net}/${fixture}`;
    if (!nodeOutputs.has(key)) nodeOutputs.set(key, (await stylize(models[net], fixtures[fixture].png, { tile: 0 })).rgb);
    return nodeOutputs.get(key)!;
  }

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-web-'));
    const modelsDir = path.join(tmp, 'models');
    models = {} as Record<NetName, tf.LayersModel>;
    for (const [name, { config, seed }] of Object.entries(NETS) as [NetName, (typeof NETS)[NetName]][]) {
      models[name] = randomNet(config, seed);
      fs.mkdirSync(path.join(modelsDir, name), { recursive: true });
      for (const [file, data] of Object.entries(await transformerToTfjsWeb(models[name], config))) fs.writeFileSync(path.join(modelsDir, name, file), data);
    }
    // Odd height, width not a multiple of 4: the page's reflect padding and crop are exercised.
    fixtures.small = await makeFixture('small', 42, 37, 7);
    fixtures.photo = await makeFixture('photo', 720, 360, 8);
    fixtures.large = await makeFixture('large', 2048, 512, 9);
    server = await startWebServer({ modelDir: modelsDir });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    for (const m of Object.values(models ?? {})) m.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const openPages: Page[] = [];
  afterEach(async () => {
    // A page that timed out may still be computing: close it, or the next test's page waits behind it.
    for (const page of openPages.splice(0)) await page.close().catch(() => undefined);
  });

  async function openPage(query: string) {
    const opened = await openReadyPage(browser!, `${server!.url}${query}`, { acceptDownloads: true });
    openPages.push(opened.page);
    return opened;
  }

  /**
   * Picks the fixture and waits for the page to finish; says whether the spinner was displayed while busy. Recorded by
   * a MutationObserver, as the state changes: polling from here cannot see it, the page's main thread being held by
   * the backend's synchronous work (WebGL calls into SwiftShader) for most of the run.
   */
  async function stylizeOnPage(page: Page, logs: string[], fixture: Fixture): Promise<{ status: string; spinner: boolean }> {
    await page.evaluate(`(() => {
      window.spinnerWhileBusy = [];
      new MutationObserver(() => {
        if (document.body.dataset.state === 'busy') window.spinnerWhileBusy.push(getComputedStyle(document.getElementById('spinner')).display);
      }).observe(document.body, { attributes: true, attributeFilter: ['data-state'] });
    })()`);
    await page.setInputFiles('#file', fixture.png);
    const status = await waitFor(page, logs, 'done', WEBGL_TIMEOUT);
    const shown = (await page.evaluate('window.spinnerWhileBusy')) as string[];
    return { status, spinner: shown.length > 0 && shown.every((d) => d !== 'none') };
  }

  async function expectMatchesNode(page: Page, label: string, net: NetName, fixture: string, status: string, tolerance: number) {
    const got = await readCanvas(page);
    const { width, height } = fixtures[fixture];
    expect([got.width, got.height]).toEqual([width, height]);
    const cmp = compareWithNode(got, await nodeOutput(net, fixture));
    process.stderr.write(
      `web page (${label}, ${net}, ${width}×${height}): ${status}; vs Node: max level diff ${cmp.maxDiff}, ` +
        `${cmp.differing}/${cmp.values} values differ; output range ${cmp.lo}..${cmp.hi}\n`,
    );
    expect(cmp.opaque).toBe(true);
    expect(cmp.hi - cmp.lo).toBeGreaterThan(50); // a real image, not a flat one
    expect(cmp.maxDiff).toBeLessThanOrEqual(tolerance);
  }

  // cpu: tfjs' own JS kernels, as in Node: only a float rounding at x.5 may flip a level. wasm: XNNPACK kernels sum in
  // another order (~1e-4 relative), which can flip a rounded level, never more than one.
  test.each<[string, number]>([
    ['cpu', 1],
    ['wasm', 1],
  ])('stylizes a picked image on the %s backend as nst does in Node (within %d level of 255), showing the time', async (backend, tolerance) => {
    const { page, logs, status: loaded } = await openPage(`?backend=${backend}&model=models/alpha/model.json`);
    expect(loaded).toContain(`model alpha loaded (${backend} backend)`);
    expect(await page.textContent('#backend')).toBe(backend);
    const { status, spinner } = await stylizeOnPage(page, logs, fixtures.small);
    expect(spinner).toBe(true);
    expect(status).toMatch(new RegExp(`stylized 42×37 in \\d+ ms \\(${backend} backend\\)`));
    expect(await page.textContent('#time')).toMatch(/^\d+ ms$/);
    await expectMatchesNode(page, backend, 'alpha', 'small', status, tolerance);
    await page.close();
  });


  test('default backend (WebGL): a 720×360 image at the default max size, as in Node; the download is that PNG', async () => {
    const { page, logs, status: loaded } = await openPage('?model=models/beta/model.json');
    expect(loaded).toContain('model beta loaded (webgl backend)');
    expect(await page.inputValue('#max-size')).toBe('1024');
    expect(await page.getAttribute('#download', 'aria-disabled')).toBe('true');
    const { status, spinner } = await stylizeOnPage(page, logs, fixtures.photo);
    expect(spinner).toBe(true);
    expect(status).toMatch(/stylized 720×360 in \d+ ms \(webgl backend\)/);
    expect(await page.textContent('#backend')).toBe('webgl');
    expect(await page.isVisible('#spinner')).toBe(false);
    await expectMatchesNode(page, 'webgl', 'beta', 'photo', status, WEBGL_TOLERANCE);

    expect(await page.getAttribute('#download', 'aria-disabled')).toBe('false');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('photo-beta.png');
    const saved = path.join(tmp, 'downloaded.png');
    await download.saveAs(saved);
    const meta = await sharp(saved).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 720, 360]);
    const canvas = await readCanvas(page);
    const file = await sharp(saved).ensureAlpha().raw().toBuffer();
    expect(maxAbsDiff(file, canvas.rgba)).toBe(0); // lossless: the file is the canvas
    await page.screenshot({ path: path.join(os.tmpdir(), 'nst-web-page-webgl.png'), fullPage: true });
    await page.close();
  }, WEBGL_TIMEOUT);

  test('default backend (WebGL): a 2048×512 image at max size 2048, as in Node', async () => {
    const { page, logs } = await openPage('?model=models/alpha/model.json');
    await page.fill('#max-size', '2048');
    const { status, spinner } = await stylizeOnPage(page, logs, fixtures.large);
    expect(spinner).toBe(true);
    expect(status).toMatch(/stylized 2048×512 in \d+ ms \(webgl backend\)/);
    await expectMatchesNode(page, 'webgl', 'alpha', 'large', status, WEBGL_TOLERANCE);
    await page.close();
  }, WEBGL_TIMEOUT);

  test('WebGL instance-norm moments past the texture limit: tf.moments fails, the banded moments match the CPU', async () => {
    const { page } = await openPage('?model=models/alpha/model.json');
    // A lowered limit (tfjs reads WEBGL_MAX_TEXTURE_SIZE per allocation) stands in for a 2048×2048 photo of a
    // full-width net, whose 32-channel activations hold 2× the 8192² values one WebGL reduction can read.
    const result = (await page.evaluate(`(async () => {
      const { instanceMoments, reduceElementLimit } = await import('./models/alpha/nst-layers.js');
      const real = tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
      // Made, packed (by an elementwise op) and read back under the real limit: only the reductions see the low one.
      const random = tf.randomUniform([1, 96, 160, 24], -50, 150, 'float32', 5); // 368640 values > 512² / 2
      const x = tf.mul(random, 1);
      random.dispose();
      const values = Array.from(await x.data());
      tf.env().set('WEBGL_MAX_TEXTURE_SIZE', 512);
      try {
        let whole = 'ok';
        try { tf.tidy(() => tf.moments(x, [1, 2], true).mean.dataSync()); } catch (e) { whole = e.message; }
        const limit = reduceElementLimit(tf);
        const { mean, variance } = instanceMoments(tf, x, limit);
        const got = [Array.from(await mean.data()), Array.from(await variance.data())];
        tf.dispose([x, mean, variance]);
        return { real, limit, whole, got, values };
      } finally {
        tf.env().set('WEBGL_MAX_TEXTURE_SIZE', real);
      }
    })()`)) as { real: number; limit: number; whole: string; got: [number[], number[]]; values: number[] };
    await page.close();
    expect(result.real).toBe(8192);
    expect(result.limit).toBe((512 * 512) / 2);
    expect(result.whole).toMatch(/greater than WebGL maximum/);
    const x = tf.tensor4d(result.values, [1, 96, 160, 24]);
    const cpu = tf.moments(x, [1, 2], true);
    expect(maxAbsDiff(result.got[0], cpu.mean.dataSync())).toBeLessThan(1e-3); // mean ~50
    expect(maxAbsDiff(result.got[1], cpu.variance.dataSync())).toBeLessThan(0.5); // variance ~3300: float32 sums of 15360
    tf.dispose([x, cpu.mean, cpu.variance]);
  });

  test('the style menu lists the served models, loads the first, and switching restyles the photo and updates ?model=', async () => {
    const { page, logs, status: loaded } = await openPage('?backend=cpu');
    const options = (await page.evaluate(`Array.from(document.querySelectorAll('#model option'), (o) => [o.textContent, o.value, o.selected])`)) as [string, string, boolean][];
    expect(options).toEqual([
      ['alpha', 'models/alpha/model.json', true],
      ['beta', 'models/beta/model.json', false],
    ]);
    expect(loaded).toContain('model alpha loaded (cpu backend)');
    let { status } = await stylizeOnPage(page, logs, fixtures.small);
    await expectMatchesNode(page, 'cpu', 'alpha', 'small', status, 1);

    await page.selectOption('#model', { label: 'beta' });
    await page.waitForFunction(`window.nst.lastRun && window.nst.lastRun.model === 'beta'`, undefined, { timeout: 120000 });
    status = await waitFor(page, logs, 'done');
    await expectMatchesNode(page, 'cpu', 'beta', 'small', status, 1);
    expect(new URL(page.url()).searchParams.get('model')).toBe('models/beta/model.json');
    expect(new URL(page.url()).searchParams.get('backend')).toBe('cpu');
    await page.close();
  });
});
