// The demo page's script: load an nst tfjs web export, stylize the picked image with TensorFlow.js, show the time.
// Query parameters: ?model=URL of model.json (default model/model.json), ?backend=webgl|wasm|cpu (default: tfjs' pick;
// wasm loads tfjs' WASM backend from vendor/wasm/, a fast CPU path where WebGL is missing or software-only).
// State for scripts and tests: <body data-state="loading|ready|busy|done|error">, window.nst = { model, lastRun }.
/* global tf */

const params = new URLSearchParams(location.search);
const modelUrl = new URL(params.get('model') || 'model/model.json', location.href).href;
const NETWORK_STRIDE = 4; // two stride-2 convs, two ×2 upsamplings

const $ = (id) => document.getElementById(id);
const setState = (state, message) => {
  document.body.dataset.state = state;
  if (message !== undefined) $('status').textContent = message;
};

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

async function onFile(model, file) {
  setState('busy', `stylizing ${file.name}…`);
  const canvas = await drawInput(file, Number($('max-size').value) || 1024);
  if (canvas.width < NETWORK_STRIDE || canvas.height < NETWORK_STRIDE) throw new Error(`${file.name} is too small (${canvas.width}×${canvas.height})`);
  const pixels = tf.browser.fromPixels(canvas);
  const start = performance.now();
  const out = stylizeTensor(model, pixels);
  await out.data(); // wait for the backend to finish: the time includes the GPU/WASM work, not just its scheduling
  const ms = performance.now() - start;
  $('output').width = canvas.width;
  $('output').height = canvas.height;
  await tf.browser.toPixels(out, $('output'));
  tf.dispose([pixels, out]);
  window.nst.lastRun = { ms, width: canvas.width, height: canvas.height, backend: tf.getBackend() };
  setState('done', `stylized ${canvas.width}×${canvas.height} in ${ms.toFixed(0)} ms (${tf.getBackend()} backend)`);
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

async function main() {
  if (params.get('backend')) await selectBackend(params.get('backend'));
  await tf.ready();
  const { loadNstModel } = await import(new URL('nst-layers.js', modelUrl).href);
  const model = await loadNstModel(tf, modelUrl);
  window.nst = { model, lastRun: undefined };
  const meta = (model.getUserDefinedMetadata && model.getUserDefinedMetadata()) || {};
  const quant = meta.nst && meta.nst.quantization !== 'none' ? `, ${meta.nst.quantization} weights` : '';
  $('file').disabled = false;
  setState('ready', `model loaded (${tf.getBackend()} backend${quant}): pick an image`);
  $('file').addEventListener('change', () => {
    const file = $('file').files[0];
    if (file) onFile(model, file).catch((e) => setState('error', `error: ${e.message}`));
  });
}

main().catch((e) => setState('error', `error: ${e.message} (model: ${modelUrl})`));
