// The demo page's arbitrary-style (AdaIN) mode, for exports of `nst export ADAIN_CKPT|adain --format tfjs`: the user
// picks ANY image as the style; its statistics are measured once (nst-adain.js' styleStats) and every photo, and every
// move of the alpha slider, reuses them. app.js loads this module only for such exports and calls, through the object
// loadArbitraryStyler returns: stylizePixels(pixels) -> int32 [H,W,3], missing() -> what is still to pick, describe()
// -> facts for window.nst.lastRun, dispose().
// Elements it adds: #style-file (file input), #alpha (range 0..1) with #alpha-value, #style-size (px, default 512 as
// nst stylize --style-size), and a "style" figure with the #style canvas (the style as measured).
// Same rules as nst's Node stylizeArbitrary: the style is resized so its longest side is the style size (shorter side
// at least 32 px before resizing), cropped top-left to a multiple of the encoder stride; the photo is reflect-padded
// bottom/right to that multiple and cropped back.
/* global tf */

const MIN_STYLE_SIDE = 32;
const $ = (id) => document.getElementById(id);

function addControls() {
  const controls = document.createElement('p');
  controls.className = 'controls';
  controls.id = 'arbitrary-controls';
  controls.innerHTML =
    '<label>style image <input id="style-file" type="file" accept="image/*"></label>' +
    '<label>alpha <input id="alpha" type="range" min="0" max="1" step="0.05" value="1"> <output id="alpha-value">1.00</output></label>' +
    '<label>style size <input id="style-size" type="number" value="512" min="32" step="8"> px</label>';
  document.querySelector('.controls').after(controls);
  const figure = document.createElement('figure');
  figure.id = 'style-figure';
  figure.innerHTML = '<canvas id="style"></canvas><figcaption>style</figcaption>';
  document.querySelector('.pair').prepend(figure);
  return () => {
    controls.remove();
    figure.remove();
  };
}

/** Draws the style file into the style canvas with its longest side at `size` (enlarging too, as nst does). */
async function drawStyle(file, size) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(`style ${file.name}: cannot decode as an image (pick a jpg, png, webp … file)`);
  }
  try {
    if (Math.min(bitmap.width, bitmap.height) < MIN_STYLE_SIDE) {
      throw new Error(`style ${file.name}: ${bitmap.width}×${bitmap.height} is too small (the shorter side must be at least ${MIN_STYLE_SIDE} px)`);
    }
    const scale = size / Math.max(bitmap.width, bitmap.height);
    const canvas = $('style');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return canvas;
  } finally {
    bitmap.close();
  }
}

/**
 * Loads the export at modelUrl (its nst-adain.js, beside model.json) and adds the style controls. `page.onStyleChange`
 * is called after a new style or alpha (app.js restyles the current photo); `page.setState(state, message)` and
 * `page.fail(error)` report as the rest of the page does.
 */
export async function loadArbitraryStyler(modelUrl, page) {
  const { loadNstAdainModel } = await import(new URL('nst-adain.js', modelUrl).href);
  const model = await loadNstAdainModel(tf, modelUrl);
  const removeControls = addControls();
  let style; // { name, width, height, stats }
  const alpha = () => Number($('alpha').value);

  async function pickStyle(file) {
    page.setState('busy', `measuring the style ${file.name}…`);
    const canvas = await drawStyle(file, Math.max(MIN_STYLE_SIDE, Number($('style-size').value) || 512));
    const stats = tf.tidy(() => model.styleStats(tf.expandDims(tf.cast(tf.browser.fromPixels(canvas), 'float32'), 0)));
    await stats.std.data();
    if (style) model.disposeStats(style.stats);
    style = { name: file.name, width: canvas.width, height: canvas.height, stats };
    page.setState('ready', `style ${file.name} (${canvas.width}×${canvas.height}) ready: pick a photo`);
    await page.onStyleChange();
  }

  const onStyleFile = () => {
    const file = $('style-file').files[0];
    if (file) pickStyle(file).catch(page.fail);
  };
  const onAlphaInput = () => {
    $('alpha-value').textContent = alpha().toFixed(2);
  };
  const onAlphaChange = () => {
    onAlphaInput();
    if (style) page.onStyleChange().catch(page.fail);
  };
  $('style-file').addEventListener('change', onStyleFile);
  $('alpha').addEventListener('input', onAlphaInput);
  $('alpha').addEventListener('change', onAlphaChange);

  return {
    kind: 'adain',
    metadata: model.metadata,
    /** What the user must still pick before a photo can be stylized, or undefined. */
    missing: () => (style ? undefined : 'a style image'),
    /** The photo's pixels ([H,W,3] int32 from tf.browser.fromPixels) in the picked style, clamped and rounded. */
    stylizePixels(pixels) {
      return tf.tidy(() => {
        const x = tf.expandDims(tf.cast(pixels, 'float32'), 0);
        const y = model.stylizePadded(x, style.stats, alpha());
        return tf.cast(tf.round(tf.clipByValue(tf.squeeze(y, [0]), 0, 255)), 'int32');
      });
    },
    describe: () => ({ style: style?.name, styleWidth: style?.width, styleHeight: style?.height, alpha: alpha() }),
    dispose() {
      $('style-file').removeEventListener('change', onStyleFile);
      if (style) model.disposeStats(style.stats);
      style = undefined;
      removeControls();
      model.dispose();
    },
  };
}
