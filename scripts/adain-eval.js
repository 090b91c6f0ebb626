#!/usr/bin/env node
// The quality measurement of docs/adain.md: an AdaIN decoder against three yardsticks on held-out photos × styles,
// scored by nst's own perceptual loss (src/losses/perceptual.ts) with the loss network the AdaIN trainer loads:
//   adain     the decoder's output (stylizeArbitrary)
//   identity  the photo itself: content loss 0, the style loss of doing nothing
//   colour    each RGB channel of the photo given the style's mean and std (matchColorStats): AdaIN in pixel space
//   optimize  `nst optimize` (optimizeImage, L-BFGS) on a few of the pairs: the per-image quality reference
// Content loss at relu2_2, style loss (Gram) at relu1_1, relu2_1, relu3_1, on the normalized scale (each term divided
// by a constant of its target: the photo's mean squared relu2_2 feature, the style Gram's mean square), so numbers are
// comparable across photos and styles. Held-out and trained styles are reported apart. Also writes a contact sheet
// (styles × photos, AdaIN outputs); only public-domain paintings are shown, other styles are a grey box with the name.
//
// Runs on the built library: npx tsc -p tsconfig.build.json first.
//   node scripts/adain-eval.js --model /tmp/adain-ckpt [--photos beach1.jpg,city9.jpg,...] [--size 256]
//     [--held-out a.jpg,...] [--trained x.jpg,...] [--optimize-pairs 3] [--optimize-steps 100] [--out docs/adain]
//     [--name adain-1 (the decoder's name in the table and sheet)] [--backend native]
//     [--cache out/adain-eval (nst optimize results, reused: they do not depend on the decoder)]
//     [--doc docs/adain.md (also replace the text between its adain-eval:begin/end markers)]
// Prints the markdown to paste into docs/adain.md; writes OUT/eval.json, OUT/eval.md and OUT/sheet.jpg.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const sharp = require('sharp');
const { ROOT, textCell, composeGrid } = require('./lib/sheet');

const dist = (p) => path.join(ROOT, 'dist', 'src', p);
if (!fs.existsSync(dist('index.js'))) {
  process.stderr.write('adain-eval: dist/ is missing: run npx tsc -p tsconfig.build.json first\n');
  process.exit(2);
}
const { tf } = require(dist('backend/tf'));
const { selectBackend } = require(dist('backend/select'));
const { decodeImage, encodeImage } = require(dist('image/image-io'));
const { matchColorStats } = require(dist('image/color'));
const { loadLossNetworkFor } = require(dist('losses/loss-network'));
const { contentLoss, contentScaleOf, styleLayerLoss, styleTargetsFrom } = require(dist('losses/perceptual'));
const { loadArbitraryModel, stylizeArbitrary, StyleStatsCache } = require(dist('infer/arbitrary'));
const { optimizeImage } = require(dist('optimize'));

const SHARED = '/work/shared/data';
const PHOTOS_DIR = path.join(SHARED, 'content', 'sample-pd');
const PD_DIR = path.join(SHARED, 'paintings-pd');
const RESEARCH_DIR = path.join(SHARED, 'styles');
const STYLE_LAYERS = ['relu1_1', 'relu2_1', 'relu3_1'];
const CONTENT_LAYER = 'relu2_2';
const METHODS = ['adain', 'identity', 'colour', 'optimize'];

