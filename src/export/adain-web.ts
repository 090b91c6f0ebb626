/**
 * TensorFlow.js web export of an AdaIN (arbitrary-style) model: the folder a page loads to stylize with any style image.
 *
 *   model.json, weights.bin     the decoder: the checkpoint's own layers model (as for per-style nets), with
 *                               userDefinedMetadata.nst = { kind: 'adain', network, encoder, adain, quantization, io }
 *   encoder.json, encoder.bin   the frozen VGG19 up to the decoder's layer as a plain tfjs layers model (standard
 *                               layers only: the preprocessing as one 1×1 conv, 3×3 'same' convs + ReLU, max-pools)
 *   nst-layers.js               the custom layers (src/export/browser-layers.ts)
 *   nst-adain.js                the AdaIN glue: style statistics, AdaIN, alpha (src/export/browser-adain.ts)
 *
 * Why two models and a module rather than one graph: the style's statistics are computed once per style and reused
 * for every photo and every alpha (the page's slider re-runs only the photo), and both models stay standard layers
 * models that tfjs (and nst, in Node) load without a converter. model.json stays the entry point, so the demo page,
 * web/serve.js' model list and ?model= work as for per-style exports.
 */
import { tf } from '../backend/tf';
import { modelToFiles } from '../checkpoint/model-artifacts';
import { ADAIN_EPSILON, ENCODER_STRIDE, type AdainDecoderConfig } from '../nets/adain';
import { affineFor } from '../nets/loss-network/preprocess';
import type { RawVggWeights } from '../nets/loss-network/types';
import { vggLayout } from '../nets/loss-network/vgg-layout';
import { OIHW_TO_HWIO, permuteArray } from '../io/tensor-layout';
import { BROWSER_ADAIN_FILE, BROWSER_ADAIN_MODULE } from './browser-adain';
import { BROWSER_LAYERS_FILE, BROWSER_LAYERS_MODULE } from './browser-layers';
import type { ExportFiles } from './tfjs-web';
import { quantizeWeights, WeightQuantization, WeightSpec } from './weight-quantization';

export const ADAIN_ENCODER_JSON = 'encoder.json';
export const ADAIN_ENCODER_WEIGHTS = 'encoder.bin';
const DECODER_JSON = 'model.json';
const DECODER_WEIGHTS = 'weights.bin';

/** What an AdaIN web export records in model.json's userDefinedMetadata.nst. */
export interface AdainWebMetadata {
  kind: 'adain';
  network: AdainDecoderConfig;
  encoder: { model: string; arch: 'vgg19'; preprocessing: RawVggWeights['preprocessing']; layer: string };
  adain: { stride: number; eps: number };
  quantization: WeightQuantization | 'none';
  io: string;
}

export type AdainEncoderWeights = Pick<RawVggWeights, 'convs' | 'preprocessing'>;

/**
 * The encoder as a tfjs layers model: input [null, null, null, 3] RGB 0–255, output the features at `layer`. The same
 * affine preprocessing and convolutions as src/nets/loss-network/vgg-net.ts (zero 'same' padding, 2×2 max-pools).
 */
