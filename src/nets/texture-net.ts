/**
 * Ulyanov, Lebedev, Vedaldi & Lempitsky's texture network ("Texture Networks: Feed-forward Synthesis of Textures and
 * Stylized Images", 2016) — the multi-scale generator — with the instance normalization of Ulyanov, Vedaldi &
 * Lempitsky (2016) in place of batch norm, as a tfjs LayersModel.
 *
 * Input NHWC float RGB 0–255 whose sides are multiples of `textureNetStride(config)` (16 for 5 scales) and at least
 * twice that (the coarsest branch pads its 3×3 convs by reflection: it needs 2 cells); output the same size, 0–255
 * scale, unclamped. src/infer pads other sizes and crops back.
 *
 *   scale k = 0 (full) … K−1 (1/2^(K−1)):  x_k = average-pool 2^k of the photo (k > 0)
 *   branch k:   3×3 conv, IN, ReLU | 3×3 conv, IN, ReLU | 1×1 conv, IN, ReLU           (c channels)
 *   join k (from the coarsest up):  nearest ×2 of the coarser result, IN  ‖  IN of branch k  → concat
 *               then 3×3, 3×3, 1×1 conv blocks (conv, IN, ReLU) at (K−k)·c channels
 *   out:        1×1 conv → 3 channels, then the output head the transformer uses (output-head.ts)
 *
 * Layer names (they key the checkpoint's weights): `s<k>_conv<j>` / `s<k>_in<j>` for the branches,
 * `j<k>_in_up` / `j<k>_in_skip` for the join norms, `j<k>_conv<j>` / `j<k>_in<j>` for the join blocks, `out_conv`.
 * Reflection padding is the transformer's ReflectionPad2D layer (whose op has a correct gradient; tf.mirrorPad's is
 * wrong in tfjs 4.22), so the exports' custom layers cover this net too.
 */
import { z } from 'zod';
import { tf } from '../backend/tf';
import { UsageError } from '../errors';
import { InstanceNorm, ReflectionPad2D } from './layers';
import { applyOutputHead, OUTPUT_HEADS } from './output-head';
import { layerSeeds } from './seeds';
// Its gradient replaces tfjs' JS one, which is wrong past the first image of a batch.
import './ops/resize-nearest';

export const TEXTURE_NET_ARCH = 'texture-net' as const;

export const TextureNetConfig = z
  .object({
    /** Marks the config as this architecture's (a transformer config has no `arch`: old checkpoints stay valid). */
    arch: z.literal(TEXTURE_NET_ARCH),
    /** Number of resolutions: 1, 1/2, … 1/2^(scales−1) (Ulyanov et al. use 5 for stylization). */
    scales: z.number().int().min(1).max(7).default(5),
    /** Channels of each branch (8 in the paper); a join at scale k has (scales − k) × channels. */
    channels: z.number().int().min(1).max(128).default(8),
    convBias: z.boolean().default(true),
    normEpsilon: z.number().positive().max(1).default(1e-5),
    output: z.enum(OUTPUT_HEADS).default('softclip'),
  })
  .strict();

export type TextureNetConfig = z.infer<typeof TextureNetConfig>;
export type TextureNetConfigInput = z.input<typeof TextureNetConfig>;

export function parseTextureNetConfig(input: unknown, where = 'network config'): TextureNetConfig {
  const r = TextureNetConfig.safeParse(input ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new UsageError(`${where}: invalid texture-net config (${issues})`);
  }
  return r.data;
}

/** Input sides must be multiples of this: the coarsest branch sees the photo average-pooled by it. */
export function textureNetStride(config: Pick<TextureNetConfig, 'scales'>): number {
  return 2 ** (config.scales - 1);
}

/** Smallest input side: the coarsest branch's reflection padding (1 cell) needs 2 cells there. */
export function textureNetMinSide(config: Pick<TextureNetConfig, 'scales'>): number {
  return 2 * textureNetStride(config);
}

/** One conv of the net with its norm (every conv but `out_conv` is followed by IN and ReLU). */
export interface TextureConvSpec {
  layer: string;
  norm?: string;
  kernel: number;
  inChannels: number;
  outChannels: number;
}

const BLOCK_KERNELS = [3, 3, 1] as const;

function block(prefix: string, inChannels: number, channels: number): TextureConvSpec[] {
  return BLOCK_KERNELS.map((kernel, i) => ({
    layer: `${prefix}_conv${i + 1}`,
    norm: `${prefix}_in${i + 1}`,
    kernel,
    inChannels: i === 0 ? inChannels : channels,
    outChannels: channels,
  }));
}

