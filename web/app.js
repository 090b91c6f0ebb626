// The demo page's script: list the served nst tfjs web exports, load one, stylize the picked image with TensorFlow.js,
// show the time and backend, offer the result as a PNG. An arbitrary-style (AdaIN) export is run by ./arbitrary.js,
// which adds its style picker and alpha slider (window.nst.model is then its styler, kind 'adain').
// Query parameters: ?model=URL of a model.json (default: the first of models.json, else model/model.json; switching
// styles in the menu rewrites it), ?backend=webgl|wasm|cpu (default: tfjs' pick, WebGL where there is one; wasm loads
// tfjs' WASM backend from vendor/wasm/, a fast CPU path where WebGL is missing or software-only).
// State for scripts and tests: <body data-state="loading|ready|busy|done|error">,
// window.nst = { model, modelUrl, models, lastRun: { ms, width, height, backend, model } }.
/* global tf */
import { attachStylePicker } from './multi-style.js';

const params = new URLSearchParams(location.search);
const NETWORK_STRIDE = 4; // two stride-2 convs, two ×2 upsamplings

const $ = (id) => document.getElementById(id);
const setState = (state, message) => {
  document.body.dataset.state = state;
  if (message !== undefined) $('status').textContent = message;
  const busy = state === 'loading' || state === 'busy';
  $('file').disabled = busy || !window.nst?.model;
  $('model').disabled = busy || $('model').options.length < 2;
};
const absolute = (url) => new URL(url, location.href).href;


/** Reflect-pads bottom/right to a multiple of 4 (as nst's Node stylize does), runs the net, crops back, clamps to 0–255. */
function stylizeTensor(model, pixels) {
  return tf.tidy(() => {
    const [h, w] = pixels.shape;
    const padH = (NETWORK_STRIDE - (h % NETWORK_STRIDE)) % NETWORK_STRIDE;
    const padW = (NETWORK_STRIDE - (w % NETWORK_STRIDE)) % NETWORK_STRIDE;
    let x = tf.expandDims(tf.cast(pixels, 'float32'), 0);
    if (padH || padW) x = tf.mirrorPad(x, [[0, 0], [0, padH], [0, padW], [0, 0]], 'reflect');
    const y = model.predict(x);
    const cropped = tf.slice(y, [0, 0, 0, 0], [1, h, w, 3]);
    return tf.cast(tf.round(tf.clipByValue(tf.squeeze(cropped, [0]), 0, 255)), 'int32');
  });
}

/** Draws the picked file into the input canvas, downscaled so its longest side is at most maxSize. */
async function drawInput(file, maxSize) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, maxSize / Math.max(bitmap.width, bitmap.height));
  const canvas = $('input');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return canvas;
}

/** Lets the browser paint (the spinner, the status) before work that may hold the main thread. */
const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

const modelName = () => $('model').selectedOptions[0]?.textContent || 'model';

function resetDownload() {
  const link = $('download');
  if (link.href) URL.revokeObjectURL(link.href);
  link.removeAttribute('href');
  link.setAttribute('aria-disabled', 'true');
}

/** Points the download link at the output canvas as a PNG named after the photo and the style. */
async function offerDownload(sourceName) {
  const blob = await new Promise((resolve) => $('output').toBlob(resolve, 'image/png'));
  const link = $('download');
  link.href = URL.createObjectURL(blob);
  link.download = `${sourceName.replace(/\.[^.]*$/, '')}-${modelName()}.png`;
  link.setAttribute('aria-disabled', 'false');
}

async function stylizeFile(file) {
  const { model } = window.nst;
  const missing = model.missing?.();
  if (missing) return setState('ready', `pick ${missing} first, then ${file.name} is stylized`);
  resetDownload();
  setState('busy', `stylizing ${file.name} with ${modelName()}…`);
  const canvas = await drawInput(file, Number($('max-size').value) || 1024);
  if (canvas.width < NETWORK_STRIDE || canvas.height < NETWORK_STRIDE) throw new Error(`${file.name} is too small (${canvas.width}×${canvas.height})`);
  const started = performance.now();
  const ticker = setInterval(() => {
    $('time').textContent = `${((performance.now() - started) / 1000).toFixed(0)} s…`;
  }, 500);
  let pixels;
  let out;
  try {
    await nextPaint();
    pixels = tf.browser.fromPixels(canvas);
    const start = performance.now();
    out = model.stylizePixels ? model.stylizePixels(pixels) : stylizeTensor(model, pixels);
    await out.data(); // wait for the backend to finish: the time includes the GPU/WASM work, not just its scheduling
    const ms = performance.now() - start;
    $('output').width = canvas.width;
    $('output').height = canvas.height;
    await tf.browser.toPixels(out, $('output'));
    const backend = tf.getBackend();
    window.nst.lastRun = { ms, width: canvas.width, height: canvas.height, backend, model: modelName(), ...model.describe?.() };
    clearInterval(ticker);
    $('time').textContent = `${ms.toFixed(0)} ms`;
    await offerDownload(file.name);
    setState('done', `stylized ${canvas.width}×${canvas.height} in ${ms.toFixed(0)} ms (${backend} backend)`);
  } finally {
    clearInterval(ticker);
    tf.dispose([pixels, out].filter(Boolean));
  }
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
}

