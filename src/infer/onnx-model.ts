/**
 * An ONNX style network run by ONNX Runtime (onnxruntime-node, CPU), behind the same interface as a checkpoint:
 *
 *   loadOnnxStyleModel(file, { threads? }) -> Promise<LoadedStyleModel>   (forward, network, config, source, dispose)
 *   isOnnxModelPath(spec) -> boolean
 *
 * It takes models with one input [N|1, 3, H, W] and one output of the same layout, float RGB 0–255: those of
 * `nst export --format onnx`, and pytorch/examples' own torch.onnx exports. The network config comes from the
 * `nst.network` metadata our exporter writes; a foreign model gets the default config (used only for the tiling memory
 * estimate, whose default widths are the full-size net's: a safe over-estimate for slimmer nets).
 *
 * Why the synchronous binding: stylize()'s StyleForward is synchronous (tiles run one after another inside a tf.tidy),
 * and ONNX Runtime's public `session.run` is the very same synchronous native call, merely deferred by setImmediate to
 * return a Promise (onnxruntime-node/dist/backend.js). We call that native session directly.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { tf } from '../backend/tf';
import { InputError } from '../errors';
import { STYLE_WEIGHTS_INPUT as ONNX_STYLE_INPUT } from '../nets/style-weights';
import { NetworkConfig, parseNetworkConfig } from '../nets/network';
import { parseTransformerConfig } from '../nets/transformer';
import { networkWidths } from './memory';
// Type-only: model.ts loads this module lazily for .onnx paths, and a runtime import back would be circular.
import type { LoadedStyleModel } from './model';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { binding, initOrt } = require('onnxruntime-node/dist/binding') as typeof import('onnxruntime-node/dist/binding');

type NativeSession = InstanceType<typeof binding.InferenceSession>;
type NativeValue = { data: Float32Array; dims: readonly number[] };

export interface OnnxStyleModelOptions {
  /** Threads for one inference (ONNX Runtime's intra-op pool); default: ONNX Runtime's choice (all cores). */
  threads?: number;
}

export function isOnnxModelPath(spec: string): boolean {
  return path.extname(spec).toLowerCase() === '.onnx';
}

function nchwFromNhwc(x: Float32Array, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  const plane = h * w;
  for (let p = 0; p < plane; p++) {
    out[p] = x[p * 3];
    out[plane + p] = x[p * 3 + 1];
    out[2 * plane + p] = x[p * 3 + 2];
  }
  return out;
}

function nhwcFromNchw(x: ArrayLike<number>, h: number, w: number): Float32Array {
  const out = new Float32Array(h * w * 3);
  const plane = h * w;
  for (let p = 0; p < plane; p++) {
    out[p * 3] = x[p];
    out[p * 3 + 1] = x[plane + p];
    out[p * 3 + 2] = x[2 * plane + p];
  }
  return out;
}

/** nst's exporter records the network; anything else gets the default config (see the module comment). */
function configFromMetadata(file: string): { config: NetworkConfig; known: boolean } {
  const raw = readModelMetadata(file)['nst.network'];
  if (!raw) return { config: parseTransformerConfig({}), known: false };
  try {
    return { config: parseNetworkConfig(JSON.parse(raw), `${file} (nst.network metadata)`), known: true };
  } catch {
    return { config: parseTransformerConfig({}), known: false };
  }
}

/** The style names our exporter records (nst.styleNames), when there are `styles` of them. */
function styleNamesFromMetadata(file: string, styles: number): string[] | undefined {
  try {
    const names = JSON.parse(readModelMetadata(file)['nst.styleNames'] ?? 'null') as unknown;
    return Array.isArray(names) && names.length === styles ? names.map(String) : undefined;
  } catch {
    return undefined;
  }
}

/** The model's metadata_props (key → value), read with onnx-proto; {} when absent or unreadable. */
function readModelMetadata(file: string): Record<string, string> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { onnx } = require('onnx-proto') as typeof import('onnx-proto');
    const model = onnx.ModelProto.decode(fs.readFileSync(file));
    return Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  } catch {
    return {};
  }
}

