/**
 * A synthetic VGG19 with block 4 for the relu4_1 tests: a TensorFlow.js layers folder (model.json + one shard per
 * conv, the layout of Keras-converted VGGs that readTfjsLayersVgg reads) with seeded random He-scaled weights, blocks
 * 1–3 complete and block 4 up to block4_conv1 — what relu4_1 needs, 3.3 M values (13 MB) written to a temp folder at
 * test time, never downloaded or committed. Found by the loaders as a user's full VGG19 would be (--loss-weights,
 * NST_LOSS_WEIGHTS, encoderWeights).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { vggLayout } from '../../src/nets/loss-network';
import { seededRandom } from '../helpers';

export function writeSyntheticVgg19(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-vgg19-synth-')), seed = 19, lastTap = 'relu4_1'): string {
  fs.mkdirSync(dir, { recursive: true });
  const layout = vggLayout('vgg19');
  const convs = layout.slice(0, layout.findIndex((s) => s.tap === lastTap) + 1);
  const rand = seededRandom(seed);
  const manifest = convs.map((spec, k) => {
    const file = `group${k + 1}-shard1of1`;
    const fanIn = 9 * spec.inChannels;
    const limit = Math.sqrt(6 / fanIn); // uniform He: activations keep their scale through the ReLU stack
    const kernel = Float32Array.from({ length: fanIn * spec.outChannels }, () => (2 * rand() - 1) * limit);
    const bias = Float32Array.from({ length: spec.outChannels }, () => (rand() - 0.5) * 0.2);
    fs.writeFileSync(path.join(dir, file), Buffer.concat([Buffer.from(kernel.buffer), Buffer.from(bias.buffer)]));
    return {
      paths: [file],
      weights: [
        { name: `${spec.name}/kernel`, shape: [3, 3, spec.inChannels, spec.outChannels], dtype: 'float32' },
        { name: `${spec.name}/bias`, shape: [spec.outChannels], dtype: 'float32' },
      ],
    };
  });
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ modelTopology: { model_config: { class_name: 'Model', config: { name: 'vgg19' } } }, weightsManifest: manifest }));
  return dir;
}
