#!/usr/bin/env node
// Measures the transformer's output heads (src/nets/output-head.ts) against each other for `nst train`: the same seed,
// data, style and settings for each, one run at a time on one thread. Each run stops at the milestones (25, 50, 100,
// steps) and resumes exactly (nst train --resume), so that every milestone's checkpoint stylizes the held-out public-
// domain photos and is evaluated there against a flat grey image (scripts/lib/heldout-losses.js). Writes
// docs/training/heads.json (loss-vs-step and loss-vs-wall-clock at the milestones, held-out losses, s/step, CPU) and
// the contact sheet docs/training/heads.jpg (held-out photos stylized at each milestone; no ImageNet photo and no
// style painting is shown: they may not be redistributed).
//
//   npx tsc -p tsconfig.build.json && node scripts/compare-heads.js [--steps 200] [--size 128] [--batch 1]
//       [--only tanh,residual] [--sheet-only] [--table] [--shared ../shared]
//
// Runs go to out/compare-heads/<head>; a run already at its last milestone is reused (delete it to retrain).
'use strict';
process.env.OMP_NUM_THREADS = process.env.OMP_NUM_THREADS || '1';
const fs = require('fs');
const os = require('os');
const path = require('path');
const sharp = require('sharp');
const { ROOT, nst, readLossLog, textCell, composeGrid } = require('./lib/sheet');
const { heldoutEvaluator } = require('./lib/heldout-losses');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const steps = Number(arg('steps', 200));
const size = Number(arg('size', 128));
const batch = Number(arg('batch', 1));
const only = arg('only', '');
const sheetOnly = process.argv.includes('--sheet-only');
const tableOnly = process.argv.includes('--table');
const SHARED = path.resolve(arg('shared', path.join(ROOT, '..', 'shared')));
const style = path.join(SHARED, 'data', 'styles', 'udnie.jpg');
const DATA = path.join(SHARED, 'data', 'content', 'imagenet-sample');
const HELDOUT = path.join(SHARED, 'data', 'content', 'sample-pd');
const VGG = path.join(SHARED, 'models', 'vgg19-imagenet-block1-3', 'model');
const STYLE_LAYERS = ['relu1_2', 'relu2_2', 'relu3_3'];
const CONTENT_LAYER = 'relu2_2';
const OUT = path.join(ROOT, 'out', 'compare-heads');
const DOCS = path.join(ROOT, 'docs', 'training');
const SHEET_PHOTOS = ['beach1.jpg', 'city9.jpg'];
const MILESTONES = [...new Set([25, 50, 100, steps].filter((s) => s <= steps))];
// Rows of the sheet and table in this order.
const CELL = 96;

const CANDIDATES = [
  { key: 'tanh', network: { output: 'tanh' }, name: 'tanh (old default)', formula: 'tanh(x)·150 + 127.5' },
  { key: 'softclip', network: { output: 'softclip' }, name: 'softclip (new default)', formula: 'tanh(x/150)·150 + 127.5' },
  { key: 'residual', network: { output: 'residual' }, name: 'residual', formula: 'photo + x' },
  { key: 'linear', network: { output: 'linear' }, name: 'linear', formula: 'x, bias started at 127.5' },
  { key: 'tanh-in', network: { output: 'tanh', outputNorm: true }, name: 'tanh-in (Engstrom)', formula: 'tanh(IN(x))·150 + 127.5' },
].filter((c) => !only || only.split(',').includes(c.key));

function trainArgs(run, upTo, resume) {
  if (resume) return ['train', '--resume', run, '--iterations', String(upTo), '--no-progress'];
  return ['train', '--style', style, '--data', DATA, '--out', run, '--image-size', String(size), '--batch-size', String(batch),
    '--width', '1', '--iterations', String(upTo), '--seed', '1', '--preview-every', '25', '--checkpoint-every', '100000',
    '--style-layers', STYLE_LAYERS.join(','), '--content-layer', CONTENT_LAYER, '--loss-net', 'vgg19', '--loss-weights', VGG,
    '--no-progress'];
}

/** The candidate's network as nst train options. */
function networkArgs(network) {
  return ['--head', network.output, ...(network.outputNorm ? ['--output-norm'] : [])];
}

function stepsDone(run) {
  try {
    return JSON.parse(fs.readFileSync(path.join(run, 'checkpoint', 'nst.json'), 'utf8')).training.steps;
  } catch {
    return 0;
  }
}

