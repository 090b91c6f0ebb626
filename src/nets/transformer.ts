/**
 * Johnson et al.'s transformation network ("Perceptual Losses for Real-Time Style Transfer", 2016) as a tfjs
 * LayersModel, configurable to match both pytorch/examples fast_neural_style and Engstrom's fast-style-transfer.
 *
 * Input NHWC float RGB 0–255, any H and W ([null, null, null, 3]); output NHWC 0–255 scale, unclamped, of size
 * 4·ceil(H/4) × 4·ceil(W/4) (two stride-2 convs, two ×2 upsamplings: pad inputs to a multiple of 4 to keep the size),
 * at least 5×5 pixels (reflection padding of the 9×9 convs):
 *   conv1 9×9 3→c1, IN, ReLU | conv2 3×3 s2 c1→c2, IN, ReLU | conv3 3×3 s2 c2→c3, IN, ReLU
 *   res1..resN: conv, IN, ReLU, conv, IN, + input
 *   deconv1 ×2 c3→c2, IN, ReLU | deconv2 ×2 c2→c1, IN, ReLU | deconv3 9×9 c1→3 [, IN (outputNorm)], output head
 * (output-head.ts: tanh, softclip, linear or residual).
 * with c1, c2, c3 = 32, 64, 128 × width.
 *
 * Layer and weight names are stable (they key checkpoints and the PyTorch mapping; see docs/checkpoint-format.md):
 * conv layers `conv1..3`, `resK_conv1/2`, `deconv1..3` carry `kernel` [+ `bias`]; norms `in1..5`, `resK_in1/2`,
 * `in6` (outputNorm only) carry `gamma`, `beta`. A saved weight is `<layer>/<weight>`, e.g. `res2_in1/gamma`
 * (LayerVariable.originalName; `.name` may get a `_1` suffix when several models live in one process).
 */
import { z } from 'zod';
import { tf } from '../backend/tf';
import { UsageError } from '../errors';
import { ConditionalInstanceNorm, InstanceNorm, ReflectionPad2D } from './layers';
import { applyOutputHead, OUTPUT_HEADS } from './output-head';
import { layerSeeds } from './seeds';
// Its gradient replaces tfjs' JS one, which is wrong past the first image of a batch.
import './ops/resize-nearest';

/** The most styles one network holds (a bound for validation: γ/β cost 2·N·C floats per norm). */
export const MAX_STYLES = 256;

export const TransformerConfig = z
  .object({
    /** 'nearest': nearest-neighbour ×2 then a 3×3 conv (no checkerboard); 'transposed': 3×3 stride-2 transposed conv. */
    upsample: z.enum(['nearest', 'transposed']).default('nearest'),
    /** 'reflect': reflection padding + valid conv (no dark borders); 'zero': TF 'SAME' zero padding (Engstrom). */
    padding: z.enum(['reflect', 'zero']).default('reflect'),
    /** Biases on the convolutions (pytorch/examples has them; Engstrom not). Before an IN they have no effect. */
    convBias: z.boolean().default(true),
    /** Instance-norm epsilon: PyTorch 1e-5, Engstrom 1e-3. */
    normEpsilon: z.number().positive().max(1).default(1e-5),
    /**
     * The output head (output-head.ts): 'tanh' tanh(x)·150 + 127.5 (Engstrom), 'softclip' tanh(x/150)·150 + 127.5,
     * 'linear' the last conv (bias started at mid-grey), 'residual' input + last conv. The default is 'tanh' because a
     * config without the field (an nst.json written before the other heads existed) means it; `nst train` picks its
     * own head for new runs (src/train/deps.ts).
     */
    output: z.enum(OUTPUT_HEADS).default('tanh'),
    /** Instance norm after the last conv too (Engstrom's nets have it; pytorch/examples not). */
    outputNorm: z.boolean().default(false),
    /** Channel multiplier: 32/64/128 × width (e.g. 0.5 for slim, fast nets). */
    width: z.number().positive().max(8).default(1),
    /** Number of residual blocks (5 in both reference nets). */
    residualBlocks: z.number().int().min(0).max(16).default(5),
    /**
     * Styles the network serves (conditional instance norm, Dumoulin et al. 2017): with N > 1 every norm holds one
     * γ/β row per style ([N, C] weights, src/nets/layers/conditional-instance-norm.ts). 1 = the plain network.
     */
    styles: z.number().int().min(1).max(MAX_STYLES).default(1),
  })
  .strict();

/** A validated, complete network config (every field present). */
export type TransformerConfig = z.infer<typeof TransformerConfig>;
/** What callers may pass: any subset; missing fields take the defaults. */
export type TransformerConfigInput = z.input<typeof TransformerConfig>;

