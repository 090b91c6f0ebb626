/**
 * Our transformation network (src/nets/transformer.ts) as an ONNX graph, layer by layer, NCHW:
 *
 *   reflection pad      -> Pad mode=reflect (numpy/PyTorch reflect: the edge row is not repeated, like tf.mirrorPad 'reflect')
 *   zero 'SAME', stride 1 -> Conv pads [p,p,p,p] (odd kernel: symmetric)
 *   zero 'SAME', stride 2 -> Conv auto_pad=SAME_UPPER: TF puts the odd extra cell at the END (bottom/right), and how much
 *                          padding there is depends on the parity of H and W, which are dynamic: SAME_UPPER is exactly
 *                          TF's rule, computed by the runtime for each input size
 *   instance norm        -> InstanceNormalization (biased variance, epsilon inside the sqrt: the same definition as ours)
 *   conditional IN (N styles) -> the same, its scale and bias MatMul(style, table): the graph's second input `style` [N]
 *                          (one weight per style; one-hot = one style) times the [N,C] γ/β tables
 *   nearest ×2           -> Resize mode=nearest, scales [1,1,2,2], coordinate_transformation_mode=asymmetric,
 *                          nearest_mode=floor: src = floor(dst / 2), which is tf.image.resizeNearestNeighbor with
 *                          alignCorners=false, halfPixelCenters=false (what tfjs' UpSampling2D runs)
 *   transposed conv 'SAME' ×2 -> ConvTranspose strides 2, pads [0,0,1,1]: TF's SAME transposed conv is the gradient of a
 *                          SAME conv from 2n to n, whose padding is 0 before and 1 after; ONNX crops those from the full
 *                          2n+1 output, giving 2n for every n (no output_padding, no dependence on the input size)
 *   tanh head            -> Tanh, Mul 150, Add 127.5 (softclip head: Mul 1/150 first)
 *   residual head        -> Add of the input and the last conv; the input is first reflection-padded at the bottom
 *                          and right by 3 and Sliced to the conv's (dynamic) H and W, which pads it to 4·⌈H/4⌉ as
 *                          the tfjs layer does for any H (reflecting up to 3 cells needs H, W ≥ 4: the net needs 5)
 *
 * Weights come in PyTorch layout (getTorchStateDict: conv OIHW, ConvTranspose [in,out,kh,kw]), which is ONNX's layout,
 * and keep PyTorch's names, so the graph reads like torch.onnx.export of pytorch/examples' TransformerNet.
 */
import type { TorchTensor } from '../../io/torch-pth';
import { TANH_OFFSET, TANH_SCALE } from '../../nets/output-head';
import { STYLE_WEIGHTS_INPUT } from '../../nets/style-weights';
import { ConvSpec, TransformerConfig, transformerConvSpecs } from '../../nets/transformer';
import { int, ints, OnnxGraphBuilder } from './graph-builder';

/** The lowest opset with Pad's pads as an input and Resize's current signature (both changed in 11, settled in 13). */
export const ONNX_OPSET = 13;
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'output';

export interface TanhHead {
  scale: number;
  offset: number;
  /** x is multiplied by this before the tanh: 1 for 'tanh', 1/scale for 'softclip'. */
  inputScale?: number;
}

export interface TransformerGraphOptions {
  config: TransformerConfig;
  /** PyTorch-named, PyTorch-layout weights (getTorchStateDict). */
  weights: Map<string, TorchTensor>;
  /** The tanh head's constants (output: 'tanh' and 'softclip'). */
  head?: TanhHead;
}

