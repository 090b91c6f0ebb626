#!/usr/bin/env node
// Copies a trained AdaIN decoder checkpoint into assets/adain-decoder/, the default model of `nst stylize --style`:
// its weights, topology and nst.json, without the optimizer state that only resuming needs.
//   node scripts/embed-adain-decoder.js RUN_DIR_OR_CHECKPOINT
'use strict';
const fs = require('fs');
const path = require('path');

const src = process.argv[2];
if (!src) {
  process.stderr.write('usage: embed-adain-decoder.js RUN_DIR_OR_CHECKPOINT\n');
  process.exit(2);
}
const ckpt = fs.existsSync(path.join(src, 'checkpoint', 'nst.json')) ? path.join(src, 'checkpoint') : src;
const meta = JSON.parse(fs.readFileSync(path.join(ckpt, 'nst.json'), 'utf8'));
if (meta.kind !== 'adain') {
  process.stderr.write(`${ckpt}: not an AdaIN checkpoint (kind ${JSON.stringify(meta.kind ?? 'transformer')})\n`);
  process.exit(1);
}
const dest = path.resolve(__dirname, '..', 'assets', 'adain-decoder');
const temp = `${dest}.tmp-${process.pid}`;
fs.rmSync(temp, { recursive: true, force: true });
fs.mkdirSync(temp, { recursive: true });
for (const f of ['model.json', 'weights.bin']) fs.copyFileSync(path.join(ckpt, f), path.join(temp, f));
fs.writeFileSync(path.join(temp, 'nst.json'), JSON.stringify({ ...meta, extraFiles: [] }, null, 2) + '\n');
fs.rmSync(dest, { recursive: true, force: true });
fs.renameSync(temp, dest);
process.stdout.write(`embedded the decoder of step ${meta.training?.steps} from ${ckpt} in ${dest}\n`);