export async function loadOnnxStyleModel(spec: string, options: OnnxStyleModelOptions = {}): Promise<LoadedStyleModel & { configKnown: boolean }> {
  const file = path.resolve(spec);
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
    throw new InputError(`${spec}: ONNX model not found (export one with nst export CKPT --format onnx --out ${path.basename(spec)})`);
  }
  initOrt();
  const session: NativeSession = new binding.InferenceSession();
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    interOpNumThreads: 1,
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
  };
  try {
    session.loadModel(file, sessionOptions);
  } catch (e) {
    throw new InputError(`${spec}: ONNX Runtime cannot load it (${(e as Error).message.split('\n')[0]})`);
  }
  const inputs = session.inputMetadata;
  const outputs = session.outputMetadata;
  const input = inputs[0];
  const output = outputs[0];
  // A multi-style export has a second input: the style weights, a vector of one weight per style.
  const styleInput = inputs.length === 2 && inputs[1].name === ONNX_STYLE_INPUT && inputs[1].shape.length === 1 ? inputs[1] : undefined;
  if ((inputs.length !== 1 && !styleInput) || outputs.length !== 1 || input.shape.length !== 4 || (input.shape[1] !== 3 && input.shape[1] !== -1)) {
    session.dispose();
    throw new InputError(
      `${spec}: not a style network: expected one input [N,3,H,W] (and, for several styles, '${ONNX_STYLE_INPUT}' [styles]) and one output, found inputs ${inputs.map((i) => `${i.name}[${i.shape}]`).join(', ')}`,
    );
  }
  const FLOAT32 = 1; // ONNX TensorProto.DataType.FLOAT, as the binding reports element types
  if (input.type !== FLOAT32 || output.type !== FLOAT32) {
    session.dispose();
    throw new InputError(`${spec}: the model's input and output must be float32 RGB 0–255 (nst export writes such models)`);
  }
  const { config, known } = configFromMetadata(file);
  const styles = styleInput ? Number(styleInput.shape[0]) : 1;
  if (!(styles >= 1)) {
    session.dispose();
    throw new InputError(`${spec}: its '${ONNX_STYLE_INPUT}' input has no fixed length; the style count must be known`);
  }
  let styleWeights = Float32Array.from({ length: styles }, (_, i) => (i === 0 ? 1 : 0));
  let disposed = false;

  const forward = (x: tf.Tensor4D): tf.Tensor => {
    if (disposed) throw new Error(`${spec}: the ONNX model was disposed`);
    const [n, h, w, c] = x.shape;
    if (n !== 1 || c !== 3) throw new InputError(`${spec}: one RGB image at a time (got [${x.shape}])`);
    const feed = new ort.Tensor('float32', nchwFromNhwc(x.dataSync() as Float32Array, h, w), [1, 3, h, w]);
    const feeds: Record<string, ort.Tensor> = { [input.name]: feed };
    if (styleInput) feeds[styleInput.name] = new ort.Tensor('float32', styleWeights, [styles]);
    const result = session.run(feeds, { [output.name]: null }, {}) as unknown as Record<string, NativeValue>;
    const y = result[output.name];
    const [, oc, oh, ow] = y.dims.map(Number);
    if (oc !== 3) throw new InputError(`${spec}: the model returned [${y.dims}], expected [1,3,H,W]`);
    return tf.tensor4d(nhwcFromNchw(y.data, oh, ow), [1, oh, ow, 3]);
  };

  return {
    forward,
    network: networkWidths(config),
    config,
    configKnown: known,
    source: file,
    styles,
    styleNames: styleNamesFromMetadata(file, styles),
    setStyleWeights: (weights) => {
      if (weights.length !== styles) throw new InputError(`${spec}: ${weights.length} style weights for a model of ${styles} styles`);
      styleWeights = Float32Array.from(weights);
    },
    dispose: () => {
      if (!disposed) session.dispose();
      disposed = true;
    },
  };
}
