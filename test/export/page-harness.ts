/**
 * What the web page tests share: Debian's Chromium headless (playwright-core) with WebGL on SwiftShader, the page
 * server of web/serve.js, opening the page with its console collected, waiting for the page's data-state, and reading
 * the output canvas. The page's own behaviour is what each test file asserts.
 */
import * as fs from 'fs';
import { chromium, Browser, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);

/** `describe` with Chromium, else a skip that says so on stderr (`what` names the suite). */
export function describeBrowser(what: string): jest.Describe {
  if (!hasChromium) process.stderr.write(`SKIPPED ${what}: ${CHROMIUM} not found (install it: apt-get install -y chromium)\n`);
  return hasChromium ? describe : describe.skip;
}

// WebGL in headless Chromium without a GPU: ANGLE on SwiftShader (Chromium 156 refuses software WebGL without
// --enable-unsafe-swiftshader). Forcing SwiftShader keeps the texture limit (8192) and the float32 maths the same on
// machines that have a GPU. The networking flags keep Chromium from calling out of this closed network.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const { startWebServer } = require('../../web/serve.js') as {
  startWebServer(o: { modelDir: string; port?: number; root?: string }): Promise<WebServer>;
};

export type Pixels = { width: number; height: number; rgba: Uint8Array };

/** Waits for data-state `state` (or error, which fails with the page's status and console). */
export async function waitFor(page: Page, logs: string[], state: string, timeout = 240000): Promise<string> {
  await page.waitForSelector(`body[data-state="${state}"], body[data-state="error"]`, { timeout });
  const status = (await page.textContent('#status')) ?? '';
  if ((await page.getAttribute('body', 'data-state')) !== state) throw new Error(`page: ${status}\n${logs.join('\n')}`);
  return status;
}

/** A new page at `url`, its console and page errors collected into `logs`, once it is ready. */
export async function openPage(browser: Browser, url: string, options: Parameters<Browser['newPage']>[0] = {}) {
  const page = await browser.newPage(options);
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(url);
  const status = await waitFor(page, logs, 'ready');
  return { page, logs, status };
}

/**
 * The output canvas's RGBA. Evaluated in the page (a string: this project's TypeScript config has no DOM types); the
 * pixels travel as base64, because Playwright serializes a plain array element by element (minutes for 2048×512).
 */
export async function readCanvas(page: Page): Promise<Pixels> {
  const { width, height, base64 } = (await page.evaluate(`(() => {
    const c = document.getElementById('output');
    const bytes = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return { width: c.width, height: c.height, base64: btoa(text) };
  })()`)) as { width: number; height: number; base64: string };
  return { width, height, rgba: Buffer.from(base64, 'base64') };
}