async function selectBackend(name) {
  if (name === 'wasm') {
    const base = new URL('vendor/wasm/', location.href).href;
    await loadScript(`${base}tf-backend-wasm.min.js`);
    tf.wasm.setWasmPaths(base);
  }
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend cannot start in this browser`);
}

/** The models the server offers ([{ name, url }]); none when the page is served without web/serve.js' models.json. */
async function listModels() {
  try {
    const r = await fetch('models.json', { cache: 'no-store' });
    return r.ok ? await r.json() : [];
  } catch {
    return [];
  }
}

/**
 * Fills the style menu (option values: model.json URLs as listed, relative to the page); a ?model= that the server
 * does not list gets its own entry, named after its folder.
 */
function fillModelMenu(models, current) {
  const select = $('model');
  select.replaceChildren();
  const entries = models.map((m) => ({ name: m.name, url: m.url }));
  if (!entries.some((m) => absolute(m.url) === absolute(current))) {
    entries.unshift({ name: absolute(current).split('/').slice(-2, -1)[0] || 'model', url: current });
  }
  for (const m of entries) select.add(new Option(m.name, m.url, false, absolute(m.url) === absolute(current)));
  return entries;
}

/** True for an arbitrary-style (AdaIN) export: its model.json says kind 'adain'. */
async function isArbitraryStyle(modelUrl) {
  const r = await fetch(modelUrl, { cache: 'no-store' });
  if (!r.ok) throw new Error(`cannot load ${modelUrl} (HTTP ${r.status})`);
  return (await r.json()).userDefinedMetadata?.nst?.kind === 'adain';
}

async function loadModel(url) {
  setState('loading', `loading ${modelName()}…`);
  const previous = window.nst.model;
  window.nst.model = undefined;
  previous?.dispose();
  const modelUrl = absolute(url);
  window.nst.modelUrl = modelUrl;
  if (await isArbitraryStyle(modelUrl)) {
    const { loadArbitraryStyler } = await import('./arbitrary.js');
    window.nst.model = await loadArbitraryStyler(modelUrl, { setState, fail, onStyleChange: restyle });
    const quant = window.nst.model.metadata.quantization !== 'none' ? `, ${window.nst.model.metadata.quantization} weights` : '';
    setState('ready', `model ${modelName()} loaded (${tf.getBackend()} backend${quant}): pick a style image and a photo`);
    return;
  }
  const layers = await import(new URL('nst-layers.js', modelUrl).href);
  const model = await layers.loadNstModel(tf, modelUrl);
  window.nst.model = model;
  const meta = (model.getUserDefinedMetadata && model.getUserDefinedMetadata()) || {};
  attachStylePicker(model, meta.nst, layers.setStyleWeights, () => restyle().catch(fail));
  const quant = meta.nst && meta.nst.quantization !== 'none' ? `, ${meta.nst.quantization} weights` : '';
  setState('ready', `model ${modelName()} loaded (${tf.getBackend()} backend${quant}): pick an image`);
}

/** Stylizes the current photo again (after a new style, mix or alpha), if one is picked and a model is loaded. */
async function restyle() {
  const file = $('file').files[0];
  if (file && window.nst.model) await stylizeFile(file);
}

/** A style picked in the menu: load it, keep it in the address (?model=), and restyle the current photo with it. */
async function switchModel() {
  const query = new URLSearchParams(location.search);
  query.set('model', $('model').value);
  history.replaceState(null, '', `?${query}`);
  await loadModel($('model').value);
  await restyle();
}

const fail = (e) => setState('error', `error: ${e.message} (model: ${window.nst?.modelUrl || $('model').value || '?'})`);

async function main() {
  window.nst = { model: undefined, modelUrl: undefined, models: [], lastRun: undefined };
  if (params.get('backend')) await selectBackend(params.get('backend'));
  await tf.ready();
  $('backend').textContent = tf.getBackend();
  const models = await listModels();
  const first = params.get('model') || (models[0] && models[0].url) || 'model/model.json';
  window.nst.models = fillModelMenu(models, first);
  await loadModel(first);
  $('model').addEventListener('change', () => switchModel().catch(fail));
  $('file').addEventListener('change', () => {
    const file = $('file').files[0];
    if (file) stylizeFile(file).catch(fail);
  });
}

main().catch(fail);
