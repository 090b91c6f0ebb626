/**
 * The offline fallback: the MobileNetV2 that the nsfwjs npm package bundles (Keras layers model, uint8-quantized
 * weights, base64 inside .min.js files), with VGG tap names mapped onto MobileNetV2 ReLUs of matching depth.
 *
 * Why it is acceptable as a fallback and no more: nsfwjs fine-tuned an ImageNet MobileNetV2 for its own 5 classes and
 * quantized it to 8 bits, and MobileNetV2 has no full-resolution layer (its first conv has stride 2) — textures come
 * out coarser and less faithful than with VGG. It lets a demo train without any download.
 */
import * as path from 'path';
import { tf } from '../../backend/tf';
import { InputError, UsageError } from '../../errors';
import { checkTaps } from './taps';
import type { LossNetwork } from './types';

/**
 * VGG tap → MobileNetV2 layer. Rule: each VGG stage maps to the MobileNetV2 stage one downsampling deeper (VGG's relu1
 * is full resolution, MobileNetV2 starts at 1/2): relu1_* → 1/2, relu2_* → 1/4, relu3_* → 1/8, relu4_* → 1/16,
 * relu5_* → 1/32. Within a stage, _1 is the first ReLU at that resolution and the last index the deepest one;
 * the ones between are spread over the expand ReLUs in between. Channels (at 224 px): see docs/loss-network.md.
 */
export const MOBILENET_TAP_MAP: Readonly<Record<string, string>> = {
  relu1_1: 'Conv1_relu', // 1/2, 32 ch
  relu1_2: 'block_1_expand_relu', // 1/2, 96 ch
  relu2_1: 'block_1_depthwise_relu', // 1/4, 96 ch
  relu2_2: 'block_3_expand_relu', // 1/4, 144 ch
  relu3_1: 'block_3_depthwise_relu', // 1/8, 144 ch
  relu3_2: 'block_4_expand_relu', // 1/8, 192 ch
  relu3_3: 'block_5_expand_relu', // 1/8, 192 ch
  relu3_4: 'block_6_expand_relu', // 1/8, 192 ch
  relu4_1: 'block_6_depthwise_relu', // 1/16, 192 ch
  relu4_2: 'block_8_expand_relu', // 1/16, 384 ch
  relu4_3: 'block_10_expand_relu', // 1/16, 384 ch
  relu4_4: 'block_13_expand_relu', // 1/16, 576 ch
  relu5_1: 'block_13_depthwise_relu', // 1/32, 576 ch
  relu5_2: 'block_14_expand_relu', // 1/32, 960 ch
  relu5_3: 'block_15_expand_relu', // 1/32, 960 ch
  relu5_4: 'block_16_expand_relu', // 1/32, 960 ch
};

interface BundledModelJson {
  modelTopology: object;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

/** node_modules/nsfwjs/dist/models/mobilenet_v2, found through the package's own entry point. */
export function nsfwjsMobileNetDir(): string {
  let main: string;
  try {
    main = require.resolve('nsfwjs');
  } catch {
    throw new InputError('the MobileNetV2 fallback needs the nsfwjs package, which is not installed: run npm install, or pass --loss-weights');
  }
  // main is …/nsfwjs/dist/cjs/index.js
  return path.join(path.dirname(main), '..', 'models', 'mobilenet_v2');
}

function loadBundled(dir: string): tf.io.ModelArtifacts {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const json = require(path.join(dir, 'model.min.js')) as BundledModelJson;
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const base64 = require(path.join(dir, `${p}.min.js`)) as string;
      buffers.push(Buffer.from(base64, 'base64'));
    }
    weightSpecs.push(...group.weights);
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return { modelTopology: json.modelTopology, weightSpecs, weightData };
}

export class MobileNetFallback implements LossNetwork {
  readonly arch = 'mobilenetv2-fallback' as const;
  readonly availableTaps = Object.keys(MOBILENET_TAP_MAP);
  private readonly subModels = new Map<string, tf.LayersModel>();
  private disposed = false;

  constructor(
    private readonly model: tf.LayersModel,
    readonly description: string,
  ) {
    // Frozen: its weights are Variables (tfjs layers), so keep them out of any optimizer's default variable list.
    model.trainable = false;
  }

  /** A model with one output per requested tap: tfjs runs only the layers those outputs need. */
  private subModelFor(taps: string[]): tf.LayersModel {
    const key = taps.join(',');
    let m = this.subModels.get(key);
    if (!m) {
      const outputs = taps.map((t) => this.model.getLayer(MOBILENET_TAP_MAP[t]).output as tf.SymbolicTensor);
      m = tf.model({ inputs: this.model.inputs, outputs });
      this.subModels.set(key, m);
    }
    return m;
  }

  extract(images: tf.Tensor4D, taps: string[]): Record<string, tf.Tensor4D> {
    if (this.disposed) throw new UsageError('loss network used after dispose()');
    checkTaps(taps, this.availableTaps, this.description);
    const sub = this.subModelFor(taps);
    return tf.tidy(() => {
      // Keras MobileNetV2 ImageNet preprocessing, RGB scaled to -1..1. nsfwjs itself feeds 0..1, but it froze
      // everything up to block_10 while fine-tuning, so the layers behind relu1_1…relu4_3 (and their batch-norm
      // statistics) are ImageNet's, trained on -1..1 inputs.
      const x = tf.sub(tf.div(images, 127.5), 1);
      const raw = sub.apply(x, { training: false });
      const outs = Array.isArray(raw) ? raw : [raw];
      const result: Record<string, tf.Tensor4D> = {};
      taps.forEach((t, i) => (result[t] = outs[i] as tf.Tensor4D));
      return result;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}

export async function loadMobileNetFallback(): Promise<MobileNetFallback> {
  const dir = nsfwjsMobileNetDir();
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = loadBundled(dir);
  } catch (e) {
    throw new InputError(`${dir}: cannot read the MobileNetV2 bundled with nsfwjs (${(e as Error).message.split('\n')[0]})`);
  }
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  return new MobileNetFallback(model, `mobilenetv2-fallback (nsfwjs MobileNetV2, uint8-quantized, VGG taps mapped) from ${dir}`);
}
