import { tf } from '../../src/backend/tf';
import { decodeImage } from '../../src/image/image-io';
import { readTorchStateDict } from '../../src/io/torch-pth';
import { importPytorchExamples } from '../../src/importers';
import { getTorchStateDict } from '../../src/nets/torch-mapping';
import { PYTORCH_EXAMPLES_CONFIG } from '../../src/nets/transformer';
import { plannedForward } from '../../src/nets/planned-forward';
import { describeShared, maxAbsDiff, readF32, sharedPath } from '../helpers';

const FIXTURE = 'models/pytorch-examples-transformer';

describeShared('pytorch/examples .pth import', () => {
  test('readTorchStateDict reads every tensor of the fixture with torch shapes', () => {
    const dict = readTorchStateDict(sharedPath(FIXTURE, 'transformer.pth'));
    expect(dict.get('conv1.conv2d.weight')!.shape).toEqual([32, 3, 9, 9]);
    expect(dict.get('res5.in2.bias')!.shape).toEqual([128]);
    expect(dict.get('deconv3.conv2d.bias')!.data[0]).toBeCloseTo(127.5, 4); // make_pth.py sets it
    // 16 conv layers (weight + bias) + 15 norms (weight + bias)
    expect(dict.size).toBe(16 * 2 + 15 * 2);
  });

  test('the imported net reproduces PyTorch output on input.png (max abs error <= 1e-3 x output range)', async () => {
    const net = importPytorchExamples(sharedPath(FIXTURE, 'transformer.pth'));
    expect(net.config).toEqual(PYTORCH_EXAMPLES_CONFIG);
    const img = await decodeImage(sharedPath(FIXTURE, 'input.png'));
    expect([img.height, img.width]).toEqual([120, 160]);
    const expected = readF32(sharedPath(FIXTURE, 'expected-output.f32'));
    const x = tf.tensor4d(img.rgb, [1, img.height, img.width, 3]);
    const y = net.model.predict(x) as tf.Tensor;
    const got = y.dataSync() as Float32Array;
    let lo = Infinity, hi = -Infinity;
    for (const v of expected) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    const err = maxAbsDiff(got, expected);
    process.stderr.write(`pytorch fixture: max abs error ${err.toExponential(3)}, output range ${(hi - lo).toFixed(2)}, ratio ${(err / (hi - lo)).toExponential(3)}\n`);
    expect(err).toBeLessThanOrEqual(1e-3 * (hi - lo));
    tf.dispose([x, y]);
    net.model.dispose();
  });

  test('the whole-network native plan (stylize\'s forward) reproduces PyTorch output too (same tolerance)', async () => {
    const net = importPytorchExamples(sharedPath(FIXTURE, 'transformer.pth'));
    const img = await decodeImage(sharedPath(FIXTURE, 'input.png'));
    const expected = readF32(sharedPath(FIXTURE, 'expected-output.f32'));
    const x = tf.tensor4d(img.rgb, [1, img.height, img.width, 3]);
    const y = plannedForward(net.model)(x);
    let lo = Infinity, hi = -Infinity;
    for (const v of expected) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    const err = maxAbsDiff(y.dataSync(), expected);
    process.stderr.write(`pytorch fixture, planned forward: max abs error ${err.toExponential(3)}, ratio ${(err / (hi - lo)).toExponential(3)}\n`);
    expect(err).toBeLessThanOrEqual(1e-3 * (hi - lo));
    tf.dispose([x, y]);
    net.model.dispose();
  });

  test('getTorchStateDict inverts the import exactly (layouts OIHW <-> HWIO)', () => {
    const file = sharedPath(FIXTURE, 'transformer.pth');
    const dict = readTorchStateDict(file);
    const net = importPytorchExamples(file);
    const back = getTorchStateDict(net.model, net.config);
    expect([...back.keys()].sort()).toEqual([...dict.keys()].sort());
    for (const [k, t] of dict) {
      expect(back.get(k)!.shape).toEqual(t.shape);
      expect(maxAbsDiff(back.get(k)!.data, t.data)).toBe(0);
    }
    net.model.dispose();
  });
});