export function buildVggEncoderModel(weights: AdainEncoderWeights, layer: string): tf.LayersModel {
  const layout = vggLayout('vgg19');
  const upTo = layout.findIndex((s) => s.tap === layer);
  if (upTo < 0) throw new Error(`VGG19 has no tap ${layer}`);
  const input = tf.input({ shape: [null, null, 3], name: 'image', dtype: 'float32' });
  const pre = tf.layers.conv2d({ name: 'preprocess', filters: 3, kernelSize: 1, useBias: true });
  let y = pre.apply(input) as tf.SymbolicTensor;
  const convs: Array<[tf.layers.Layer, (typeof layout)[number]]> = [];
  for (const spec of layout.slice(0, upTo + 1)) {
    if (spec.index === 1 && spec.block > 1) y = tf.layers.maxPooling2d({ name: `block${spec.block - 1}_pool`, poolSize: 2, strides: 2, padding: 'valid' }).apply(y) as tf.SymbolicTensor;
    const conv = tf.layers.conv2d({ name: spec.name, filters: spec.outChannels, kernelSize: 3, padding: 'same', activation: 'relu' });
    y = conv.apply(y) as tf.SymbolicTensor;
    convs.push([conv, spec]);
  }
  const model = tf.model({ inputs: input, outputs: y, name: `vgg19_encoder_${layer}` });
  const { flipToBgr, scale, offset } = affineFor(weights.preprocessing);
  const k = new Float32Array(9); // HWIO [1,1,3,3]: output o reads input (flip ? 2 − o : o)
  for (let o = 0; o < 3; o++) k[(flipToBgr ? 2 - o : o) * 3 + o] = scale[o];
  tf.tidy(() => pre.setWeights([tf.tensor4d(k, [1, 1, 3, 3]), tf.tensor1d(offset.map((v) => -v))]));
  for (const [conv, spec] of convs) {
    const raw = weights.convs.get(spec.name);
    if (!raw) throw new Error(`tfjs export: encoder weights lack ${spec.name}`);
    const hwio = raw.layout === 'HWIO' ? raw.kernel : permuteArray(raw.kernel, raw.kernelShape, OIHW_TO_HWIO);
    tf.tidy(() => conv.setWeights([tf.tensor4d(hwio, [3, 3, spec.inChannels, spec.outChannels]), tf.tensor1d(raw.bias)]));
  }
  return model;
}

/** A model as a (model.json text, weights bytes) pair named `weightsFile`, optionally quantized, with metadata. */
async function layersFiles(model: tf.LayersModel, weightsFile: string, quantize: WeightQuantization | undefined, metadata?: object) {
  const { modelJson, weights } = await modelToFiles(model, weightsFile);
  const json = JSON.parse(modelJson) as tf.io.ModelJSON;
  let specs = json.weightsManifest.flatMap((g) => g.weights) as WeightSpec[];
  let data = weights;
  if (quantize) ({ specs, data } = quantizeWeights(specs, weights, quantize));
  const out: tf.io.ModelJSON = {
    ...json,
    convertedBy: 'nst export',
    weightsManifest: [{ paths: [weightsFile], weights: specs as tf.io.WeightsManifestEntry[] }],
    ...(metadata ? { userDefinedMetadata: { nst: metadata } } : {}),
  };
  return { json: JSON.stringify(out), data };
}

export async function adainToTfjsWeb(
  decoder: tf.LayersModel,
  config: AdainDecoderConfig,
  encoderWeights: AdainEncoderWeights,
  options: { quantize?: WeightQuantization } = {},
): Promise<ExportFiles> {
  const layer = config.encoderLayer;
  const stride = ENCODER_STRIDE[layer];
  const metadata: AdainWebMetadata = {
    kind: 'adain',
    network: config,
    encoder: { model: ADAIN_ENCODER_JSON, arch: 'vgg19', preprocessing: encoderWeights.preprocessing, layer },
    adain: { stride, eps: ADAIN_EPSILON },
    quantization: options.quantize ?? 'none',
    io: `content and style [1,H,W,3] float RGB 0-255 (content H, W multiples of ${stride}); output [1,H,W,3] 0-255 unclamped; load with nst-adain.js loadNstAdainModel(tf, url)`,
  };
  const encoder = buildVggEncoderModel(encoderWeights, layer);
  try {
    const dec = await layersFiles(decoder, DECODER_WEIGHTS, options.quantize, metadata);
    const enc = await layersFiles(encoder, ADAIN_ENCODER_WEIGHTS, options.quantize);
    return {
      [DECODER_JSON]: dec.json,
      [DECODER_WEIGHTS]: dec.data,
      [ADAIN_ENCODER_JSON]: enc.json,
      [ADAIN_ENCODER_WEIGHTS]: enc.data,
      [BROWSER_LAYERS_FILE]: BROWSER_LAYERS_MODULE,
      [BROWSER_ADAIN_FILE]: BROWSER_ADAIN_MODULE,
    };
  } finally {
    encoder.dispose();
  }
}
