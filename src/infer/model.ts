/**
 * Opening a style model for inference from what a user names on the command line.
 *
 *   loadStyleModel(spec) -> Promise<LoadedStyleModel>   a checkpoint folder (nst train / nst import output)
 *   networkWidths(config) -> NetworkWidths                channel widths for the tiling memory estimate
 *
 * `.onnx` files are run by ONNX Runtime (./onnx-model.ts); anything else must be a checkpoint folder.
 */
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../backend/tf';
import { loadCheckpoint } from '../checkpoint';
import { InputError } from '../errors';
import { setStyleWeights } from '../nets/style-weights';
import { styleCountOfConfig, type NetworkConfig } from '../nets/network';
import { networkWidths, type NetworkWidths } from './memory';
import { plannedForward } from '../nets/planned-forward';
import type { StyleForward } from './stylize';

export interface LoadedStyleModel {
  /** The network as a tf.LayersModel when it is one (checkpoints); undefined for ONNX models. */
  model?: tf.LayersModel;
  /** The plain forward pass (model.predict), for callers that want a function. */
  forward: StyleForward;
  /** Channel widths, for stylize's memory estimate (pass as options.network). */
  network: NetworkWidths;
  /** The network config the checkpoint records. */
  config: NetworkConfig;
  /** Absolute path of what was loaded. */
  source: string;
  /** Styles the network serves (1 unless it is a multi-style network). */
  styles: number;
  /** A multi-style network's style names, when it records them. */
  styleNames?: string[];
  /** Which style (one-hot) or mix the coming forward passes apply (normalised weights, one per style). */
  setStyleWeights(weights: number[]): void;
  dispose(): void;
}

export { networkWidths };

/** Opens a checkpoint folder or an .onnx file; InputError naming `spec` when it is missing or unusable. */
export async function loadStyleModel(spec: string): Promise<LoadedStyleModel> {
  const abs = path.resolve(spec);
  if (path.extname(spec).toLowerCase() === '.onnx') {
    // Loaded lazily: onnxruntime-node is only needed (and only initialised) for .onnx models.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { loadOnnxStyleModel } = require('./onnx-model') as typeof import('./onnx-model');
    return loadOnnxStyleModel(spec);
  }
  const stat = fs.statSync(abs, { throwIfNoEntry: false });
  if (!stat) throw new InputError(`${spec}: model not found (give a checkpoint folder written by nst train or nst import)`);
  if (!stat.isDirectory()) {
    throw new InputError(`${spec}: not a checkpoint folder; nst stylize reads the folder nst train or nst import writes`);
  }
  const { model, config, meta } = await loadCheckpoint(abs);
  return {
    model,
    // The whole-network native plan when it can run, else predict(), not apply(): its executor frees each layer's
    // output as soon as its last consumer has run (apply keeps every intermediate until the call returns).
    forward: plannedForward(model),
    network: networkWidths(config),
    config,
    source: abs,
    styles: styleCountOfConfig(config),
    styleNames: meta.styleNames,
    setStyleWeights: (weights) => setStyleWeights(model, weights),
    dispose: () => model.dispose(),
  };
}
