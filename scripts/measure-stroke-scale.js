#!/usr/bin/env node
// Measures `nst stylize --stroke-scale` (docs/stylize.md, "Stroke scale"): the network at 1/scale with the photo's
// high-frequency luminance added back ('luminance', the default) against plain upsampling of the low-resolution
// result ('none'), and for AdaIN also against the other knob, a style image enlarged by the scale (--style-size ×
// scale). Scored at full size on public-domain held-out photos with the training's perceptual losses (normalized
// scale, VGG19 blocks 1-3: style relu1_2/2_2/3_3 against the style image at the photos' size, content relu2_2 against
// the photo) and a sharpness ratio (mean |Laplacian| of the luminance, result / photo). Writes
// docs/stylize/stroke-scale.json and the contact sheet docs/stylize/stroke-scale.jpg (held-out photos and results
// only: no style painting is shown).
//
//   npx tsc -p tsconfig.build.json && node scripts/measure-stroke-scale.js [--shared ../shared] [--size 384]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const sharp = require('sharp');
const { ROOT, nst, textCell, composeGrid } = require('./lib/sheet');

const lib = (p) => require(path.join(ROOT, 'dist', 'src', p));
const { describeCpu } = lib('backend/cpu-info');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const SHARED = path.resolve(arg('shared', path.join(ROOT, '..', 'shared')));
const SIZE = Number(arg('size', '384'));
const STYLE = path.join(SHARED, 'data', 'styles', 'udnie.jpg');
const ENGSTROM = path.join(SHARED, 'models', 'engstrom-fast-style', 'udnie');
const VGG = path.join(SHARED, 'models', 'vgg19-imagenet-block1-3', 'model');
const PHOTOS = ['beach1.jpg', 'city9.jpg', 'mountain1.jpg'].map((f) => path.join(SHARED, 'data', 'content', 'sample-pd', f));
const OUT = path.join(ROOT, 'out', 'stroke-scale');
const DOCS = path.join(ROOT, 'docs', 'stylize');
const STYLE_LAYERS = ['relu1_2', 'relu2_2', 'relu3_3'];
const CONTENT_LAYER = 'relu2_2';

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  fs.mkdirSync(DOCS, { recursive: true });
  const ckpt = path.join(OUT, 'udnie-engstrom');
  if (!fs.existsSync(path.join(ckpt, 'nst.json'))) nst(['import', ENGSTROM, '--out', ckpt]);
  const { selectBackend } = lib('backend/select');
  const backend = (await selectBackend('native', () => {})).name;
  const { tf } = lib('backend/tf');
  const { decodeImage, pixelsToTensor, encodeImage } = lib('image/image-io');
  const { loadLossNetwork } = lib('nets/loss-network');
  const { styleTargetsFrom, contentLoss, styleLoss, contentScaleOf } = lib('losses/perceptual');
  const { loadStyleModel } = lib('infer/model');
  const { stylize } = lib('infer/stylize');
  const { loadArbitraryModel, stylizeArbitrary, StyleStatsCache } = lib('infer/arbitrary');

  const taps = [...new Set([...STYLE_LAYERS, CONTENT_LAYER])];
  const net = await loadLossNetwork({ net: 'vgg19', weights: VGG, taps, log: () => {} });
  // Style targets at the photos' size, and at scale × it: bigger strokes mean matching the style image seen bigger.
  const targetsAt = async (side) => {
    const styleImg = await decodeImage(STYLE, { resize: { width: side, height: side, fit: 'inside' } });
    const sx = pixelsToTensor(styleImg);
    const sf = net.extract(sx, STYLE_LAYERS);
    const t = styleTargetsFrom(sf, true);
    tf.dispose([sx, ...Object.values(sf)]);
    return t;
  };
  const targets = await targetsAt(SIZE);
  const scaledTargets = { 1: targets, 2: await targetsAt(2 * SIZE), 3: await targetsAt(3 * SIZE) };

  const luma = (img) => Float32Array.from({ length: img.width * img.height }, (_, i) => 0.299 * img.rgb[3 * i] + 0.587 * img.rgb[3 * i + 1] + 0.114 * img.rgb[3 * i + 2]);
  const sharpness = (img) => {
    const y = luma(img);
    const w = img.width;
    let s = 0;
    let n = 0;
    for (let r = 1; r < img.height - 1; r++) for (let c = 1; c < w - 1; c++) {
      const i = r * w + c;
      s += Math.abs(4 * y[i] - y[i - 1] - y[i + 1] - y[i - w] - y[i + w]);
      n++;
    }
    return s / n;
  };
  const clamp = (img) => ({ ...img, rgb: img.rgb.map((v) => Math.min(255, Math.max(0, Math.round(v)))) });
  const score = (photo, result, scale) => {
    const r = clamp(result);
    const [x, y] = [pixelsToTensor(photo), pixelsToTensor(r)];
    const xc = net.extract(x, [CONTENT_LAYER])[CONTENT_LAYER];
    const f = net.extract(y, taps);
    const c = contentLoss(f[CONTENT_LAYER], xc, contentScaleOf(xc));
    const s = styleLoss(f, targets);
    const ss = styleLoss(f, scaledTargets[scale]);
    const out = { style: s.total.dataSync()[0], styleScaled: ss.total.dataSync()[0], content: c.dataSync()[0], sharpness: sharpness(r) / sharpness(photo) };
    tf.dispose([x, y, xc, c, s.total, ss.total, ...Object.values(s.perLayer), ...Object.values(ss.perLayer), ...Object.values(f)]);
    return out;
  };

  const perStyle = await loadStyleModel(ckpt);
  const adain = await loadArbitraryModel();
  const cache = new StyleStatsCache(adain);
  const methods = [
    { key: 'per-style ×1', scale: 1, run: (p) => stylize(perStyle.model, p, { network: perStyle.network }) },
    { key: 'per-style ×2 none', scale: 2, run: (p) => stylize(perStyle.model, p, { network: perStyle.network, strokeScale: 2, strokeDetail: 'none' }) },
    { key: 'per-style ×2 luminance', scale: 2, run: (p) => stylize(perStyle.model, p, { network: perStyle.network, strokeScale: 2 }) },
    { key: 'per-style ×3 none', scale: 3, run: (p) => stylize(perStyle.model, p, { network: perStyle.network, strokeScale: 3, strokeDetail: 'none' }) },
    { key: 'per-style ×3 luminance', scale: 3, run: (p) => stylize(perStyle.model, p, { network: perStyle.network, strokeScale: 3 }) },
    { key: 'AdaIN ×1', scale: 1, run: (p) => stylizeArbitrary(adain, p, STYLE, { cache, styleSize: 512 }) },
    { key: 'AdaIN ×2 none', scale: 2, run: (p) => stylizeArbitrary(adain, p, STYLE, { cache, styleSize: 512, strokeScale: 2, strokeDetail: 'none' }) },
    { key: 'AdaIN ×2 luminance', scale: 2, run: (p) => stylizeArbitrary(adain, p, STYLE, { cache, styleSize: 512, strokeScale: 2 }) },
    { key: 'AdaIN style image ×2 (style size 1024)', scale: 2, run: (p) => stylizeArbitrary(adain, p, STYLE, { cache, styleSize: 1024 }) },
  ];
  const results = {};
  const files = {};
  for (const [pi, file] of PHOTOS.entries()) {
    const photo = await decodeImage(file, { maxSize: SIZE });
    for (const m of methods) {
      const t0 = Date.now();
      const r = await m.run(photo);
      const s = { ...score(photo, r, m.scale), ms: Date.now() - t0 };
      (results[m.key] ??= []).push(s);
      const png = path.join(OUT, `${pi}-${m.key.replace(/[^a-z0-9]+/gi, '-')}.png`);
      await encodeImage(clamp(r), png);
      (files[m.key] ??= []).push(png);
      process.stderr.write(`${path.basename(file)} ${m.key}: ${JSON.stringify(s)}\n`);
    }
  }
  cache.dispose();
  adain.dispose();
  perStyle.dispose();
  const mean = (xs, k) => xs.reduce((a, x) => a + x[k], 0) / xs.length;
  const summary = Object.fromEntries(Object.entries(results).map(([k, xs]) => [k, { style: mean(xs, 'style'), styleScaled: mean(xs, 'styleScaled'), content: mean(xs, 'content'), sharpness: mean(xs, 'sharpness'), ms: mean(xs, 'ms') }]));
  const record = {
    command: 'node scripts/measure-stroke-scale.js',
    cpu: `${describeCpu()}, backend ${backend}, load average ${os.loadavg()[0].toFixed(1)}`,
    settings: { photos: PHOTOS.map((p) => path.basename(p)), maxSize: SIZE, style: 'udnie', perStyle: 'engstrom-fast-style/udnie (nst import)', adain: 'embedded AdaIN decoder', lossNetwork: `vgg19 blocks 1-3, style ${STYLE_LAYERS.join('/')} vs the style image at ${SIZE} (style) and at ${SIZE}·scale (styleScaled), content ${CONTENT_LAYER}` },
    summary,
    perPhoto: results,
  };
  fs.writeFileSync(path.join(DOCS, 'stroke-scale.json'), JSON.stringify(record, (_, v) => (typeof v === 'number' ? Number(v.toPrecision(4)) : v), 1) + '\n');

  // Contact sheet: one row per photo (the photo, then each method), labels on top.
  const CELL = 160;
  const keys = ['per-style ×1', 'per-style ×2 none', 'per-style ×2 luminance', 'per-style ×3 luminance', 'AdaIN ×1', 'AdaIN ×2 none', 'AdaIN ×2 luminance', 'AdaIN style image ×2 (style size 1024)'];
  const labels = [['photo'], ...keys.map((k) => k.replace('AdaIN style image ×2 (style size 1024)', 'AdaIN style ×2|(style size 1024)').split(/ (?=none|luminance)|\|/))];
  const rows = [{ height: 40, cells: labels.map((l) => ({ width: CELL, buffer: null, lines: l })) }];
  for (const cell of rows[0].cells) cell.buffer = await textCell(cell.lines, CELL, 40, 11);
  for (let pi = 0; pi < PHOTOS.length; pi++) {
    const cells = [{ width: CELL, buffer: await sharp(PHOTOS[pi]).resize(CELL, CELL, { fit: 'cover' }).png().toBuffer() }];
    for (const k of keys) cells.push({ width: CELL, buffer: await sharp(files[k][pi]).resize(CELL, CELL, { fit: 'cover' }).png().toBuffer() });
    rows.push({ height: CELL, cells });
  }
  await composeGrid(rows, path.join(DOCS, 'stroke-scale.jpg'));
  const f = (v) => Number(v).toFixed(3);
  process.stdout.write(['| method | style vs style image at the photo size ↓ | style vs style image × scale ↓ | content ↓ | sharpness (÷ photo) | ms |', '|---|---|---|---|---|---|',
    ...Object.entries(summary).map(([k, s]) => `| ${k} | ${f(s.style)} | ${f(s.styleScaled)} | ${f(s.content)} | ${Number(s.sharpness).toFixed(2)} | ${Math.round(s.ms)} |`)].join('\n') + `\n\n${record.cpu}\n`);
  net.dispose();
}
main().catch((e) => {
  process.stderr.write(`measure-stroke-scale: ${e.stack || e.message}\n`);
  process.exit(1);
});
