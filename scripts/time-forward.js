#!/usr/bin/env node
// The forward pass alone (model.predict, no padding or tiling) of Johnson's transformer and the texture net at 256²,
// 512² and 1024², ms per run after a warm-up (docs/training.md, "Texture networks").
//
//   npx tsc -p tsconfig.build.json && node scripts/time-forward.js [--reps 3]
'use strict';
const os = require('os');
const path = require('path');
const lib = (p) => require(path.join(__dirname, '..', 'dist', 'src', p));

const i = process.argv.indexOf('--reps');
const reps = i >= 0 ? Number(process.argv[i + 1]) : 3;

(async () => {
  await lib('backend/select').selectBackend('native', () => {});
  const { tf } = lib('backend/tf');
  const { buildNetwork, parseNetworkConfig } = lib('nets/network');
  for (const c of [{}, { arch: 'texture-net' }]) {
    const m = buildNetwork(parseNetworkConfig(c));
    for (const s of [256, 512, 1024]) {
      const x = tf.randomUniform([1, s, s, 3], 0, 255);
      tf.tidy(() => void m.predict(x).dataSync());
      const t = [];
      for (let r = 0; r < reps; r++) {
        const t0 = Date.now();
        tf.tidy(() => void m.predict(x).dataSync());
        t.push(Date.now() - t0);
      }
      process.stdout.write(`${m.name} (${m.countParams()} params) ${s}²: ${t.join(' ')} ms, load average ${os.loadavg()[0].toFixed(1)}\n`);
      x.dispose();
    }
    m.dispose();
  }
})();
