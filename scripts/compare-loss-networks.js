#!/usr/bin/env node
// Regenerates docs/loss-networks.png: the same style, photos, steps and weights trained against each loss network that
// runs here (the partial ImageNet VGG19 from ../shared, and the MobileNetV2 fallback shipped in nsfwjs), each model then
// stylizing the same public-domain photos. Only generated images go into the sheet (the style painting is named, not
// shown: ../shared's style images may not be committed).
//
//   node scripts/compare-loss-networks.js [--steps 300] [--size 128] [--style ../shared/data/styles/udnie.jpg]
'use strict';
const fs = require('fs');
const path = require('path');
const { ROOT, nst, stylizePhotos, readLossLog, textCell, imageCell, composeGrid } = require('./lib/sheet');

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
    const outs = stylizePhotos(run, PHOTOS.map((p) => path.join(DATA, p)), path.join(run, 'stylized'), CELL * 2);
    const log = readLossLog(run);
    rows.push({ ...n, outs, seconds, losses: log[log.length - 1] });
  }
  const cols = [{ name: 'photo (public domain)', outs: PHOTOS.map((p) => path.join(DATA, p)) }, ...rows];
  const grid = [{ height: 28, cells: await Promise.all(cols.map(async (c) => ({ width: CELL, buffer: await textCell(c.name, CELL, 28) }))) }];
  for (let r = 0; r < PHOTOS.length; r++) {
    grid.push({
      height: CELL / 2,
      cells: await Promise.all(cols.map(async (c) => ({ width: CELL, buffer: await imageCell(c.outs[r], CELL, CELL / 2) }))),
    });
  }
  const sheet = path.join(ROOT, 'docs', 'loss-networks.png');
  await composeGrid(grid, sheet);
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
