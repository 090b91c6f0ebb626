import * as fs from 'fs';
import { tf } from '../../src/backend/tf';
import { importPytorchExamples } from '../../src/importers';
import { tfToTorchLayout, torchWeightMap, variablesByName } from '../../src/nets/torch-mapping';
import { describeShared, readF32, relError, sharedPath, slowTest } from '../helpers';

interface GradEntry {
  name: string;
  shape: number[];
  offset_floats: number;
}

/**
 * The network's backward pass against PyTorch, without the loss network: the fixture gives d loss / d output
 * (`__image__`), so the parameter gradients are the network's vector-Jacobian product with it. This checks reflection
 * padding's gradient, instance norm, nearest upsampling and the layout mapping of every weight.
 */
describeShared('transformer gradients vs PyTorch (pytorch-train-step fixture)', () => {
  // A full-size backward pass takes minutes on the pure-JS backend of a busy 2-core machine (seconds on native).
  slowTest('transformer gradients vs PyTorch')('output and every parameter gradient match PyTorch (relative error <= 5e-3; zero-gradient params ~0)', () => {
    const dir = sharedPath('models/pytorch-train-step');
    const fixture = JSON.parse(fs.readFileSync(`${dir}/fixture.json`, 'utf8'));
    const grads = readF32(`${dir}/grad-total.f32`);
    const layout = fixture['grad-total.f32'] as GradEntry[];
    const slice = (e: GradEntry) => grads.subarray(e.offset_floats, e.offset_floats + e.shape.reduce((a, b) => a * b, 1));
    const dyEntry = layout.find((e) => e.name === '__image__')!;

    const net = importPytorchExamples(sharedPath('models/pytorch-examples-transformer/transformer.pth'));
    const x = tf.tensor4d(readF32(`${dir}/batch.f32`), [2, 64, 64, 3]);
    const dy = tf.tensor4d(slice(dyEntry), dyEntry.shape as [number, number, number, number]);
    const vars = variablesByName(net.model);
    const entries = torchWeightMap(net.config);
    const targets = entries.map((e) => vars.get(e.tfName)!.read() as tf.Variable);

    let outputError = NaN;
    const { grads: got } = tf.variableGrads(() => {
      const y = net.model.apply(x, { training: true }) as tf.Tensor;
      outputError = relError(y.dataSync(), readF32(`${dir}/output.f32`));
      return tf.sum(tf.mul(y, dy)) as tf.Scalar;
    }, targets);
    expect(outputError).toBeLessThan(1e-5);

    const zero = new Set<string>(fixture.zero_gradient_params);
    const largest: number = fixture.largest_gradient_norm;
    let worst = { name: '', err: 0 };
    for (const e of entries) {
      const ref = layout.find((g) => g.name === e.torchName)!;
      expect(ref.shape).toEqual(e.torchShape);
      const mine = tfToTorchLayout(e, got[targets[entries.indexOf(e)].name].dataSync() as Float32Array);
      if (zero.has(e.torchName)) {
        const norm = Math.sqrt(mine.reduce((s, v) => s + v * v, 0));
        expect(norm / largest).toBeLessThan(1e-5);
      } else {
        const err = relError(mine, slice(ref));
        if (err > worst.err) worst = { name: e.torchName, err };
        expect({ name: e.torchName, ok: err <= 5e-3 }).toEqual({ name: e.torchName, ok: true });
      }
    }
    process.stderr.write(`transformer VJP vs PyTorch: output rel error ${outputError.toExponential(2)}, worst gradient rel error ${worst.err.toExponential(2)} (${worst.name})\n`);
    tf.dispose([x, dy, ...Object.values(got)]);
    net.model.dispose();
  }, 1800000);
});
