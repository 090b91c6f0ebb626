/**
 * TensorFlow.js web export: a folder a browser app serves and loads with tfjs.
 *
 *   model.json     the checkpoint's layers-model topology + weights manifest (optionally quantized, tfjs' format),
 *                  with userDefinedMetadata.nst = { network, quantization, io }
 *   weights.bin    the weights, float32 / float16 / uint8
 *   nst-layers.js  ES module: registerNstLayers(tf), loadNstModel(tf, url) — our four custom layers in plain tfjs
 *
 * Why a layers model plus custom layers rather than a graph model: the topology is exactly the checkpoint's (no second
 * implementation of the network to keep in sync), the browser layers are 100 lines of public tfjs ops, and the same
 * folder is loadable back in Node by nst. See docs/export.md.
 */
import { tf } from '../backend/tf';
import { modelToFiles } from '../checkpoint/model-artifacts';
import { isTextureNetConfig, networkGeometry, NetworkConfig } from '../nets/network';
import { BROWSER_LAYERS_FILE, BROWSER_LAYERS_MODULE } from './browser-layers';
import { quantizeWeights, WeightQuantization, WeightSpec } from './weight-quantization';

export const TFJS_MODEL_JSON = 'model.json';
export const TFJS_WEIGHTS_FILE = 'weights.bin';
export { BROWSER_LAYERS_FILE } from './browser-layers';

/** What nst records in model.json's userDefinedMetadata.nst. */
export interface TfjsWebMetadata {
  network: NetworkConfig;
  quantization: WeightQuantization | 'none';
  io: string;
  /** Styles the network serves, and their names (multi-style networks). */
  styles: number;
  styleNames?: string[];
}

/** The folder's files by name (text or bytes), ready to write. */
export type ExportFiles = Record<string, string | Uint8Array>;

export async function transformerToTfjsWeb(
  model: tf.LayersModel,
  config: NetworkConfig,
  options: { quantize?: WeightQuantization; styleNames?: string[] } = {},
): Promise<ExportFiles> {
  const { modelJson, weights } = await modelToFiles(model, TFJS_WEIGHTS_FILE);
  const json = JSON.parse(modelJson) as tf.io.ModelJSON;
  let specs = json.weightsManifest.flatMap((g) => g.weights) as WeightSpec[];
  let data = weights;
  if (options.quantize) ({ specs, data } = quantizeWeights(specs, weights, options.quantize));
  // A texture net serves one style; a transformer as many as its conditional norms hold.
  const styles = isTextureNetConfig(config) ? 1 : config.styles;
  const metadata: TfjsWebMetadata = {
    network: config,
    quantization: options.quantize ?? 'none',
    io:
      (isTextureNetConfig(config)
        ? `input [1,H,W,3] float RGB 0-255, H and W multiples of ${networkGeometry(config).stride} (pad, then crop the output); output [1,H,W,3] 0-255 unclamped; load with nst-layers.js loadNstModel(tf, url)`
        : 'input [1,H,W,3] float RGB 0-255; output [1,4*ceil(H/4),4*ceil(W/4),3] 0-255 unclamped; load with nst-layers.js loadNstModel(tf, url)') +
      (styles > 1 ? `; style weights: model.predict(x, { styleWeights: [${styles} numbers] }) (one-hot = one style)` : ''),
    styles,
    ...(options.styleNames ? { styleNames: options.styleNames } : {}),
  };
  const out: tf.io.ModelJSON = {
    ...json,
    convertedBy: 'nst export',
    weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: specs as tf.io.WeightsManifestEntry[] }],
    userDefinedMetadata: { nst: metadata as unknown as object },
  };
  return {
    [TFJS_MODEL_JSON]: JSON.stringify(out),
    [TFJS_WEIGHTS_FILE]: data,
    [BROWSER_LAYERS_FILE]: BROWSER_LAYERS_MODULE,
  };
}
