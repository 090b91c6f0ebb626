// Loading an AdaIN tfjs web export in Node with the exact module texts the folder ships (nst-layers.js, nst-adain.js).
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../../src/backend/tf';
import { ADAIN_ENCODER_JSON, BROWSER_ADAIN_MODULE, BROWSER_LAYERS_MODULE, TFJS_MODEL_JSON } from '../../src/export';

export interface Stats { mean: tf.Tensor; std: tf.Tensor }
export interface BrowserAdainModel {
  stride: number;
  layer: string;
  metadata: { kind: string; adain: { stride: number; eps: number }; quantization: string };
  styleStats(image: tf.Tensor4D): Stats;
  disposeStats(s: Stats): void;
  stylizePadded(photo: tf.Tensor4D, s: Stats, alpha?: number): tf.Tensor4D;
  dispose(): void;
}

/** The shipped module texts evaluated in Node: nst-adain.js' import of nst-layers.js becomes a scope binding. */
function evaluateAdainModule(): { loadNstAdainModel(t: typeof tf, model: unknown, encoder: unknown): Promise<BrowserAdainModel> } {
  const layers = BROWSER_LAYERS_MODULE.replace(/^export /gm, '');
  const adain = BROWSER_ADAIN_MODULE.replace(/^import .*$/m, '').replace(/^export /gm, '');
  for (const body of [layers, adain]) expect(body).not.toMatch(/\b(require|import)\s*\(|^import /m);
  return new Function(`${layers}\n${adain}\nreturn { loadNstAdainModel };`)();
}

/** tf.io handler for one exported model.json + its weights file, from the folder on disk. */
function handlerFor(dir: string, json: string): tf.io.IOHandler {
  const m = JSON.parse(fs.readFileSync(path.join(dir, json), 'utf8')) as tf.io.ModelJSON;
  const bin = fs.readFileSync(path.join(dir, m.weightsManifest[0].paths[0]));
  return tf.io.fromMemory({
    modelTopology: m.modelTopology,
    weightSpecs: m.weightsManifest.flatMap((g) => g.weights),
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer,
    userDefinedMetadata: m.userDefinedMetadata,
  });
}

export function loadExportedAdain(dir: string): Promise<BrowserAdainModel> {
  return evaluateAdainModule().loadNstAdainModel(tf, handlerFor(dir, TFJS_MODEL_JSON), handlerFor(dir, ADAIN_ENCODER_JSON));
}