/** Builds the graph into a fresh builder (input `input` [N,3,H,W], output `output` [N,3,4⌈H/4⌉,4⌈W/4⌉], float 0–255). */
export function buildTransformerGraph({ config, weights, head: givenHead }: TransformerGraphOptions): OnnxGraphBuilder {
  const head = givenHead ?? { scale: TANH_SCALE, offset: TANH_OFFSET, inputScale: config.output === 'softclip' ? 1 / TANH_SCALE : 1 };
  const g = new OnnxGraphBuilder('nst_transformer');
  const specs = new Map(transformerConvSpecs(config).map((s) => [s.layer, s]));
  const spec = (layer: string) => specs.get(layer)!;
  const weight = (name: string): TorchTensor => {
    const t = weights.get(name);
    if (!t) throw new Error(`ONNX export: weight ${name} is missing (the weights do not match the config)`);
    return t;
  };
  const init = (name: string) => {
    const t = weight(name);
    return g.addFloatInitializer(name, t.shape, t.data);
  };
  const scope = (s: ConvSpec) => `/${s.torchModule.replace(/\.conv2d$/, '').replace(/\./g, '/')}`;

  const conv = (x: string, s: ConvSpec, stride: number): string => {
    const pad = (s.kernel - 1) / 2;
    const inputs = [x, init(`${s.torchModule}.weight`)];
    if (config.convBias) inputs.push(init(`${s.torchModule}.bias`));
    const attrs: Record<string, ReturnType<typeof ints> | string> = { kernel_shape: ints([s.kernel, s.kernel]), strides: ints([stride, stride]) };
    if (config.padding === 'reflect') {
      if (pad > 0) {
        const pads = g.addInt64Initializer(`${scope(s)}/pads`, [0, 0, pad, pad, 0, 0, pad, pad]);
        inputs[0] = g.node('Pad', [x, pads], { name: `${scope(s)}/Pad`, attrs: { mode: 'reflect' } });
      }
      attrs.pads = ints([0, 0, 0, 0]);
    } else if (stride === 1) {
      attrs.pads = ints([pad, pad, pad, pad]);
    } else {
      attrs.auto_pad = 'SAME_UPPER';
    }
    return g.node('Conv', inputs, { name: `${scope(s)}/Conv`, attrs });
  };

  // Declared right after the image input (below), so the image stays the graph's first input.
  let styleInput: string | undefined;
  /** A norm's γ or β: the initializer, or for a multi-style network the style weights times its [N, C] table. */
  const normParam = (name: string, m: string) =>
    styleInput ? g.node('MatMul', [styleInput, init(name)], { name: `/${m}/${name.endsWith('.weight') ? 'Scale' : 'Bias'}MatMul` }) : init(name);
  const norm = (x: string, s: ConvSpec): string => {
    const m = s.norm!.torchModule;
    return g.node('InstanceNormalization', [x, normParam(`${m}.weight`, m), normParam(`${m}.bias`, m)], {
      name: `/${m}/InstanceNormalization`,
      attrs: { epsilon: config.normEpsilon },
    });
  };
  const relu = (x: string, s: ConvSpec) => g.node('Relu', [x], { name: `${scope(s)}/Relu` });

  const upsample = (x: string, s: ConvSpec): string => {
    if (config.upsample === 'nearest') {
      const scales = g.addFloatInitializer(`${scope(s)}/scales`, [4], Float32Array.of(1, 1, 2, 2));
      const up = g.node('Resize', [x, '', scales], {
        name: `${scope(s)}/Resize`,
        attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
      });
      return conv(up, s, 1);
    }
    const inputs = [x, init(`${s.torchModule}.weight`)];
    if (config.convBias) inputs.push(init(`${s.torchModule}.bias`));
    return g.node('ConvTranspose', inputs, {
      name: `${scope(s)}/ConvTranspose`,
      attrs: { kernel_shape: ints([s.kernel, s.kernel]), strides: ints([2, 2]), pads: ints([0, 0, 1, 1]), group: int(1) },
    });
  };

  const convNormRelu = (x: string, layer: string, stride: number) => {
    const s = spec(layer);
    return relu(norm(conv(x, s, stride), s), s);
  };

  const input = g.addInput(ONNX_INPUT, ['batch', 3, 'height', 'width']);
  if (config.styles > 1) styleInput = g.addInput(STYLE_WEIGHTS_INPUT, [config.styles]);
  let y = convNormRelu(input, 'conv1', 1);
  y = convNormRelu(y, 'conv2', 2);
  y = convNormRelu(y, 'conv3', 2);
  for (let k = 1; k <= config.residualBlocks; k++) {
    const a = convNormRelu(y, `res${k}_conv1`, 1);
    const s2 = spec(`res${k}_conv2`);
    const b = norm(conv(a, s2, 1), s2);
    y = g.node('Add', [y, b], { name: `/res${k}/Add` });
  }
  for (const layer of ['deconv1', 'deconv2']) {
    const s = spec(layer);
    y = relu(norm(upsample(y, s), s), s);
  }
  const last = spec('deconv3');
  y = conv(y, last, 1);
  if (last.norm) y = norm(y, last);
  if (config.output === 'tanh' || config.output === 'softclip') {
    if ((head.inputScale ?? 1) !== 1) y = g.node('Mul', [y, g.addScalar('/head/input_scale', head.inputScale!)], { name: '/head/InputMul' });
    y = g.node('Tanh', [y], { name: '/head/Tanh' });
    y = g.node('Mul', [y, g.addScalar('/head/scale', head.scale)], { name: '/head/Mul' });
    y = g.node('Add', [y, g.addScalar('/head/offset', head.offset)], { name: '/head/Add' });
  }
  if (config.output === 'residual') {
    const pads = g.addInt64Initializer('/head/pads', [0, 0, 0, 0, 0, 0, 3, 3]);
    const padded = g.node('Pad', [input, pads], { name: '/head/Pad', attrs: { mode: 'reflect' } });
    const shape = g.node('Shape', [y], { name: '/head/Shape' });
    const hw = g.node('Slice', [shape, g.addInt64Initializer('/head/hw_start', [2]), g.addInt64Initializer('/head/hw_end', [4])], { name: '/head/SliceShape' });
    const base = g.node('Slice', [padded, g.addInt64Initializer('/head/zeros', [0, 0]), hw, g.addInt64Initializer('/head/axes', [2, 3])], { name: '/head/Slice' });
    y = g.node('Add', [base, y], { name: '/head/Add' });
  }
  g.addOutput(y, ONNX_OUTPUT, ['batch', 3, 'out_height', 'out_width']);
  return g;
}
