// A run's seed fixes the networks' initial weights through seeded tfjs initializers (no global Math.random patching).
import { buildAdainDecoder } from '../../src/nets/adain';
import { buildTransformer } from '../../src/nets/transformer';
import { tf } from '../../src/backend/tf';

function weights(model: tf.LayersModel): Float32Array[] {
  const out = model.getWeights().map((w) => w.dataSync() as Float32Array);
  model.dispose();
  return out;
}

const same = (a: Float32Array[], b: Float32Array[]) => a.length === b.length && a.every((w, i) => w.every((v, j) => v === b[i][j]));

test.each([
  ['transformer', (seed?: number) => buildTransformer({ width: 0.25 }, { seed })],
  ['AdaIN decoder', (seed?: number) => buildAdainDecoder({ width: 0.25 }, { seed })],
])('%s: the same seed gives the same weights, another seed other weights, and kernels differ from each other', (_, build) => {
  const a = weights(build(7));
  expect(same(a, weights(build(7)))).toBe(true);
  expect(same(a, weights(build(8)))).toBe(false);
  expect(same(a, weights(build()))).toBe(false);
  const random = Math.random;
  Math.random = () => 0.5; // a seeded build must not depend on the global stream
  try {
    expect(same(a, weights(build(7)))).toBe(true);
  } finally {
    Math.random = random;
  }
});