function parseArgs(argv) {
  const o = {
    model: undefined,
    photos: ['beach1.jpg', 'city9.jpg', 'mountain1.jpg', 'fields6.jpg'],
    size: 256,
    styleSize: undefined,
    heldOut: ['hokusai_bridge.jpg', 'renoir_filles_piano.jpg', 'arcimboldo_spring.jpg', 'the_scream.jpg', 'composition_vii.jpg'],
    trained: ['udnie.jpg', 'candy.jpg', 'mosaic.jpg'],
    optimizePairs: 3,
    optimizeSteps: 100,
    out: path.join(ROOT, 'docs', 'adain'),
    backend: undefined,
    name: undefined,
    cache: path.join(ROOT, 'out', 'adain-eval'),
    doc: undefined,
  };
  const list = (v) => v.split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = 2; i < argv.length; i += 2) {
    const [flag, v] = [argv[i], argv[i + 1]];
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 19).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    }
    if (v === undefined) throw new Error(`${flag}: missing value`);
    if (flag === '--model') o.model = path.resolve(v);
    else if (flag === '--photos') o.photos = list(v);
    else if (flag === '--size') o.size = Number(v);
    else if (flag === '--style-size') o.styleSize = Number(v);
    else if (flag === '--held-out') o.heldOut = list(v);
    else if (flag === '--trained') o.trained = list(v);
    else if (flag === '--optimize-pairs') o.optimizePairs = Number(v);
    else if (flag === '--optimize-steps') o.optimizeSteps = Number(v);
    else if (flag === '--out') o.out = path.resolve(v);
    else if (flag === '--backend') o.backend = v;
    else if (flag === '--name') o.name = v;
    else if (flag === '--cache') o.cache = path.resolve(v);
    else if (flag === '--doc') o.doc = path.resolve(v);
    else throw new Error(`unknown option ${flag} (see --help)`);
  }
  if (!o.model) throw new Error('--model AdaIN_CHECKPOINT is required (copy a running job\'s checkpoint first: it is rewritten every few minutes)');
  o.styleSize ??= o.size;
  return o;
}

/** A style file: public-domain paintings may be shown, ../shared/data/styles may not. */
function styleEntry(name, group) {
  const pd = path.join(PD_DIR, name);
  const file = fs.existsSync(pd) ? pd : path.join(RESEARCH_DIR, name);
  if (!fs.existsSync(file)) throw new Error(`style ${name}: not in ${PD_DIR} or ${RESEARCH_DIR}`);
  return { name, file, group, publicDomain: file === pd };
}

const clamp = (rgb) => rgb.map((v) => Math.min(255, Math.max(0, v)));

/** Scores images against one photo and one style: normalized content loss and Gram loss per style layer. */
class Scorer {
  constructor(lossNet, photo, style) {
    this.lossNet = lossNet;
    this.contentFeatures = tf.tidy(() => lossNet.extract(toTensor(photo), [CONTENT_LAYER])[CONTENT_LAYER]);
    this.contentScale = contentScaleOf(this.contentFeatures);
    const sf = tf.tidy(() => lossNet.extract(toTensor(style), STYLE_LAYERS));
    this.styleTargets = styleTargetsFrom(sf, true);
    tf.dispose(Object.values(sf));
  }

  score(image) {
    return tf.tidy(() => {
      const f = this.lossNet.extract(toTensor({ ...image, rgb: clamp(image.rgb) }), [CONTENT_LAYER, ...STYLE_LAYERS]);
      const layers = Object.fromEntries(STYLE_LAYERS.map((l) => [l, styleLayerLoss(f[l], this.styleTargets[l].gram, this.styleTargets[l].scale).dataSync()[0]]));
      return {
        content: contentLoss(f[CONTENT_LAYER], this.contentFeatures, this.contentScale).dataSync()[0],
        style: Object.values(layers).reduce((a, b) => a + b, 0),
        styleLayers: layers,
      };
    });
  }

  dispose() {
    this.contentFeatures.dispose();
    Object.values(this.styleTargets).forEach((t) => t.gram.dispose());
  }
}

function toTensor(img) {
  return tf.tensor4d(img.rgb, [1, img.height, img.width, 3]);
}

/** Mean of each score over the rows of one method and style group. */
function summarize(rows, method, group, pairKeys) {
  const sel = rows.filter((r) => r.method === method && (!group || r.group === group) && (!pairKeys || pairKeys.has(r.pair)));
  if (sel.length === 0) return undefined;
  const mean = (get) => sel.reduce((s, r) => s + get(r), 0) / sel.length;
  return {
    n: sel.length,
    content: mean((r) => r.content),
    style: mean((r) => r.style),
    styleLayers: Object.fromEntries(STYLE_LAYERS.map((l) => [l, mean((r) => r.styleLayers[l])])),
  };
}

const fmt = (x) => (x === undefined ? '—' : x === 0 ? '0' : x < 0.01 ? x.toExponential(1) : x.toFixed(3));

