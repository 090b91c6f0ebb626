#!/usr/bin/env node
// Regenerates docs/quality/: a contact sheet of trained style networks (and published ones, for comparison) applied
// to the same public-domain photos, with each run's steps, settings and losses, plus the runs' loss curves.
// Training runs come from `nst train` (see docs/quality.md for the exact commands); published networks are imported
// with `nst import` first. Style paintings are named in the row label, not shown (../shared's may not be committed).
//
//   node scripts/quality-sheet.js --run udnie=runs/udnie --run candy=runs/candy \
//     --published udnie=../shared/models/engstrom-fast-style/udnie [--photos beach1.jpg,city9.jpg] [--out docs/quality]
'use strict';
const fs = require('fs');
const path = require('path');
const { ROOT, nst, stylizePhotos, readLossLog, meanLosses, textCell, imageCell, composeGrid } = require('./lib/sheet');

const DATA = path.join(ROOT, 'datasets', 'sample-pd');
const WORK = path.join(ROOT, 'out', 'quality-sheet');
const CELL_W = 320;
const CELL_H = 160;
const LABEL_W = 300;
const HEADER_H = 28;
const LOSS_WINDOW = 100;

function parseArgs(argv) {
  const opts = { runs: [], published: [], photos: ['beach1.jpg', 'city9.jpg', 'mountain1.jpg', 'fields6.jpg'], out: path.join(ROOT, 'docs', 'quality') };
  const pair = (v, flag) => {
    const i = v.indexOf('=');
    if (i <= 0) throw new Error(`${flag} ${v}: expected NAME=PATH`);
    return { name: v.slice(0, i), dir: path.resolve(v.slice(i + 1)) };
  };
  for (let i = 2; i < argv.length; i += 2) {
    const [flag, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new Error(`${flag}: missing value`);
    if (flag === '--run') opts.runs.push(pair(v, flag));
    else if (flag === '--published') opts.published.push(pair(v, flag));
    else if (flag === '--photos') opts.photos = v.split(',');
    else if (flag === '--out') opts.out = path.resolve(v);
    else throw new Error(`unknown option ${flag} (see the header of scripts/quality-sheet.js)`);
  }
  if (opts.runs.length === 0) throw new Error('no --run NAME=RUN_FOLDER given');
  return opts;
}

const stylizeAll = (model, key, photos) =>
  stylizePhotos(model, photos.map((p) => path.join(DATA, p)), path.join(WORK, key), CELL_W * 2);

/** What the sheet and summary say about one training run: its stored options and its losses at the end. */
function describeRun(run) {
  // The checkpoint may be older than the log's last line (a run stopped mid-interval): describe the checkpoint.
  const step = JSON.parse(fs.readFileSync(path.join(run.dir, 'checkpoint', 'train-state.json'), 'utf8')).step;
  const log = readLossLog(run.dir).filter((e) => e.step <= step);
  const training = JSON.parse(fs.readFileSync(path.join(run.dir, 'checkpoint', 'nst.json'), 'utf8')).training ?? {};
  const options = { ...training.options, styleName: training.styleImage?.name, lossNetwork: training.lossNetwork };
  const last = log[log.length - 1] ?? { step, epoch: 0 };
  const seconds = log.reduce((s, e) => s + e.stepMs, 0) / 1000;
  return { last, seconds, options, mean: meanLosses(log, LOSS_WINDOW) };
}

async function main() {
  const opts = parseArgs(process.argv);
  fs.mkdirSync(opts.out, { recursive: true });
  const rows = [];
  const summary = [];
  for (const run of opts.runs) {
    const info = describeRun(run);
    const o = info.options;
    const m = info.mean;
    rows.push({
      label: [
        `${run.name} — nst, ${info.last.step} steps`,
        `style: ${o.styleName ?? run.name} (not shown)`,
        `${o.imageSize}² crops, batch ${o.batchSize}, style size ${o.styleSize ?? o.imageSize}`,
        `weights content ${o.contentWeight} · style ${o.styleWeight} · tv ${o.tvWeight}`,
        `losses (mean of last ${m.steps} steps):`,
        `content ${m.content.toFixed(3)} · style ${m.style.toFixed(3)} · tv ${m.tv.toFixed(4)}`,
        `${(info.seconds / 3600).toFixed(1)} h of steps on this 2-core CPU`,
      ],
      outs: stylizeAll(run.dir, run.name, opts.photos),
    });
    summary.push({ name: run.name, steps: info.last.step, epoch: info.last.epoch, hours: info.seconds / 3600, options: o, meanLosses: m });
    const curve = path.join(run.dir, 'loss-curve.svg');
    if (fs.existsSync(curve)) fs.copyFileSync(curve, path.join(opts.out, `loss-curve-${run.name}.svg`));
  }
  for (const pub of opts.published) {
    const model = path.join(WORK, `published-${pub.name}-model`);
    fs.rmSync(model, { recursive: true, force: true });
    nst(['import', pub.dir, '--out', model]);
    rows.push({
      label: [`${pub.name} — published (reference)`, `${path.relative(path.join(ROOT, '..'), pub.dir)}`, 'imported with nst import'],
      outs: stylizeAll(model, `published-${pub.name}`, opts.photos),
    });
    summary.push({ name: `${pub.name} (published)`, source: path.relative(path.join(ROOT, '..'), pub.dir) });
  }

  const header = [{ width: LABEL_W, buffer: await textCell('photo (public domain)', LABEL_W, HEADER_H, 13) }];
  for (const p of opts.photos) header.push({ width: CELL_W, buffer: await textCell(p, CELL_W, HEADER_H) });
  const grid = [
    { height: HEADER_H, cells: header },
    { height: CELL_H, cells: [{ width: LABEL_W, buffer: await textCell('', LABEL_W, CELL_H) },
      ...(await Promise.all(opts.photos.map(async (p) => ({ width: CELL_W, buffer: await imageCell(path.join(DATA, p), CELL_W, CELL_H) }))))] },
  ];
  for (const row of rows) {
    const cells = [{ width: LABEL_W, buffer: await textCell(row.label, LABEL_W, CELL_H, 12) }];
    for (const out of row.outs) cells.push({ width: CELL_W, buffer: await imageCell(out, CELL_W, CELL_H) });
    grid.push({ height: CELL_H, cells });
  }
  const sheet = path.join(opts.out, 'sheet.jpg');
  await composeGrid(grid, sheet);
  fs.writeFileSync(path.join(opts.out, 'summary.json'), JSON.stringify({ photos: opts.photos, runs: summary }, null, 2) + '\n');
  process.stdout.write(`${sheet}\n`);
}

main().catch((e) => {
  process.stderr.write(`quality-sheet: ${e.message}\n`);
  process.exit(1);
});
