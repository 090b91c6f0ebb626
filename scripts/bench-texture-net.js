#!/usr/bin/env node
// Params and stylize ms at 256², 512², 1024² for Johnson's transformer and Ulyanov's texture net (docs/training.md,
// "Texture networks"): bench/stylize.ts on random-weight nets (the cost does not depend on the weights), median of
// `--reps` runs after a warm-up, on the process's default backend.
//
//   npx tsc -p tsconfig.build.json && node scripts/bench-texture-net.js [--reps 3]
'use strict';
const os = require('os');
const { benchStylize } = require('../dist/bench/stylize');
const { describeCpu } = require('../dist/src/backend/cpu-info');

const i = process.argv.indexOf('--reps');
const reps = i >= 0 ? Number(process.argv[i + 1]) : 3;

async function main() {
  const nets = [
    ['transformer (Johnson, default width 1)', {}],
    ['texture net (Ulyanov, 5 scales × 8 ch)', { arch: 'texture-net' }],
  ];
  const rows = [];
  for (const [name, config] of nets) {
    const r = await benchStylize({ config, sizes: [256, 512, 1024], large: false, reps });
    const params = /\((\d+) params\)/.exec(r.model)[1];
    rows.push(`| ${name} | ${Number(params).toLocaleString('en-US')} | ${r.timings.map((t) => t.ms).join(' | ')} |`);
    process.stderr.write(`${r.model}: ${JSON.stringify(r.timings)} [${r.backend}]\n`);
  }
  process.stdout.write(['| network | params | ms 256² | ms 512² | ms 1024² |', '|---|---|---|---|---|', ...rows].join('\n') + '\n');
  process.stdout.write(`\n${describeCpu()}, load average ${os.loadavg()[0].toFixed(1)}; median of ${reps} after a warm-up\n`);
}
main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