function markdown(result) {
  const { summary, setup } = result;
  const label = { adain: 'AdaIN decoder', identity: 'photo unchanged', colour: 'per-channel colour match', optimize: `nst optimize (L-BFGS, ${setup.optimizeSteps} steps)` };
  const lines = [];
  lines.push(`Decoder: ${setup.decoder}. ${setup.photos.length} photos (sample-pd, longest side ${setup.size} px) × ` +
    `${setup.heldOut.length} held-out + ${setup.trained.length} trained styles (style images at ${setup.styleSize} px). ` +
    `Normalized scale (lower is better): content = relu2_2 MSE / mean(photo features²); style = Σ over ` +
    `${STYLE_LAYERS.join(', ')} of the Gram MSE / mean(style Gram²).`, '');
  lines.push('| method | held-out: content | held-out: style | trained: content | trained: style |', '|---|---|---|---|---|');
  for (const m of ['adain', 'identity', 'colour']) {
    const h = summary.heldOut[m];
    const t = summary.trained[m];
    lines.push(`| ${label[m]} | ${fmt(h?.content)} | ${fmt(h?.style)} | ${fmt(t?.content)} | ${fmt(t?.style)} |`);
  }
  const o = summary.optimizePairs;
  if (o.pairs.length) {
    lines.push('', `On the ${o.pairs.length} pairs also optimized (${o.pairs.join('; ')}), mean over the pairs:`, '');
    lines.push(`| method | content | style | ${STYLE_LAYERS.join(' | ')} |`, `|---|---|---|${STYLE_LAYERS.map(() => '---').join('|')}|`);
    for (const m of METHODS) {
      const s = o[m];
      if (s) lines.push(`| ${label[m]} | ${fmt(s.content)} | ${fmt(s.style)} | ${STYLE_LAYERS.map((l) => fmt(s.styleLayers[l])).join(' | ')} |`);
    }
    if (o.optimizeSeconds) lines.push('', `nst optimize took ${o.optimizeSeconds.map((s) => s.toFixed(0)).join(', ')} s per pair; the AdaIN outputs ${setup.adainMs.toFixed(0)} ms each (mean, ${setup.size} px, after the style statistics).`);
  }
  lines.push('', 'Per style (AdaIN: content / style; identity style; colour-match style):', '');
  lines.push('| style | group | AdaIN content | AdaIN style | identity style | colour style |', '|---|---|---|---|---|---|');
  for (const s of result.perStyle) lines.push(`| ${s.name} | ${s.group} | ${fmt(s.adain.content)} | ${fmt(s.adain.style)} | ${fmt(s.identity.style)} | ${fmt(s.colour.style)} |`);
  return lines.join('\n') + '\n';
}

