/**
 * The texture network (src/nets/texture-net.ts) as an ONNX graph, NCHW, with the transformer graph's mappings
 * (transformer-graph.ts) for what the two share — reflection Pad, Conv, InstanceNormalization, nearest Resize, the
 * tanh/softclip heads — plus:
 *
 *   average pooling 2^k   -> AveragePool kernel = strides = 2^k, no padding (tfjs 'valid'; the sides are multiples)
 *   channel concatenation -> Concat axis 1 (NHWC's last axis is NCHW's channel axis)
 *   residual head         -> Add of the input and the last conv (the net keeps the input's size, no pad needed)
 *
 * Weights are read off the tfjs layers and transposed to ONNX's layout (kernel HWIO → OIHW); initializers keep the
 * tfjs layer names.
 */
import { tf } from '../../backend/tf';
import { TANH_OFFSET, TANH_SCALE } from '../../nets/output-head';
import { TextureNetConfig, textureNetConvSpecs, TextureConvSpec } from '../../nets/texture-net';
import { ints, OnnxGraphBuilder } from './graph-builder';
import { ONNX_INPUT, ONNX_OUTPUT, TanhHead } from './transformer-graph';

export interface TextureNetGraphOptions {
  model: tf.LayersModel;
  config: TextureNetConfig;
  head?: TanhHead;
}

function layerWeights(model: tf.LayersModel, layer: string): tf.Tensor[] {
  return model.getLayer(layer).getWeights();
}

export function buildTextureNetGraph({ model, config, head: givenHead }: TextureNetGraphOptions): OnnxGraphBuilder {
  const head = givenHead ?? { scale: TANH_SCALE, offset: TANH_OFFSET, inputScale: config.output === 'softclip' ? 1 / TANH_SCALE : 1 };
  const g = new OnnxGraphBuilder('nst_texture_net');
  const specs = textureNetConvSpecs(config);

  const conv = (x: string, s: TextureConvSpec): string => {
    const [kernel, bias] = layerWeights(model, s.layer);
    const oihw = tf.tidy(() => tf.transpose(kernel, [3, 2, 0, 1]));
    const inputs = [x, g.addFloatInitializer(`${s.layer}.weight`, oihw.shape, oihw.dataSync() as Float32Array)];
    oihw.dispose();
    if (config.convBias) inputs.push(g.addFloatInitializer(`${s.layer}.bias`, bias.shape, bias.dataSync() as Float32Array));
    const pad = (s.kernel - 1) / 2;
    if (pad > 0) {
      const pads = g.addInt64Initializer(`/${s.layer}/pads`, [0, 0, pad, pad, 0, 0, pad, pad]);
      inputs[0] = g.node('Pad', [x, pads], { name: `/${s.layer}/Pad`, attrs: { mode: 'reflect' } });
    }
    return g.node('Conv', inputs, { name: `/${s.layer}/Conv`, attrs: { kernel_shape: ints([s.kernel, s.kernel]), strides: ints([1, 1]), pads: ints([0, 0, 0, 0]) } });
  };
  const norm = (x: string, layer: string): string => {
    const [gamma, beta] = layerWeights(model, layer);
    const epsilon = (model.getLayer(layer).getConfig() as { epsilon: number }).epsilon;
    return g.node(
      'InstanceNormalization',
      [x, g.addFloatInitializer(`${layer}.weight`, gamma.shape, gamma.dataSync() as Float32Array), g.addFloatInitializer(`${layer}.bias`, beta.shape, beta.dataSync() as Float32Array)],
      { name: `/${layer}/InstanceNormalization`, attrs: { epsilon } },
    );
  };
  const runBlock = (x: string, prefix: string): string => {
    let y = x;
    for (const s of specs.filter((t) => t.layer.startsWith(`${prefix}_conv`))) y = g.node('Relu', [norm(conv(y, s), s.norm!)], { name: `/${s.layer}/Relu` });
    return y;
  };

  const input = g.addInput(ONNX_INPUT, ['batch', 3, 'height', 'width']);
  const K = config.scales;
  const branches: string[] = [];
  for (let k = K - 1; k >= 0; k--) {
    const f = 2 ** k;
    const x = k === 0 ? input : g.node('AveragePool', [input], { name: `/s${k}/AveragePool`, attrs: { kernel_shape: ints([f, f]), strides: ints([f, f]) } });
    branches[k] = runBlock(x, `s${k}`);
  }
  let y = branches[K - 1];
  for (let k = K - 2; k >= 0; k--) {
    const scales = g.addFloatInitializer(`/j${k}/scales`, [4], Float32Array.of(1, 1, 2, 2));
    const up = g.node('Resize', [y, '', scales], {
      name: `/j${k}/Resize`,
      attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
    });
    const joined = g.node('Concat', [norm(up, `j${k}_in_up`), norm(branches[k], `j${k}_in_skip`)], { name: `/j${k}/Concat`, attrs: { axis: { int: 1 } } });
    y = runBlock(joined, `j${k}`);
  }
  y = conv(y, specs[specs.length - 1]);
  if (config.output === 'tanh' || config.output === 'softclip') {
    if ((head.inputScale ?? 1) !== 1) y = g.node('Mul', [y, g.addScalar('/head/input_scale', head.inputScale!)], { name: '/head/InputMul' });
    y = g.node('Tanh', [y], { name: '/head/Tanh' });
    y = g.node('Mul', [y, g.addScalar('/head/scale', head.scale)], { name: '/head/Mul' });
    y = g.node('Add', [y, g.addScalar('/head/offset', head.offset)], { name: '/head/Add' });
  }
  if (config.output === 'residual') y = g.node('Add', [input, y], { name: '/head/Add' });
  g.addOutput(y, ONNX_OUTPUT, ['batch', 3, 'height', 'width']);
  return g;
}
