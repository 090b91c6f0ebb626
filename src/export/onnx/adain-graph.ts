/**
 * The AdaIN arbitrary-style model (VGG19 encoder + AdaIN + decoder, src/nets/adain) as one ONNX graph, NCHW:
 *
 *   inputs   content [N,3,H,W] and style [N|1,3,Hs,Ws], float RGB 0–255 (H, W multiples of the encoder stride, 4 for
 *            relu3_1, for an output of the same size); alpha [1], the style strength 0…1 (a required input: ONNX Runtime
 *            1.20 ignored a fed value when an initializer of the same name supplied a default)
 *   output   [N,3,H,W] float RGB 0–255, unclamped
 *
 *   preprocessing        -> one 1×1 Conv (the channel flip times the scale; bias = −offset): the same affine map as
 *                           src/nets/loss-network/preprocess.ts
 *   VGG conv 'same' + ReLU -> Conv pads [1,1,1,1] + Relu;   max-pool -> MaxPool 2×2 stride 2 (floor, as tf 'valid')
 *   channel statistics   -> ReduceMean over H, W (keepdims), σ = Sqrt(ReduceMean((x − μ)²) + eps)
 *   AdaIN, alpha         -> (x − μc)/σc · σs + μs, then content + alpha · (target − content)
 *   decoder              -> Pad reflect + Conv + Relu, Resize nearest ×2 (asymmetric, floor: tfjs' UpSampling2D)
 *
 * The encoder's weights are shared by both branches (one set of initializers).
 */
import { tf } from '../../backend/tf';
import { ADAIN_EPSILON, adainDecoderSteps, type AdainDecoderConfig } from '../../nets/adain';
import { affineFor } from '../../nets/loss-network/preprocess';
import type { RawVggWeights } from '../../nets/loss-network/types';
import { HWIO_TO_OIHW, permuteArray } from '../../io/tensor-layout';
import { vggLayout } from '../../nets/loss-network/vgg-layout';
import { ints, OnnxGraphBuilder } from './graph-builder';

export const ADAIN_ONNX_CONTENT = 'content';
export const ADAIN_ONNX_STYLE = 'style';
export const ADAIN_ONNX_ALPHA = 'alpha';
export const ADAIN_ONNX_OUTPUT = 'output';


export interface AdainGraphOptions {
  decoder: tf.LayersModel;
  config: AdainDecoderConfig;
  encoder: Pick<RawVggWeights, 'convs' | 'preprocessing'>;
  eps?: number;
}

