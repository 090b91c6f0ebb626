#!/usr/bin/env node
// Held-out perceptual losses of trained networks beside a published one, on the same photos and with the training's
// own loss definitions (scripts/lib/heldout-losses.js): issue #20's "udnie reaches the published Engstrom udnie".
// A --published source (.pth or an ml5/deeplearn.js folder) is imported first; each --run is a training folder or
// checkpoint. Prints one JSON object (and the flat-grey and photo baselines). `--style-size N` and `--style-pyramid K`
// measure the style term against the style image at N px over K levels (nst train's options of those names).
//
//   node scripts/heldout-compare.js --style ../shared/data/styles/udnie.jpg \
//     --run night=training-runs/udnie-night --published engstrom=../shared/models/engstrom-fast-style/udnie
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT, nst } = require('./lib/sheet');
const { heldoutEvaluator, DEFAULT_TAPS } = require('./lib/heldout-losses');

const SHARED = path.join(ROOT, '..', 'shared');
const args = { style: undefined, runs: [], published: [], photos: path.join(SHARED, 'data', 'content', 'sample-pd'), size: 256 };
for (let i = 2; i < process.argv.length; i += 2) {
  const [flag, v] = [process.argv[i], process.argv[i + 1]];
  const pair = () => {
    const k = v.indexOf('=');
    if (k <= 0) throw new Error(`${flag} ${v}: expected NAME=PATH`);
    return { name: v.slice(0, k), dir: path.resolve(v.slice(k + 1)) };
  };
  if (flag === '--style') args.style = path.resolve(v);
  else if (flag === '--run') args.runs.push(pair());
  else if (flag === '--published') args.published.push(pair());
  else if (flag === '--photos') args.photos = path.resolve(v);
  else if (flag === '--size') args.size = Number(v);
  else if (flag === '--style-size') args.styleSize = Number(v);
  else if (flag === '--style-pyramid') args.stylePyramid = Number(v);
  else throw new Error(`unknown option ${flag} (see the header of scripts/heldout-compare.js)`);
}
if (!args.style) throw new Error('--style STYLE.jpg is required');

(async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-heldout-'));
  const models = args.runs.map(({ name, dir }) => ({ name, ckpt: fs.existsSync(path.join(dir, 'checkpoint')) ? path.join(dir, 'checkpoint') : dir }));
  for (const { name, dir } of args.published) {
    const out = path.join(work, name);
    nst(['import', dir, '--out', out]);
    models.push({ name, ckpt: out });
  }
  const photos = fs.readdirSync(args.photos).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort().map((f) => path.join(args.photos, f));
  // The taps and the embedded VGG of nst train's defaults.
  const evaluator = await heldoutEvaluator({ style: args.style, photos, size: args.size, styleSize: args.styleSize, stylePyramid: args.stylePyramid, lossWeights: path.join(ROOT, 'assets', 'vgg19-block1-3'), ...DEFAULT_TAPS });
  const result = { photos: photos.length, size: args.size, styleSize: args.styleSize ?? args.size, stylePyramid: args.stylePyramid ?? 1, baselines: evaluator.baselines, models: {} };
  for (const { name, ckpt } of models) {
    const { images, ...losses } = await evaluator.evaluate(ckpt);
    result.models[name] = losses;
  }
  evaluator.dispose();
  fs.rmSync(work, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
})().catch((e) => {
  process.stderr.write(`heldout-compare: ${e.message}\n`);
  process.exit(1);
});