/** pytorch/examples fast_neural_style TransformerNet. */
export const PYTORCH_EXAMPLES_CONFIG: TransformerConfig = Object.freeze({
  upsample: 'nearest',
  padding: 'reflect',
  convBias: true,
  normEpsilon: 1e-5,
  output: 'linear',
  outputNorm: false,
  width: 1,
  residualBlocks: 5,
  styles: 1,
});

/** Engstrom's fast-style-transfer (and the deeplearn.js / ml5 ports of it). */
export const ENGSTROM_CONFIG: TransformerConfig = Object.freeze({
  upsample: 'transposed',
  padding: 'zero',
  convBias: false,
  normEpsilon: 1e-3,
  output: 'tanh',
  outputNorm: true,
  width: 1,
  residualBlocks: 5,
  styles: 1,
});

/** Validates a config once, at the boundary; `where` names its origin (a file, an option) in the error. */
export function parseTransformerConfig(input: unknown, where = 'network config'): TransformerConfig {
  const r = TransformerConfig.safeParse(input ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new UsageError(`${where}: invalid transformer config (${issues})`);
  }
  return r.data;
}

export interface TransformerChannels {
  c1: number;
  c2: number;
  c3: number;
}

export function transformerChannels(config: TransformerConfig): TransformerChannels {
  const scaled = (n: number) => Math.max(1, Math.round(n * config.width));
  return { c1: scaled(32), c2: scaled(64), c3: scaled(128) };
}

/** How a conv's kernel is stored, which fixes its PyTorch counterpart's layout. */
export type ConvKind = 'conv' | 'convTranspose';

/** One convolution of the net, in order: what the builder makes and what the PyTorch mapping walks. */
export interface ConvSpec {
  /** tfjs layer name, e.g. 'res1_conv2'. */
  layer: string;
  /** PyTorch module path of the conv, e.g. 'res1.conv2.conv2d'. */
  torchModule: string;
  kind: ConvKind;
  kernel: number;
  inChannels: number;
  outChannels: number;
  /** The norm that follows (tfjs layer, PyTorch module), or undefined for the last conv without outputNorm. */
  norm?: { layer: string; torchModule: string };
}

/** The convolutions and norms of the net for a config, in forward order. */
export function transformerConvSpecs(config: TransformerConfig): ConvSpec[] {
  const { c1, c2, c3 } = transformerChannels(config);
  const up: ConvKind = config.upsample === 'transposed' ? 'convTranspose' : 'conv';
  const specs: ConvSpec[] = [
    { layer: 'conv1', torchModule: 'conv1.conv2d', kind: 'conv', kernel: 9, inChannels: 3, outChannels: c1, norm: { layer: 'in1', torchModule: 'in1' } },
    { layer: 'conv2', torchModule: 'conv2.conv2d', kind: 'conv', kernel: 3, inChannels: c1, outChannels: c2, norm: { layer: 'in2', torchModule: 'in2' } },
    { layer: 'conv3', torchModule: 'conv3.conv2d', kind: 'conv', kernel: 3, inChannels: c2, outChannels: c3, norm: { layer: 'in3', torchModule: 'in3' } },
  ];
  for (let k = 1; k <= config.residualBlocks; k++) {
    for (const j of [1, 2]) {
      specs.push({
        layer: `res${k}_conv${j}`,
        torchModule: `res${k}.conv${j}.conv2d`,
        kind: 'conv',
        kernel: 3,
        inChannels: c3,
        outChannels: c3,
        norm: { layer: `res${k}_in${j}`, torchModule: `res${k}.in${j}` },
      });
    }
  }
  specs.push(
    { layer: 'deconv1', torchModule: 'deconv1.conv2d', kind: up, kernel: 3, inChannels: c3, outChannels: c2, norm: { layer: 'in4', torchModule: 'in4' } },
    { layer: 'deconv2', torchModule: 'deconv2.conv2d', kind: up, kernel: 3, inChannels: c2, outChannels: c1, norm: { layer: 'in5', torchModule: 'in5' } },
    {
      layer: 'deconv3',
      torchModule: 'deconv3.conv2d',
      kind: 'conv',
      kernel: 9,
      inChannels: c1,
      outChannels: 3,
      norm: config.outputNorm ? { layer: 'in6', torchModule: 'in6' } : undefined,
    },
  );
  return specs;
}

/** Every weight the net has for `config`, in forward order: saved name (`<layer>/<weight>`) and tfjs shape. */
export function transformerWeightSpecs(config: TransformerConfig): Array<{ name: string; shape: number[] }> {
  const out: Array<{ name: string; shape: number[] }> = [];
  for (const s of transformerConvSpecs(config)) {
    const k = s.kernel;
    out.push({ name: `${s.layer}/kernel`, shape: s.kind === 'conv' ? [k, k, s.inChannels, s.outChannels] : [k, k, s.outChannels, s.inChannels] });
    if (config.convBias) out.push({ name: `${s.layer}/bias`, shape: [s.outChannels] });
    if (s.norm) out.push({ name: `${s.norm.layer}/gamma`, shape: normWeightShape(config, s.outChannels) }, { name: `${s.norm.layer}/beta`, shape: normWeightShape(config, s.outChannels) });
  }
  return out;
}

