// Child process for the atomicity test: starts saveCheckpoint over an existing checkpoint and SIGKILLs itself in the
// middle (while the extra files are being written), i.e. a real crash: no finally blocks, no cleanup.
// TypeScript sources are compiled on the fly with @swc/core (the same compiler jest uses).
'use strict';
const fs = require('fs');
const swc = require('@swc/core');
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
const path = require('path');
const src = path.resolve(__dirname, '../../src');
const { tf } = require(path.join(src, 'backend/tf.ts'));
const { buildTransformer } = require(path.join(src, 'nets/transformer.ts'));
const { saveCheckpoint } = require(path.join(src, 'checkpoint/index.ts'));

(async () => {
  await tf.setBackend('cpu');
  const [dir, configJson] = process.argv.slice(2);
  const config = JSON.parse(configJson);
  const model = buildTransformer(config);
  const extraFiles = { 'a.bin': new Uint8Array(1000) };
  Object.defineProperty(extraFiles, 'b.bin', {
    enumerable: true,
    get() {
      process.stdout.write('crashing\n');
      process.kill(process.pid, 'SIGKILL');
      return new Uint8Array(1);
    },
  });
  await saveCheckpoint(dir, { model, config, extraFiles });
  process.stdout.write('saved (should not happen)\n');
})();