export function buildAdainGraph({ decoder, config, encoder, eps = ADAIN_EPSILON }: AdainGraphOptions): OnnxGraphBuilder {
  const g = new OnnxGraphBuilder('nst_adain');
  const content = g.addInput(ADAIN_ONNX_CONTENT, ['batch', 3, 'height', 'width']);
  const style = g.addInput(ADAIN_ONNX_STYLE, ['style_batch', 3, 'style_height', 'style_width']);
  const alpha = g.addInput(ADAIN_ONNX_ALPHA, [1]);

  // Encoder weights, once.
  const { flipToBgr, scale, offset } = affineFor(encoder.preprocessing);
  const pre = new Float32Array(9); // OIHW [3,3,1,1]: out o reads in (flip ? 2 − o : o)
  for (let o = 0; o < 3; o++) pre[o * 3 + (flipToBgr ? 2 - o : o)] = scale[o];
  const preW = g.addFloatInitializer('/encoder/preprocess/weight', [3, 3, 1, 1], pre);
  const preB = g.addFloatInitializer('/encoder/preprocess/bias', [3], Float32Array.from(offset, (v) => -v));
  const layout = vggLayout('vgg19');
  const upTo = layout.findIndex((s) => s.tap === config.encoderLayer);
  const convs = layout.slice(0, upTo + 1).map((spec) => {
    const raw = encoder.convs.get(spec.name);
    if (!raw) throw new Error(`ONNX export: encoder weights lack ${spec.name}`);
    const oihw = raw.layout === 'OIHW' ? raw.kernel : permuteArray(raw.kernel, raw.kernelShape, HWIO_TO_OIHW);
    return {
      spec,
      w: g.addFloatInitializer(`/encoder/${spec.name}/weight`, [spec.outChannels, spec.inChannels, 3, 3], oihw),
      b: g.addFloatInitializer(`/encoder/${spec.name}/bias`, [spec.outChannels], raw.bias),
    };
  });
  const encode = (x: string, branch: string): string => {
    let y = g.node('Conv', [x, preW, preB], { name: `/${branch}/preprocess`, attrs: { kernel_shape: ints([1, 1]) } });
    for (const c of convs) {
      if (c.spec.index === 1 && c.spec.block > 1) {
        y = g.node('MaxPool', [y], { name: `/${branch}/pool${c.spec.block - 1}`, attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) } });
      }
      y = g.node('Conv', [y, c.w, c.b], { name: `/${branch}/${c.spec.name}`, attrs: { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) } });
      y = g.node('Relu', [y], { name: `/${branch}/${c.spec.tap}` });
    }
    return y;
  };
  const epsilon = g.addScalar('/adain/eps', eps);
  const stats = (x: string, branch: string) => {
    const mean = g.node('ReduceMean', [x], { name: `/${branch}/mean`, attrs: { axes: ints([2, 3]), keepdims: { int: 1 } } });
    const centred = g.node('Sub', [x, mean], { name: `/${branch}/centred` });
    const variance = g.node('ReduceMean', [g.node('Mul', [centred, centred], { name: `/${branch}/sq` })], {
      name: `/${branch}/variance`,
      attrs: { axes: ints([2, 3]), keepdims: { int: 1 } },
    });
    const std = g.node('Sqrt', [g.node('Add', [variance, epsilon], { name: `/${branch}/var_eps` })], { name: `/${branch}/std` });
    return { mean, centred, std };
  };

  const fc = encode(content, 'content');
  const fs = encode(style, 'style');
  const c = stats(fc, 'content');
  const s = stats(fs, 'style');
  const normalised = g.node('Div', [c.centred, c.std], { name: '/adain/normalised' });
  const target = g.node('Add', [g.node('Mul', [normalised, s.std], { name: '/adain/scaled' }), s.mean], { name: '/adain/target' });
  const towards = g.node('Mul', [g.node('Sub', [target, fc], { name: '/adain/delta' }), alpha], { name: '/adain/alpha' });
  let y = g.node('Add', [fc, towards], { name: '/adain/blended' });

  // Decoder.
  const pads = g.addInt64Initializer('/decoder/pads', [0, 0, 1, 1, 0, 0, 1, 1]);
  const scales = g.addFloatInitializer('/decoder/scales', [4], Float32Array.of(1, 1, 2, 2));
  for (const step of adainDecoderSteps(config)) {
    if (step.kind === 'up') {
      y = g.node('Resize', [y, '', scales], {
        name: `/decoder/${step.layer}`,
        attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
      });
      continue;
    }
    const [kernel, bias] = decoder.getLayer(step.layer).getWeights();
    const w = g.addFloatInitializer(`${step.layer}.weight`, [step.outChannels, step.inChannels, 3, 3], permuteArray(kernel.dataSync() as Float32Array, kernel.shape, HWIO_TO_OIHW));
    const b = g.addFloatInitializer(`${step.layer}.bias`, [step.outChannels], bias.dataSync() as Float32Array);
    const padded = g.node('Pad', [y, pads], { name: `/decoder/${step.layer}_pad`, attrs: { mode: 'reflect' } });
    y = g.node('Conv', [padded, w, b], { name: `/decoder/${step.layer}`, attrs: { kernel_shape: ints([3, 3]), pads: ints([0, 0, 0, 0]) } });
    if (step.relu) y = g.node('Relu', [y], { name: `/decoder/${step.layer.replace('conv', 'relu')}` });
  }
  g.addOutput(y, ADAIN_ONNX_OUTPUT, ['batch', 3, 'out_height', 'out_width']);
  return g;
}
