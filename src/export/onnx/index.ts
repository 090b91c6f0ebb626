/**
 * ONNX export of our transformation network.
 *
 *   transformerToOnnx(model, config) -> Uint8Array   the .onnx bytes (opset 13, dynamic N/H/W, NCHW float RGB 0–255)
 *
 * Input `input` [N,3,H,W], output `output` [N,3,4⌈H/4⌉,4⌈W/4⌉], both float 0–255 RGB (the output unclamped, as the
 * tfjs model's). See transformer-graph.ts for how each layer maps.
 */
import { tf } from '../../backend/tf';
import { nstVersion } from '../../checkpoint';
import { getTorchStateDict } from '../../nets/torch-mapping';
import type { TransformerConfig } from '../../nets/transformer';
import type { AdainDecoderConfig } from '../../nets/adain';
import type { RawVggWeights } from '../../nets/loss-network/types';
import { buildAdainGraph } from './adain-graph';
import { buildTransformerGraph, ONNX_OPSET, TanhHead } from './transformer-graph';
import { buildTextureNetGraph } from './texture-net-graph';
import { TextureNetConfig, textureNetStride } from '../../nets/texture-net';

export { ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT } from './transformer-graph';
export { ADAIN_ONNX_ALPHA, ADAIN_ONNX_CONTENT, ADAIN_ONNX_OUTPUT, ADAIN_ONNX_STYLE } from './adain-graph';

/** The head constants the model actually uses (the layer's config), so a future head change cannot drift silently. */
function tanhHeadOf(model: tf.LayersModel): TanhHead | undefined {
  const layer = model.layers.find((l) => l.getClassName() === 'NstTanhImageOutput');
  if (!layer) return undefined;
  const c = layer.getConfig() as { scale?: number; offset?: number; inputScale?: number };
  return { scale: c.scale ?? 150, offset: c.offset ?? 127.5, inputScale: c.inputScale ?? 1 };
}

export function transformerToOnnx(model: tf.LayersModel, config: TransformerConfig, metadata: Record<string, string> = {}): Uint8Array {
  const graph = buildTransformerGraph({ config, weights: getTorchStateDict(model, config), head: tanhHeadOf(model) });
  return graph.encode({
    opset: ONNX_OPSET,
    producerVersion: nstVersion(),
    docString: 'nst fast style transfer network: input/output NCHW float RGB 0-255; output size 4*ceil(H/4) x 4*ceil(W/4)',
    metadata: { 'nst.network': JSON.stringify(config), ...metadata },
  });
}

/** The AdaIN model (encoder + AdaIN + decoder) as one graph with two image inputs: see adain-graph.ts. */
export function adainToOnnx(
  decoder: tf.LayersModel,
  config: AdainDecoderConfig,
  encoder: Pick<RawVggWeights, 'convs' | 'preprocessing'>,
  metadata: Record<string, string> = {},
): Uint8Array {
  return buildAdainGraph({ decoder, config, encoder }).encode({
    opset: ONNX_OPSET,
    producerVersion: nstVersion(),
    docString: 'nst AdaIN arbitrary style transfer: inputs content and style NCHW float RGB 0-255 (sides multiples of 4) and alpha [1] (0-1); output NCHW float RGB 0-255',
    metadata: { 'nst.kind': 'adain', 'nst.network': JSON.stringify(config), ...metadata },
  });
}

/** The texture network (see texture-net-graph.ts): input and output [N,3,H,W], sides multiples of 2^(scales-1). */
export function textureNetToOnnx(model: tf.LayersModel, config: TextureNetConfig, metadata: Record<string, string> = {}): Uint8Array {
  const stride = textureNetStride(config);
  return buildTextureNetGraph({ model, config, head: tanhHeadOf(model) }).encode({
    opset: ONNX_OPSET,
    producerVersion: nstVersion(),
    docString: `nst texture network (Ulyanov et al. 2016): input/output NCHW float RGB 0-255, same size; H and W multiples of ${stride}, at least ${2 * stride}`,
    metadata: { 'nst.network': JSON.stringify(config), ...metadata },
  });
}
