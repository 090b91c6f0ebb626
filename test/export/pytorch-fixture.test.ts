/** @jest-environment ./test/export/ort-environment.js */
import * as ort from 'onnxruntime-node';
import { transformerToOnnx } from '../../src/export';
import * as fs from 'fs';
import { importEngstrom, importPytorchExamples } from '../../src/importers';
import { cropRgb } from '../../src/infer/pad';
import { decodeImage } from '../../src/image/image-io';
import { describeShared, maxAbsDiff, readF32, sharedPath } from '../helpers';
import { nchwToNhwc, nhwcToNchw, tfjsForward } from './net-fixtures';

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

describeShared('ONNX export of a trained network (Engstrom udnie: transposed convs, zero SAME padding, tanh head)', () => {
  test('matches our tfjs net on a photo, odd-sized at the stride-2 convs (max abs error <= 1e-2)', async () => {
    const net = importEngstrom(sharedPath('models/engstrom-fast-style/udnie'));
    const dir = sharedPath('data/content/sample-pd');
    const photo = await decodeImage(`${dir}/${fs.readdirSync(dir).sort()[1]}`, { maxSize: 70 });
    const [h, w] = [photo.height - ((photo.height + 1) % 2), photo.width - ((photo.width + 1) % 2)]; // odd sides
    const image = cropRgb(photo, 0, 0, w, h).rgb;
    const expected = tfjsForward(net.model, image, h, w);
    const session = await ort.InferenceSession.create(transformerToOnnx(net.model, net.config), { intraOpNumThreads: 2 });
    net.model.dispose();
    const y = (await session.run({ input: new ort.Tensor('float32', nhwcToNchw(image, h, w), [1, 3, h, w]) })).output;
    await session.release();
    const [, , oh, ow] = y.dims as number[];
    expect([1, oh, ow, 3]).toEqual(expected.shape);
    const err = maxAbsDiff(nchwToNhwc(y.data as Float32Array, oh, ow), expected.data);
    process.stderr.write(`onnx udnie ${h}x${w} -> ${oh}x${ow}: max abs error vs tfjs ${err.toExponential(3)}\n`);
    expect(err).toBeLessThanOrEqual(1e-2);
  });
});
