// Jest's node environment gives each test file its own typed-array constructors, but onnxruntime-node's native
// binding builds output tensors with Node's real ones, and onnxruntime-common then rejects them
// ("A float32 tensor's data must be type of Float32Array"). Tests that run ONNX Runtime use this environment
// (docblock `@jest-environment ./test/export/ort-environment.js`), which shares Node's typed arrays with the test.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = ['ArrayBuffer', 'Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'Uint8Array', 'Uint8ClampedArray', 'Uint16Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array'];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