/** A grey box naming a style that may not be shown. */
async function greyBox(lines, width, height) {
  const esc = (s) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);
  const text = lines.map((l, i) => `<text x="50%" y="${height / 2 - ((lines.length - 1) * 9) + i * 18}" text-anchor="middle" font-family="sans-serif" font-size="${i === 0 ? 14 : 11}"${i === 0 ? ' font-weight="bold"' : ''} fill="#222">${esc(l)}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#b8b8b8"/>${text}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** The whole image within width × height on white (paintings are portrait and landscape: none is cropped). */
function containCell(file, width, height) {
  return sharp(file).resize(width, height, { fit: 'contain', background: 'white' }).png().toBuffer();
}

function coverCell(file, width, height) {
  return sharp(file).resize(width, height, { fit: 'cover' }).png().toBuffer();
}

async function writeSheet(o, styles, photos, outputs, file, decoder) {
  const W = 200;
  const H = 100;
  const LABEL = 150;
  const cell = (buffer, width = W) => ({ buffer, width });
  const grid = [];
  grid.push({ height: 36, cells: [cell(await textCell(['AdaIN', decoder], LABEL, 36, 11), LABEL), cell(await textCell('style', W, 36)), ...(await Promise.all(photos.map(async (p) => cell(await textCell(`${p.name} (public domain)`, W, 36, 11)))))] });
  grid.push({ height: H, cells: [cell(await textCell('photo', LABEL, H), LABEL), cell(await textCell('', W, H)), ...(await Promise.all(photos.map(async (p) => cell(await coverCell(p.file, W, H)))))] });
  for (const s of styles) {
    const thumb = s.publicDomain ? await containCell(s.file, W, H) : await greyBox([s.name, 'not shown (research-use image)'], W, H);
    const label = await textCell([s.name.replace(/\.\w+$/, ''), s.group === 'heldOut' ? 'held out of training' : 'trained on', s.publicDomain ? 'public-domain painting' : '../shared/data/styles'], LABEL, H, 11);
    const outs = await Promise.all(photos.map(async (p) => cell(await coverCell(outputs.get(`${p.name}|${s.name}`), W, H))));
    grid.push({ height: H, cells: [cell(label, LABEL), cell(thumb), ...outs] });
  }
  await composeGrid(grid, file);
  return fs.statSync(file).size;
}

/**
 * `nst optimize` of one pair, kept in the cache folder: it does not depend on the decoder, and at minutes per pair it
 * is most of the script's time, so re-running the script for a newer decoder reuses it.
 */
async function optimized(o, photo, style, lossNet, log) {
  fs.mkdirSync(o.cache, { recursive: true });
  const key = `optimize-${path.parse(photo.name).name}--${path.parse(style.name).name}-${o.size}px-style${o.styleSize}-${o.optimizeSteps}steps`;
  const file = path.join(o.cache, `${key}.png`);
  const losses = `${file}.json`;
  if (fs.existsSync(file) && fs.existsSync(losses)) {
    log(`adain-eval: nst optimize ${photo.name} × ${style.name}: cached in ${file}`);
    return { file, seconds: JSON.parse(fs.readFileSync(losses, 'utf8')).seconds };
  }
  log(`adain-eval: nst optimize ${photo.name} × ${style.name} (${o.optimizeSteps} steps, minutes) …`);
  const res = await optimizeImage(
    { content: photo.file, style: style.file, output: file, steps: o.optimizeSteps, size: o.size, styleSize: o.styleSize, styleLayers: STYLE_LAYERS, contentLayer: CONTENT_LAYER },
    { lossNetwork: lossNet, hooks: { log: () => {} } },
  );
  return { file, seconds: res.seconds };
}

async function main() {
  const o = parseArgs(process.argv);
  const log = (l) => process.stderr.write(`${l}\n`);
  const backend = await selectBackend(o.backend, log);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'adain-eval-'));
  process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));
  fs.mkdirSync(o.out, { recursive: true });
  const styles = [...o.heldOut.map((n) => styleEntry(n, 'heldOut')), ...o.trained.map((n) => styleEntry(n, 'trained'))];
  const photos = o.photos.map((n) => ({ name: n, file: path.join(PHOTOS_DIR, n) }));
  for (const p of photos) if (!fs.existsSync(p.file)) throw new Error(`photo ${p.file}: not found`);

  // As the AdaIN trainer loads it (src/train/adain.ts), with the content tap added.
  const lossNet = await loadLossNetworkFor({ lossNet: 'vgg19', styleLayers: STYLE_LAYERS, contentLayer: CONTENT_LAYER }, log);
  const model = await loadArbitraryModel(o.model);
  const step = (() => {
    try {
      return JSON.parse(fs.readFileSync(path.join(o.model, 'train-state.json'), 'utf8')).step;
    } catch {
      return undefined;
    }
  })();
  const decoder = `${o.name ?? path.basename(o.model)}${step !== undefined ? `, step ${step}` : ''}`;
  const lossDescription = lossNet.description;
  log(`adain-eval: ${decoder}; loss network ${lossDescription}; backend ${backend.name}`);
  const cache = new StyleStatsCache(model);
  const rows = [];
  const outputs = new Map();
  const adainMs = [];
  // Optimize pairs: spread over photos and over both style groups (held-out first).
  const optimizeKeys = new Set();
  for (let k = 0; k < o.optimizePairs; k++) {
    const s = k % 2 === 0 || o.trained.length === 0 ? o.heldOut[Math.floor(k / 2) % o.heldOut.length] : o.trained[Math.floor(k / 2) % o.trained.length];
    optimizeKeys.add(`${photos[k % photos.length].name}|${s}`);
  }
  const optimizeSeconds = [];
  try {
    for (const p of photos) {
      const photo = await decodeImage(p.file, { maxSize: o.size });
      for (const s of styles) {
        const pair = `${p.name}|${s.name}`;
        // The style as nst optimize sizes it: longest side styleSize.
        const style = await decodeImage(s.file, { resize: { width: o.styleSize, height: o.styleSize, fit: 'inside' } });
        const scorer = new Scorer(lossNet, photo, style);
        try {
          const add = (method, image) => rows.push({ method, pair, photo: p.name, styleImage: s.name, group: s.group, ...scorer.score(image) });
          const r = await stylizeArbitrary(model, { width: photo.width, height: photo.height, rgb: photo.rgb }, s.file, { styleSize: o.styleSize, cache });
          adainMs.push(r.ms);
          const out = path.join(work, `${path.parse(p.name).name}--${path.parse(s.name).name}.png`);
          await encodeImage({ width: r.width, height: r.height, rgb: r.rgb }, out);
          outputs.set(pair, out);
          add('adain', r);
          add('identity', photo);
          add('colour', { width: photo.width, height: photo.height, rgb: matchColorStats(photo.rgb, style.rgb) });
          if (optimizeKeys.has(pair)) {
            const opt = await optimized(o, p, s, lossNet, log);
            optimizeSeconds.push(opt.seconds);
            add('optimize', await decodeImage(opt.file));
          }
        } finally {
          scorer.dispose();
        }
        log(`adain-eval: ${pair} done`);
      }
    }
  } finally {
    cache.dispose();
    model.dispose();
    lossNet.dispose();
  }

  const perStyle = styles.map((s) => ({
    name: s.name,
    group: s.group,
    ...Object.fromEntries(['adain', 'identity', 'colour'].map((m) => [m, summarize(rows.filter((r) => r.styleImage === s.name), m)])),
  }));
  const result = {
    setup: {
      decoder,
      checkpoint: o.model,
      lossNetwork: lossDescription,
      backend: backend.name,
      size: o.size,
      styleSize: o.styleSize,
      photos: o.photos,
      heldOut: o.heldOut,
      trained: o.trained,
      optimizeSteps: o.optimizeSteps,
      contentLayer: CONTENT_LAYER,
      styleLayers: STYLE_LAYERS,
      scale: 'normalized',
      adainMs: adainMs.reduce((a, b) => a + b, 0) / adainMs.length,
    },
    summary: {
      heldOut: Object.fromEntries(METHODS.map((m) => [m, summarize(rows, m, 'heldOut')])),
      trained: Object.fromEntries(METHODS.map((m) => [m, summarize(rows, m, 'trained')])),
      optimizePairs: { pairs: [...optimizeKeys].map((k) => k.replace('|', ' × ')), optimizeSeconds, ...Object.fromEntries(METHODS.map((m) => [m, summarize(rows, m, undefined, optimizeKeys)])) },
    },
    perStyle,
    rows,
  };
  const md = markdown(result);
  fs.writeFileSync(path.join(o.out, 'eval.json'), JSON.stringify(result, null, 2) + '\n');
  fs.writeFileSync(path.join(o.out, 'eval.md'), md);
  const sheet = path.join(o.out, 'sheet.jpg');
  const bytes = await writeSheet(o, styles, photos, outputs, sheet, decoder);
  if (bytes > 400 * 1024) log(`adain-eval: warning: ${sheet} is ${Math.round(bytes / 1024)} KB (over 400 KB)`);
  log(`adain-eval: wrote ${path.join(o.out, 'eval.json')}, eval.md, sheet.jpg (${Math.round(bytes / 1024)} KB)`);
  if (o.doc) replaceBetweenMarkers(o.doc, 'adain-eval', md);
  process.stdout.write(md);
}

/** Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in a markdown file. */
function replaceBetweenMarkers(file, name, text) {
  const doc = fs.readFileSync(file, 'utf8');
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${file}: no ${begin} … ${end} block to replace`);
  fs.writeFileSync(file, `${doc.slice(0, i + begin.length)}\n${text}${doc.slice(j)}`);
}

main().catch((e) => {
  process.stderr.write(`adain-eval: ${process.env.NST_DEBUG ? e.stack : e.message}\n`);
  process.exit(1);
});
