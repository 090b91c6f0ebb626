/**
 * A frozen VGG feature extractor over weights held as plain tensors (not Variables, so no optimizer ever sees them).
 * The forward pass is plain tf ops, hence differentiable w.r.t. the input images, and stops at the deepest tap asked for.
 */
import { tf } from '../../backend/tf';
import { InputError, UsageError } from '../../errors';
import { OIHW_TO_HWIO, permuteArray } from '../../io/tensor-layout';
import { preprocess } from './preprocess';
import { createNetworkPlan, networkPlanAddon, NetworkPlan, NetworkPlanInfo, PlanOp } from '../../backend/native/network-plan';
import { checkTaps } from './taps';
import type { LossNetwork, RawConv, RawVggWeights } from './types';
import { VggArch, VggConvSpec, vggLayout } from './vgg-layout';

interface ConvTensors {
  spec: VggConvSpec;
  kernel: tf.Tensor4D; // HWIO
  bias: tf.Tensor1D;
}

/**
 * The usable prefix of the layout: convs present in the file, in order, stopping at the first absent one
 * (a truncated file cannot serve anything past its first gap).
 */
export function presentPrefix(arch: VggArch, convs: Map<string, RawConv>): VggConvSpec[] {
  const out: VggConvSpec[] = [];
  for (const spec of vggLayout(arch)) {
    if (!convs.has(spec.name)) break;
    out.push(spec);
  }
  return out;
}

function toKernelTensor(raw: RawConv, spec: VggConvSpec, source: string): tf.Tensor4D {
  const hwio = [3, 3, spec.inChannels, spec.outChannels];
  const oihw = [spec.outChannels, spec.inChannels, 3, 3];
  const expected = raw.layout === 'HWIO' ? hwio : oihw;
  if (raw.kernelShape.join(',') !== expected.join(',')) {
    throw new InputError(
      `${source}: ${spec.name} kernel has shape [${raw.kernelShape}], expected [${expected}] (${raw.layout}) — not ImageNet VGG weights?`,
    );
  }
  if (raw.bias.length !== spec.outChannels) {
    throw new InputError(`${source}: ${spec.name} bias has ${raw.bias.length} values, expected ${spec.outChannels}`);
  }
  const data = raw.layout === 'HWIO' ? raw.kernel : permuteArray(raw.kernel, raw.kernelShape, OIHW_TO_HWIO);
  return tf.tensor4d(data, hwio as [number, number, number, number]);
}

export class VggFeatureExtractor implements LossNetwork {
  readonly availableTaps: string[];
  readonly preprocessing: RawVggWeights['preprocessing'];
  private readonly layers: ConvTensors[];
  private disposed = false;
  private readonly plans = new Map<string, NetworkPlan>();

  constructor(
    readonly arch: VggArch,
    /** The raw weights it was built from (exporters write them into other formats). */
    readonly weights: Pick<RawVggWeights, 'preprocessing' | 'convs'>,
    readonly description: string,
    source: string,
  ) {
    const prefix = presentPrefix(arch, weights.convs);
    if (prefix.length === 0) throw new InputError(`${source}: no VGG convolution weights found (expected block1_conv1 first)`);
    this.layers = prefix.map((spec) => {
      const raw = weights.convs.get(spec.name)!;
      return { spec, kernel: toKernelTensor(raw, spec, source), bias: tf.tensor1d(raw.bias) };
    });
    this.availableTaps = prefix.map((s) => s.tap);
    this.preprocessing = weights.preprocessing;
  }

  extract(images: tf.Tensor4D, taps: string[]): Record<string, tf.Tensor4D> {
    if (this.disposed) throw new UsageError('loss network used after dispose()');
    checkTaps(taps, this.availableTaps, this.description);
    if (images.rank !== 4 || images.shape[3] !== 3) {
      throw new UsageError(`loss network input must be NHWC with 3 channels, got shape [${images.shape}]`);
    }
    const wanted = new Set(taps);
    const deepest = Math.max(...taps.map((t) => this.availableTaps.indexOf(t)));
    return tf.tidy(() => {
      const out: Record<string, tf.Tensor4D> = {};
      let x = preprocess(images, this.weights.preprocessing);
      for (let i = 0; i <= deepest; i++) {
        const { spec, kernel, bias } = this.layers[i];
        // A max-pool closes every block; VGG pools before the first conv of the next block.
        if (i > 0 && spec.index === 1) x = tf.maxPool(x, 2, 2, 'valid');
        // One fused kernel (conv + bias + ReLU) instead of three passes over the activations.
        x = tf.fused.conv2d({ x, filter: kernel, strides: 1, pad: 'same', bias, activation: 'relu' }) as tf.Tensor4D;
        if (wanted.has(spec.tap)) out[spec.tap] = x;
      }
      return out;
    });
  }

  encode(images: tf.Tensor4D, tap: string): tf.Tensor4D {
    if (this.disposed) throw new UsageError('loss network used after dispose()');
    checkTaps([tap], this.availableTaps, this.description);
    const plan = images.rank === 4 && images.shape[3] === 3 ? this.planTo(tap) : undefined;
    if (!plan) return tf.tidy(() => this.extract(images, [tap])[tap]);
    return tf.tidy(() => plan.run(preprocess(images, this.weights.preprocessing)));
  }

  /**
   * What `encode(…, tap)` runs on after it has run once: the native plan's lanes and oneDNN implementations, or undefined
   * when it runs layer by layer (for diagnostics: bench, the plan tests' check that no step is a reference kernel).
   */
  encodePlanInfo(tap: string): NetworkPlanInfo | undefined {
    return this.plans.get(tap)?.info();
  }

  /** The native plan from the preprocessed image to `tap` (cached: the weights are constants), or undefined. */
  private planTo(tap: string): NetworkPlan | undefined {
    const addon = networkPlanAddon();
    if (!addon) return undefined;
    const cached = this.plans.get(tap);
    if (cached) return cached;
    const ops: PlanOp[] = [];
    for (let i = 0; i <= this.availableTaps.indexOf(tap); i++) {
      const { spec, kernel, bias } = this.layers[i];
      if (i > 0 && spec.index === 1) ops.push({ kind: 'maxpool' });
      ops.push({
        kind: 'conv',
        kernel: 3,
        stride: 1,
        pad: 1,
        reflect: false,
        inChannels: spec.inChannels,
        outChannels: spec.outChannels,
        weights: kernel.dataSync() as Float32Array,
        bias: bias.dataSync() as Float32Array,
        relu: true,
      });
    }
    const plan = createNetworkPlan(ops, addon);
    if (plan) this.plans.set(tap, plan);
    return plan;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.plans.values()) p.dispose();
    this.plans.clear();
    for (const l of this.layers) {
      l.kernel.dispose();
      l.bias.dispose();
    }
  }
}