/** The convolutions in build order: branches coarsest first, then each join from coarse to fine, then out_conv. */
export function textureNetConvSpecs(config: TextureNetConfig): TextureConvSpec[] {
  const { scales: K, channels: c } = config;
  const specs: TextureConvSpec[] = [];
  for (let k = K - 1; k >= 0; k--) specs.push(...block(`s${k}`, 3, c));
  for (let k = K - 2; k >= 0; k--) specs.push(...block(`j${k}`, (K - k) * c, (K - k) * c));
  specs.push({ layer: 'out_conv', kernel: 1, inChannels: K * c, outChannels: 3 });
  return specs;
}

/** Every weight, as checkpoints store it (`<layer>/<weight>`), with its tfjs shape. */
export function textureNetWeightSpecs(config: TextureNetConfig): Array<{ name: string; shape: number[] }> {
  const out: Array<{ name: string; shape: number[] }> = [];
  const normWeights = (layer: string, ch: number) => out.push({ name: `${layer}/gamma`, shape: [ch] }, { name: `${layer}/beta`, shape: [ch] });
  const { scales: K, channels: c } = config;
  for (const s of textureNetConvSpecs(config)) {
    out.push({ name: `${s.layer}/kernel`, shape: [s.kernel, s.kernel, s.inChannels, s.outChannels] });
    if (config.convBias) out.push({ name: `${s.layer}/bias`, shape: [s.outChannels] });
    if (s.norm) normWeights(s.norm, s.outChannels);
    // The join norms come right before their block: the upsampled coarser path and the branch it meets.
    const join = /^j(\d+)_conv1$/.exec(s.layer);
    if (join) {
      const k = Number(join[1]);
      normWeights(`j${k}_in_up`, (K - k - 1) * c);
      normWeights(`j${k}_in_skip`, c);
    }
  }
  return out;
}

/** Learned parameters of a config (weights and norms). */
export function textureNetParamCount(config: TextureNetConfig): number {
  return textureNetWeightSpecs(config).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
}

type SymbolicTensor = tf.SymbolicTensor;

/** Builds the network (fresh weights; with `seed`, every kernel's initializer is seeded, one seed per conv). */
export function buildTextureNet(configInput: TextureNetConfigInput | TextureNetConfig, options: { seed?: number } = {}): tf.LayersModel {
  const config = parseTextureNetConfig(configInput);
  const seeds = layerSeeds(options.seed);
  const { scales: K } = config;
  const norm = (x: SymbolicTensor, name: string) => new InstanceNorm({ name, epsilon: config.normEpsilon }).apply(x) as SymbolicTensor;
  const conv = (x: SymbolicTensor, s: TextureConvSpec, kernelInitializer = tf.initializers.glorotUniform({ seed: seeds() })) => {
    const pad = (s.kernel - 1) / 2;
    const y = pad > 0 ? (new ReflectionPad2D({ padding: pad, name: `${s.layer}_pad` }).apply(x) as SymbolicTensor) : x;
    return tf.layers
      .conv2d({ name: s.layer, filters: s.outChannels, kernelSize: s.kernel, padding: 'valid', useBias: config.convBias, kernelInitializer })
      .apply(y) as SymbolicTensor;
  };
  const specs = textureNetConvSpecs(config);
  const runBlock = (x: SymbolicTensor, prefix: string) => {
    let y = x;
    for (const s of specs.filter((t) => t.layer.startsWith(`${prefix}_conv`))) {
      y = tf.layers.reLU({ name: `${s.layer}_relu` }).apply(norm(conv(y, s), s.norm!)) as SymbolicTensor;
    }
    return y;
  };

  const input = tf.input({ shape: [null, null, 3], name: 'image', dtype: 'float32' });
  const branches: SymbolicTensor[] = [];
  for (let k = K - 1; k >= 0; k--) {
    const f = 2 ** k;
    const x = k === 0 ? input : (tf.layers.averagePooling2d({ name: `s${k}_pool`, poolSize: f, strides: f, padding: 'valid' }).apply(input) as SymbolicTensor);
    branches[k] = runBlock(x, `s${k}`);
  }
  let y = branches[K - 1];
  for (let k = K - 2; k >= 0; k--) {
    const up = tf.layers.upSampling2d({ name: `j${k}_up`, size: [2, 2], interpolation: 'nearest' }).apply(y) as SymbolicTensor;
    const joined = tf.layers.concatenate({ name: `j${k}_concat`, axis: -1 }).apply([norm(up, `j${k}_in_up`), norm(branches[k], `j${k}_in_skip`)]) as SymbolicTensor;
    y = runBlock(joined, `j${k}`);
  }
  // A small last kernel (as the transformer's) so a fresh net starts near the head's starting image.
  const last = specs[specs.length - 1];
  y = conv(y, last, tf.initializers.varianceScaling({ scale: 0.01, mode: 'fanAvg', distribution: 'uniform', seed: seeds() }));
  const lastConv = y.sourceLayer as tf.layers.Layer;
  y = applyOutputHead(config.output, y, lastConv, input, true);
  return tf.model({ inputs: input, outputs: y, name: 'texture_net' });
}