/** Mean of a loss term over the `window` logged steps ending at `step` (batch-1 steps are noisy). */
function around(log, step, key, window = 10) {
  const part = log.filter((e) => e.step > step - window && e.step <= step);
  return part.reduce((s, e) => s + e[key], 0) / part.length;
}

async function main() {
  if (sheetOnly) return contactSheet(JSON.parse(fs.readFileSync(path.join(DOCS, 'heads.json'), 'utf8')));
  if (tableOnly) return void process.stdout.write(markdownTable(JSON.parse(fs.readFileSync(path.join(DOCS, 'heads.json'), 'utf8'))));
  for (const f of [style, DATA, HELDOUT, VGG]) if (!fs.existsSync(f)) throw new Error(`${f}: not found (this script needs ../shared)`);
  fs.mkdirSync(OUT, { recursive: true });
  fs.mkdirSync(DOCS, { recursive: true });
  const heldout = fs.readdirSync(HELDOUT).filter((f) => /\.jpe?g$/i.test(f)).sort();
  const photos = [...SHEET_PHOTOS, ...heldout.filter((f) => !SHEET_PHOTOS.includes(f))].map((f) => path.join(HELDOUT, f));
  const evaluator = await heldoutEvaluator({ style, photos, size, lossWeights: VGG, styleLayers: STYLE_LAYERS, contentLayer: CONTENT_LAYER, sheetCount: SHEET_PHOTOS.length });
  const resultsFile = path.join(DOCS, 'heads.json');
  const save = (r) => fs.writeFileSync(resultsFile, JSON.stringify(r, (_, v) => (typeof v === 'number' ? Number(v.toPrecision(4)) : v), 1) + '\n');
  const previous = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : { candidates: {} };
  const results = {
    command: `node scripts/compare-heads.js --steps ${steps} --size ${size} --batch ${batch}`,
    cpu: `${os.cpus()[0].model.trim()} (${(fs.readFileSync('/proc/cpuinfo', 'utf8').match(/avx512f/) ? 'AVX-512' : 'AVX2')}), OMP_NUM_THREADS=${process.env.OMP_NUM_THREADS}`,
    settings: { steps, imageSize: size, batchSize: batch, width: 1, lr: 1e-3, weights: 'content 5 : style 5 : tv 1', style: 'udnie', data: 'imagenet-sample (900)', heldout: `sample-pd (${photos.length})`, lossNetwork: `vgg19 blocks 1-3, style ${STYLE_LAYERS.join('/')}, content ${CONTENT_LAYER}` },
    baselines: evaluator.baselines,
    candidates: previous.candidates ?? {},
  };
  for (const c of CANDIDATES) {
    const run = path.join(OUT, c.key);
    const rec = (results.candidates[c.key] = { ...(results.candidates[c.key] ?? {}), name: c.name, formula: c.formula, network: c.network });
    rec.milestones = rec.milestones ?? {};
    if (stepsDone(run) > steps) fs.rmSync(run, { recursive: true, force: true });
    for (const m of MILESTONES) {
      if (stepsDone(run) >= m && rec.milestones[m]?.heldout) continue;
      if (stepsDone(run) < m) {
        const resume = stepsDone(run) > 0;
        if (!resume) fs.rmSync(run, { recursive: true, force: true });
        nst([...trainArgs(run, m, resume), ...(resume ? [] : networkArgs(c.network))]);
      }
      if (stepsDone(run) !== m) throw new Error(`${run}: at step ${stepsDone(run)}, past milestone ${m} without its evaluation; delete it to retrain`);
      const ev = await evaluator.evaluate(path.join(run, 'checkpoint'));
      ev.images.forEach((png, i) => fs.writeFileSync(path.join(run, `heldout-${m}-${i}.png`), png));
      delete ev.images;
      rec.milestones[m] = { ...(rec.milestones[m] ?? {}), heldout: ev };
      save(results);
    }
    // The latest record per step (a resumed run re-logs the steps after its checkpoint), up to the last milestone.
    const log = [...new Map(readLossLog(run).map((e) => [e.step, e])).values()].filter((e) => e.step <= steps).sort((a, b) => a.step - b.step);
    let clock = 0;
    const wall = new Map(log.map((e) => [e.step, (clock += e.stepMs) / 1000]));
    for (const m of MILESTONES) {
      rec.milestones[m] = { ...rec.milestones[m], train: { style: around(log, m, 'style'), content: around(log, m, 'content'), seconds: wall.get(m) } };
    }
    const timed = log.filter((e) => e.step > 1);
    rec.secondsPerStep = timed.reduce((s, e) => s + e.stepMs, 0) / timed.length / 1000;
    rec.curve = log.map((e) => ({ step: e.step, seconds: wall.get(e.step), style: e.style, content: e.content }));
    save(results);
  }
  evaluator.dispose();
  await contactSheet(results);
  process.stdout.write(markdownTable(results));
}

