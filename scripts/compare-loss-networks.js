#!/usr/bin/env node
// Regenerates docs/loss-networks.png: the same style, photos, steps and weights trained against each loss network that
// runs here (the partial ImageNet VGG19 from ../shared, and the MobileNetV2 fallback shipped in nsfwjs), each model then
// stylizing the same public-domain photos. Only generated images go into the sheet (the style painting is named, not
// shown: ../shared's style images may not be committed).
//
//   node scripts/compare-loss-networks.js [--steps 300] [--size 128] [--style ../shared/data/styles/udnie.jpg]
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const sharp = require('sharp');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'nst.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const steps = Number(arg('steps', 300));
const size = Number(arg('size', 128));
const style = path.resolve(arg('style', path.join(ROOT, '..', 'shared', 'data', 'styles', 'udnie.jpg')));
const vgg = path.join(ROOT, '..', 'shared', 'models', 'vgg19-imagenet-block1-3', 'model');
const DATA = path.join(ROOT, 'datasets', 'sample-pd');
const OUT = path.join(ROOT, 'out', 'compare-loss-networks');
const PHOTOS = ['beach1.jpg', 'city9.jpg', 'mountain1.jpg'];
const CELL = 256;

function nst(args) {
  process.stderr.write(`$ nst ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`nst ${args[0]} exited with ${r.status}`);
}

function lastLosses(runDir) {
  const lines = fs.readFileSync(path.join(runDir, 'train-log.jsonl'), 'utf8').trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

async function label(text, width) {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="28"><rect width="100%" height="100%" fill="white"/>` +
    `<text x="6" y="19" font-family="sans-serif" font-size="14">${text}</text></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

async function main() {
  if (!fs.existsSync(style)) throw new Error(`${style}: style image not found (pass --style)`);
  const nets = [
    { name: 'vgg19 (blocks 1-3, ImageNet)', args: ['--loss-net', 'vgg19', '--loss-weights', vgg], key: 'vgg19' },
    { name: 'MobileNetV2 fallback (nsfwjs)', args: ['--loss-net', 'mobilenetv2'], key: 'mobilenetv2' },
  ];
  fs.mkdirSync(OUT, { recursive: true });
  const rows = [];
  for (const n of nets) {
    const run = path.join(OUT, n.key);
    fs.rmSync(run, { recursive: true, force: true });
    const t0 = Date.now();
    nst(['train', '--style', style, '--data', DATA, '--out', run, '--image-size', String(size), '--width', '0.5',
      '--batch-size', '2', '--iterations', String(steps), '--content-weight', '5', '--seed', '1', '--no-progress',
      '--preview-every', String(steps), '--checkpoint-every', String(steps), ...n.args]);
    const seconds = (Date.now() - t0) / 1000;
    const outs = [];
    for (const p of PHOTOS) {
      const o = path.join(run, `stylized-${p.replace(/\.jpg$/, '.png')}`);
      nst(['stylize', '--model', run, path.join(DATA, p), '-o', o, '--max-size', String(CELL * 2), '--no-progress']);
      outs.push(o);
    }
    rows.push({ ...n, outs, seconds, losses: lastLosses(run) });
  }
  const cols = [{ name: 'photo (public domain)', outs: PHOTOS.map((p) => path.join(DATA, p)) }, ...rows];
  const tiles = [];
  for (let c = 0; c < cols.length; c++) {
    tiles.push({ input: await label(cols[c].name, CELL), left: c * CELL, top: 0 });
    for (let r = 0; r < PHOTOS.length; r++) {
      const img = await sharp(cols[c].outs[r]).resize(CELL, CELL / 2, { fit: 'cover' }).png().toBuffer();
      tiles.push({ input: img, left: c * CELL, top: 28 + r * (CELL / 2) });
    }
  }
  const sheet = path.join(ROOT, 'docs', 'loss-networks.png');
  await sharp({ create: { width: CELL * cols.length, height: 28 + PHOTOS.length * (CELL / 2), channels: 3, background: 'white' } })
    .composite(tiles).png().toFile(sheet);
  const summary = rows.map((r) => ({
    lossNetwork: r.name, steps, imageSize: size, seconds: Math.round(r.seconds),
    final: { content: r.losses.content, style: r.losses.style, tv: r.losses.tv },
  }));
  fs.writeFileSync(path.join(ROOT, 'docs', 'loss-networks.json'), JSON.stringify({ style: path.basename(style), summary }, null, 2) + '\n');
  process.stdout.write(`${sheet}\n${JSON.stringify(summary, null, 2)}\n`);
}

main().catch((e) => {
  process.stderr.write(`compare-loss-networks: ${e.message}\n`);
  process.exit(1);
});
