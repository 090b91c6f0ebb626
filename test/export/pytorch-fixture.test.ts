/** @jest-environment ./test/export/ort-environment.js */
import * as ort from 'onnxruntime-node';
import { transformerToOnnx } from '../../src/export';
import { importPytorchExamples } from '../../src/importers';
import { decodeImage } from '../../src/infer/image-io';
import { describeShared, maxAbsDiff, readF32, sharedPath } from '../helpers';
import { nchwToNhwc, nhwcToNchw } from './net-fixtures';

const FIXTURE = 'models/pytorch-examples-transformer';

describeShared('ONNX export of an imported pytorch/examples network', () => {
  test('runs in ONNX Runtime and reproduces PyTorch on input.png (max abs error <= 1e-2)', async () => {
    const net = importPytorchExamples(sharedPath(FIXTURE, 'transformer.pth'));
    const bytes = transformerToOnnx(net.model, net.config);
    net.model.dispose();
    const img = await decodeImage(sharedPath(FIXTURE, 'input.png'));
    const [h, w] = [img.height, img.width];
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2 });
    const out = await session.run({ input: new ort.Tensor('float32', nhwcToNchw(img.rgb, h, w), [1, 3, h, w]) });
    await session.release();
    expect(out.output.dims).toEqual([1, 3, h, w]);
    const got = nchwToNhwc(out.output.data as Float32Array, h, w);
    const expected = readF32(sharedPath(FIXTURE, 'expected-output.f32'));
    let lo = Infinity, hi = -Infinity;
    for (const v of expected) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    const err = maxAbsDiff(got, expected);
    process.stderr.write(`onnx vs PyTorch fixture: max abs error ${err.toExponential(3)}, output range ${(hi - lo).toFixed(2)}\n`);
    expect(err).toBeLessThanOrEqual(1e-2); // absolute, on the 0–255 scale (the fixture spans ~817)
  });
});