/** The table of docs/training.md ("Output head"): training losses (10-step means), held-out losses, s/step. */
function markdownTable(results) {
  const f = (v, d = 2) => (v === undefined ? '–' : Number(v).toFixed(d));
  const g = results.baselines.flatGrey;
  const head = ['head', 'train style @1 → peak in steps 2–25', ...MILESTONES.map((m) => `train style / content @${m}`), `held-out style / content @${steps} (flat grey ${f(g.style)} / ${f(g.content)})`,
    'held-out saturated pixels @25 / @' + steps, `held-out mean pixel @${steps}`, `s/step, wall s to ${steps}`];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const [k, c] of Object.entries(results.candidates)) {
    const ms = c.milestones;
    const last = ms[steps]?.heldout;
    const early = (c.curve ?? []).filter((e) => e.step >= 2 && e.step <= 25);
    const peak = early.reduce((a, e) => (e.style > a.style ? e : a), { style: -Infinity, step: 0 });
    lines.push(`| ${k} | ${f(c.curve?.[0]?.style)} → ${f(peak.style, 1)} (step ${peak.step}) | ${MILESTONES.map((m) => `${f(ms[m]?.train?.style)} / ${f(ms[m]?.train?.content)}`).join(' | ')} | ` +
      `${f(last?.style)} / ${f(last?.content)} | ${f((ms[25]?.heldout?.saturatedShare ?? NaN) * 100, 1)} % / ${f((last?.saturatedShare ?? NaN) * 100, 1)} % | ` +
      `${f(last?.meanPixel, 0)} | ${f(c.secondsPerStep)}, ${f(ms[steps]?.train?.seconds, 0)} |`);
  }
  return lines.join('\n') + `\n\n${results.cpu}; ${results.command}\n`;
}

/** Rows: candidates; columns: the held-out photos stylized at each milestone. */
async function contactSheet(results) {
  const keys = CANDIDATES.map((c) => c.key).filter((k) => results.candidates[k] && fs.existsSync(path.join(OUT, k)));
  for (const c of CANDIDATES) if (results.candidates[c.key]) Object.assign(results.candidates[c.key], { name: c.name, formula: c.formula });
  const LABEL = 190;
  const header = [{ width: LABEL, buffer: await textCell('held-out photo', LABEL, 22, 12) }];
  for (let i = 0; i < SHEET_PHOTOS.length; i++) {
    header.push({ width: CELL, buffer: await sharp(path.join(HELDOUT, SHEET_PHOTOS[i])).resize(CELL, CELL, { fit: 'cover' }).png().toBuffer() });
  }
  const rows = [{ height: CELL, cells: header }];
  const stepsRow = [{ width: LABEL, buffer: await textCell('step →', LABEL, 22, 12) }];
  for (const m of MILESTONES) stepsRow.push({ width: CELL * SHEET_PHOTOS.length, buffer: await textCell(`${m}`, CELL * SHEET_PHOTOS.length, 22, 12) });
  rows.push({ height: 22, cells: stepsRow });
  for (const k of keys) {
    const c = results.candidates[k];
    const cells = [{ width: LABEL, buffer: await textCell([c.name, c.formula ?? ''], LABEL, CELL, 12) }];
    for (const m of MILESTONES) {
      for (let i = 0; i < SHEET_PHOTOS.length; i++) {
        const f = path.join(OUT, k, `heldout-${m}-${i}.png`);
        cells.push({ width: CELL, buffer: await sharp(f).resize(CELL, CELL).png().toBuffer() });
      }
    }
    rows.push({ height: CELL, cells });
  }
  await composeGrid(rows, path.join(DOCS, 'heads.jpg'));
}

main().catch((e) => {
  process.stderr.write(`compare-heads: ${e.stack || e.message}\n`);
  process.exit(1);
});
