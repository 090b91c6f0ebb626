// Perceptual losses of trained networks on held-out photos, with the training's own definitions and normalization
// (src/losses/perceptual.ts, normalized scale): per style layer divided by mean(G_style²), content by the mean square
// of the held-out photos' content features. Beside each network: a flat mid-grey image (what a fresh tanh/softclip/
// linear net outputs) and the photo itself (what a fresh residual net outputs), the two starting points to beat.
'use strict';
const path = require('path');
const ROOT = path.resolve(__dirname, '..', '..');
const lib = (p) => require(path.join(ROOT, 'dist', 'src', p));

/** The taps of nst train's defaults (style relu1_2/2_2/3_3/4_3, which the block 1-3 VGG resolves to relu3_4). */
const DEFAULT_TAPS = { styleLayers: ['relu1_2', 'relu2_2', 'relu3_3', 'relu3_4'], contentLayer: 'relu2_2' };

/**
 * Loads the loss network and the held-out photos once; `evaluate(checkpointDir)` then returns the mean losses.
 * `styleSize` (default `size`) and `stylePyramid` (default 1) measure the style term as nst train's options of those
 * names define it: a larger style image and coarser levels see larger shapes of the painting.
 */
async function heldoutEvaluator({ style, photos, size, lossWeights, styleLayers, contentLayer, sheetCount = 0, backend = 'native', styleSize = size, stylePyramid = 1 }) {
  const sharp = require('sharp');
  await lib('backend/select').selectBackend(backend, () => {});
  const { tf } = lib('backend/tf');
  const { decodeImage, pixelsToTensor } = lib('image/image-io');
  const { loadLossNetwork } = lib('nets/loss-network');
  const { styleTargetsFrom, contentLoss, styleLoss, contentScaleOf } = lib('losses/perceptual');
  const { extractPyramid, pyramidLayerWeights } = lib('losses/pyramid');
  const layerWeights = pyramidLayerWeights(styleLayers, stylePyramid);
  const { loadCheckpoint } = lib('checkpoint');
  const { styleCountOf, setStyleWeights, oneHot } = lib('nets/style-weights');
  const taps = [...new Set([...styleLayers, contentLayer])];
  const net = await loadLossNetwork({ net: 'vgg19', weights: lossWeights, taps, log: () => {} });
  const styleImg = await decodeImage(style, { resize: { width: styleSize, height: styleSize, fit: 'inside' } });
  const { channelMeanStd } = lib('image/color');
  const stylePalette = channelMeanStd(styleImg.rgb);
  const styleX = pixelsToTensor(styleImg);
  const styleFeats = extractPyramid(net, styleX, styleLayers, styleLayers, stylePyramid);
  const targets = styleTargetsFrom(styleFeats, true);
  tf.dispose([styleX, ...Object.values(styleFeats)]);
  const images = await Promise.all(photos.map((p) => decodeImage(p, { resize: { width: size, height: size, fit: 'cover' } })));
  const x = pixelsToTensor(images);
  const xContent = net.extract(x, [contentLayer])[contentLayer];
  const contentScale = contentScaleOf(xContent);

  /** Mean content / style (and per layer) of `y` [N,H,W,3] against the photos, one photo at a time. */
  const lossesOf = (y) => {
    const feats = extractPyramid(net, y, taps, styleLayers, stylePyramid);
    const c = contentLoss(feats[contentLayer], xContent, contentScale);
    const s = styleLoss(feats, targets, layerWeights);
    const out = { content: c.dataSync()[0], style: s.total.dataSync()[0], styleLayers: {} };
    for (const [k, v] of Object.entries(s.perLayer)) out.styleLayers[k] = v.dataSync()[0];
    tf.dispose([c, s.total, ...Object.values(s.perLayer), ...Object.values(feats)]);
    return out;
  };
  /**
   * How far the images' colours are from the style's palette: per image, the RMS over RGB channels of the mean's and
   * the std's differences from the style image's (0–255 levels), averaged over the images. A photo colour-matched to
   * the style (matchColorStats) scores 0.
   */
  const paletteDistanceOf = (y) => {
    const [n, h, w] = y.shape;
    const px = y.dataSync();
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const { mean, std } = channelMeanStd(px.subarray(i * h * w * 3, (i + 1) * h * w * 3));
      let sq = 0;
      for (let c = 0; c < 3; c++) sq += (mean[c] - stylePalette.mean[c]) ** 2 + (std[c] - stylePalette.std[c]) ** 2;
      sum += Math.sqrt(sq / 6);
    }
    return sum / n;
  };
  const round = (o) => JSON.parse(JSON.stringify(o, (_, v) => (typeof v === 'number' ? Number(v.toPrecision(4)) : v)));

  const grey = tf.fill(x.shape, 127.5);
  const baselines = { flatGrey: round({ ...lossesOf(grey), paletteDistance: paletteDistanceOf(grey) }), photo: round({ ...lossesOf(x), paletteDistance: paletteDistanceOf(x) }) };
  grey.dispose();

  return {
    baselines,
    /** Losses of the checkpoint's outputs (clamped to 0..255, as nst stylize writes them; a multi-style network's style 0); the first `sheetCount` as PNGs. */
    async evaluate(checkpointDir) {
      const { model } = await loadCheckpoint(checkpointDir);
      // A multi-style network is judged on its first style, the one these losses measure.
      if (styleCountOf(model) > 1) setStyleWeights(model, oneHot(0, styleCountOf(model)));
      const y = tf.tidy(() => tf.clipByValue(model.predict(x), 0, 255));
      const r = lossesOf(y);
      const paletteDistance = paletteDistanceOf(y);
      const mean = tf.tidy(() => tf.mean(y).dataSync()[0]);
      // Pixels at either end of the range in some channel: the saturated blobs of a tanh head.
      const saturated = tf.tidy(() => tf.mean(tf.cast(tf.any(tf.logicalOr(tf.lessEqual(y, 0.5), tf.greaterEqual(y, 254.5)), -1), 'float32')).dataSync()[0]);
      // For the tanh-type heads: the share of pre-tanh values with |x·inputScale| > 2, where tanh' < 0.07 (saturated).
      let saturatedPreTanh;
      const head = model.layers.find((l) => l.getClassName() === 'NstTanhImageOutput');
      if (head) {
        const inputScale = head.getConfig().inputScale ?? 1;
        const pre = tf.model({ inputs: model.inputs, outputs: head.input });
        saturatedPreTanh = tf.tidy(() => tf.mean(tf.cast(tf.greater(tf.abs(tf.mul(pre.predict(x), inputScale)), 2), 'float32')).dataSync()[0]);
      }
      const [, h, w] = y.shape;
      const pixels = y.dataSync();
      const images = [];
      for (let i = 0; i < sheetCount; i++) {
        const raw = Buffer.from(Uint8Array.from(pixels.subarray(i * h * w * 3, (i + 1) * h * w * 3), (v) => Math.round(v)));
        images.push(await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
      }
      y.dispose();
      model.dispose();
      return { ...round({ ...r, meanPixel: mean, saturatedShare: saturated, saturatedPreTanh, paletteDistance }), images };
    },
    dispose() {
      tf.dispose([x, xContent, ...Object.values(targets).map((t) => t.gram)]);
      net.dispose();
    },
  };
}

module.exports = { heldoutEvaluator, DEFAULT_TAPS };
