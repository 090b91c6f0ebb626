/**
 * Either kind of model behind one interface, for callers that stylize many images with models named at start-up
 * (nst serve, queue workers): a per-style network (checkpoint folder or .onnx) or an AdaIN arbitrary-style model.
 *
 *   openModel(spec?) -> Promise<OpenedModel>   spec: a checkpoint folder (either kind), an .onnx file, or undefined
 *                                              for the embedded AdaIN decoder
 */
import * as fs from 'fs';
import { readCheckpointKind } from '../checkpoint';
import { loadArbitraryModel, type ArbitraryModel } from './arbitrary';
import type { NetworkWidths } from './memory';
import { loadStyleModel, type LoadedStyleModel } from './model';

export type OpenedModel =
  | { kind: 'style'; source: string; style: LoadedStyleModel; network: NetworkWidths; dispose(): void }
  | { kind: 'arbitrary'; source: string; arbitrary: ArbitraryModel; dispose(): void };

/** Opens a model once, to be kept warm; InputError naming `spec` when it is missing or unusable. */
export async function openModel(spec?: string): Promise<OpenedModel> {
  const isDir = spec !== undefined && fs.statSync(spec, { throwIfNoEntry: false })?.isDirectory();
  if (spec === undefined || (isDir && readCheckpointKind(spec) === 'adain')) {
    const arbitrary = await loadArbitraryModel(spec);
    return { kind: 'arbitrary', source: arbitrary.source, arbitrary, dispose: () => arbitrary.dispose() };
  }
  const style = await loadStyleModel(spec);
  return { kind: 'style', source: style.source, style, network: style.network, dispose: () => style.dispose() };
}