/** A norm's γ (or β): [C], or one row per style, [N, C], in a multi-style network. */
export function normWeightShape(config: Pick<TransformerConfig, 'styles'>, channels: number): number[] {
  return config.styles > 1 ? [config.styles, channels] : [channels];
}

type SymbolicTensor = tf.SymbolicTensor;
type Initializer = ReturnType<typeof tf.initializers.varianceScaling>;

/**
 * Builds the network (fresh weights). The config is validated here; pass a parsed one or any partial input. With a
 * `seed`, every kernel's initializer is seeded (one seed per conv, in build order), so the weights are a function of it.
 */
export function buildTransformer(configInput: TransformerConfigInput | TransformerConfig = {}, options: { seed?: number } = {}): tf.LayersModel {
  const config = parseTransformerConfig(configInput);
  const seeds = layerSeeds(options.seed);
  const specs = new Map(transformerConvSpecs(config).map((s) => [s.layer, s]));
  const spec = (name: string) => specs.get(name)!;

  const conv = (x: SymbolicTensor, s: ConvSpec, stride: number, kernelInitializer: Initializer = tf.initializers.glorotUniform({ seed: seeds() })) => {
    const pad = (s.kernel - 1) / 2;
    let y = x;
    if (config.padding === 'reflect' && pad > 0) {
      y = new ReflectionPad2D({ padding: pad, name: `${s.layer}_pad` }).apply(y) as SymbolicTensor;
    }
    return tf.layers
      .conv2d({
        name: s.layer,
        filters: s.outChannels,
        kernelSize: s.kernel,
        strides: stride,
        padding: config.padding === 'reflect' ? 'valid' : 'same',
        useBias: config.convBias,
        kernelInitializer,
      })
      .apply(y) as SymbolicTensor;
  };
  const norm = (x: SymbolicTensor, s: ConvSpec) =>
    (config.styles > 1
      ? new ConditionalInstanceNorm({ name: s.norm!.layer, epsilon: config.normEpsilon, styles: config.styles })
      : new InstanceNorm({ name: s.norm!.layer, epsilon: config.normEpsilon })
    ).apply(x) as SymbolicTensor;
  const relu = (x: SymbolicTensor, name: string) => tf.layers.reLU({ name }).apply(x) as SymbolicTensor;
  const convNormRelu = (x: SymbolicTensor, name: string, stride: number, reluName: string) =>
    relu(norm(conv(x, spec(name), stride), spec(name)), reluName);

  const upsample = (x: SymbolicTensor, s: ConvSpec) => {
    if (config.upsample === 'nearest') {
      const up = tf.layers.upSampling2d({ name: `${s.layer}_up`, size: [2, 2], interpolation: 'nearest' }).apply(x) as SymbolicTensor;
      return conv(up, s, 1);
    }
    // TF 'SAME' transposed conv (as Engstrom): output exactly 2× the input; the padding setting does not apply.
    return tf.layers
      .conv2dTranspose({
        name: s.layer,
        filters: s.outChannels,
        kernelSize: s.kernel,
        strides: 2,
        padding: 'same',
        useBias: config.convBias,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seeds() }),
      })
      .apply(x) as SymbolicTensor;
  };

  const input = tf.input({ shape: [null, null, 3], name: 'image', dtype: 'float32' });
  let y = convNormRelu(input, 'conv1', 1, 'relu1');
  y = convNormRelu(y, 'conv2', 2, 'relu2');
  y = convNormRelu(y, 'conv3', 2, 'relu3');
  for (let k = 1; k <= config.residualBlocks; k++) {
    const a = convNormRelu(y, `res${k}_conv1`, 1, `res${k}_relu`);
    const b = norm(conv(a, spec(`res${k}_conv2`), 1), spec(`res${k}_conv2`));
    y = tf.layers.add({ name: `res${k}_add` }).apply([y, b]) as SymbolicTensor;
  }
  y = relu(norm(upsample(y, spec('deconv1')), spec('deconv1')), 'relu4');
  y = relu(norm(upsample(y, spec('deconv2')), spec('deconv2')), 'relu5');
  // A small last kernel (1/10 of Glorot's std) so a fresh net starts near the head's starting image (flat mid-grey, or
  // the photo for the residual head) rather than saturating tanh or spraying noise.
  const last = spec('deconv3');
  y = conv(y, last, 1, tf.initializers.varianceScaling({ scale: 0.01, mode: 'fanAvg', distribution: 'uniform', seed: seeds() }));
  const lastConv = y.sourceLayer as tf.layers.Layer;
  if (last.norm) y = norm(y, last);
  y = applyOutputHead(config.output, y, lastConv, input, !last.norm);
  return tf.model({ inputs: input, outputs: y, name: 'transformer' });
}
