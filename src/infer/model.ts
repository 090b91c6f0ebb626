/**
 * Opening a style model for inference from what a user names on the command line.
 *
 *   loadStyleModel(spec) -> Promise<LoadedStyleModel>   a checkpoint folder (nst train / nst import output)
 *   networkWidths(config) -> NetworkWidths                channel widths for the tiling memory estimate
 *
 * `.onnx` files are recognised and refused with a clear "not yet supported" error (planned: onnxruntime-node).
 */
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../backend/tf';
import { loadCheckpoint } from '../checkpoint';
import { InputError, UsageError } from '../errors';
import { TransformerConfig, transformerChannels } from '../nets/transformer';
import type { NetworkWidths } from './memory';
import type { StyleForward } from './stylize';

export interface LoadedStyleModel {
  /** The forward pass, ready for stylize(). */
  forward: StyleForward;
  /** Channel widths, for stylize's memory estimate (pass as options.network). */
  network: NetworkWidths;
  /** The network config the checkpoint records. */
  config: TransformerConfig;
  /** Absolute path of what was loaded. */
  source: string;
  dispose(): void;
}

export function networkWidths(config: TransformerConfig): NetworkWidths {
  const { c1, c2, c3 } = transformerChannels(config);
  return { widths: [c1, c2, c3] };
}

export async function loadStyleModel(spec: string): Promise<LoadedStyleModel> {
  const abs = path.resolve(spec);
  if (path.extname(spec).toLowerCase() === '.onnx') {
    throw new UsageError(
      `${spec}: ONNX models are not yet supported by nst stylize; give a checkpoint folder (from nst train, or nst import for published models)`,
    );
  }
  const stat = fs.statSync(abs, { throwIfNoEntry: false });
  if (!stat) throw new InputError(`${spec}: model not found (give a checkpoint folder written by nst train or nst import)`);
  if (!stat.isDirectory()) {
    throw new InputError(`${spec}: not a checkpoint folder; nst stylize reads the folder nst train or nst import writes`);
  }
  const { model, config } = await loadCheckpoint(abs);
  return {
    // predict(), not apply(): its executor frees each layer's output as soon as its last consumer has run, so only a
    // few activations are alive at once (apply keeps every intermediate until the call returns).
    forward: (x) => model.predict(x) as tf.Tensor,
    network: networkWidths(config),
    config,
    source: abs,
    dispose: () => model.dispose(),
  };
}
