import { tf } from '../../src/backend/tf';
import { readAdamBetaPowers, writeAdamBetaPowers } from '../../src/train/state';

// Exact resume reads and writes two private fields of tfjs' AdamOptimizer (accBeta1/accBeta2). A tfjs upgrade that
// renames them would make resume drift silently (by ~5e-4); this canary makes it fail loudly instead.
describe("tfjs Adam's private β powers (exact resume depends on them)", () => {
  it('are readable, advance by β each step, and can be written back', () => {
    const v = tf.variable(tf.tensor1d([1, -2, 3]), true, 'adam-canary');
    const opt = tf.train.adam(0.01, 0.9, 0.999);
    const step = (): void => {
      opt.minimize(() => tf.sum(tf.square(v)) as tf.Scalar, false, [v]);
    };
    step();
    const first = readAdamBetaPowers(opt);
    expect(first).toBeDefined();
    step();
    const second = readAdamBetaPowers(opt)!;
    expect(second[0] / first![0]).toBeCloseTo(0.9, 6);
    expect(second[1] / first![1]).toBeCloseTo(0.999, 6);

    expect(writeAdamBetaPowers(opt, [0.5, 0.25])).toBe(true);
    expect(readAdamBetaPowers(opt)).toEqual([0.5, 0.25]);
    opt.dispose();
    v.dispose();
  });
});
