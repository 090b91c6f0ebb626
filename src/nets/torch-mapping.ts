/**
 * The correspondence between our transformer's weights and pytorch/examples fast_neural_style's state_dict names and
 * layouts. Used by the .pth importer, and by tests that compare against PyTorch fixtures (gradients in OIHW).
 *
 *   conv (ours HWIO [kh,kw,in,out])            <-> torch Conv2d.weight OIHW [out,in,kh,kw]   perm to torch [3,2,0,1]
 *   convTranspose (ours [kh,kw,out,in])        <-> torch ConvTranspose2d.weight [in,out,kh,kw] same perm [3,2,0,1]
 *   bias / IN gamma / IN beta ([C])            <-> `.bias` / `inN.weight` / `inN.bias`        unchanged
 *
 * For tensors use `tf.transpose(t, entry.toTorchPerm)` and `tf.transpose(t, entry.fromTorchPerm)`.
 */
import { tf } from '../backend/tf';
import { InputError } from '../errors';
import type { TorchTensor } from '../io/torch-pth';
import { HWIO_TO_OIHW, OIHW_TO_HWIO, permuteArray } from '../io/tensor-layout';
import { ConvKind, normWeightShape, TransformerConfig, transformerConvSpecs } from './transformer';

export interface TorchWeightEntry {
  /** pytorch/examples state_dict key, e.g. 'res1.conv1.conv2d.weight', 'in1.weight'. */
  torchName: string;
  /** Our saved weight name (LayerVariable.originalName), e.g. 'res1_conv1/kernel', 'in1/gamma'. */
  tfName: string;
  layer: string;
  kind: ConvKind | 'vector';
  tfShape: number[];
  torchShape: number[];
  /** Axis permutation from our layout to torch's (undefined for vectors: identical). */
  toTorchPerm?: readonly number[];
  fromTorchPerm?: readonly number[];
}

/** Every weight of the net for `config`, in forward order, with its torch name and layouts. */
export function torchWeightMap(config: TransformerConfig): TorchWeightEntry[] {
  const out: TorchWeightEntry[] = [];
  const vector = (layer: string, weight: string, torchName: string, shape: number[]) =>
    out.push({ torchName, tfName: `${layer}/${weight}`, layer, kind: 'vector', tfShape: shape, torchShape: shape });
  for (const s of transformerConvSpecs(config)) {
    const k = s.kernel;
    const tfShape = s.kind === 'conv' ? [k, k, s.inChannels, s.outChannels] : [k, k, s.outChannels, s.inChannels];
    out.push({
      torchName: `${s.torchModule}.weight`,
      tfName: `${s.layer}/kernel`,
      layer: s.layer,
      kind: s.kind,
      tfShape,
      torchShape: HWIO_TO_OIHW.map((i) => tfShape[i]),
      toTorchPerm: HWIO_TO_OIHW,
      fromTorchPerm: OIHW_TO_HWIO,
    });
    if (config.convBias) vector(s.layer, 'bias', `${s.torchModule}.bias`, [s.outChannels]);
    if (s.norm) {
      // A multi-style network's norms hold one row per style ([N, C]); PyTorch has no such module, the layout is ours.
      vector(s.norm.layer, 'gamma', `${s.norm.torchModule}.weight`, normWeightShape(config, s.outChannels));
      vector(s.norm.layer, 'beta', `${s.norm.torchModule}.bias`, normWeightShape(config, s.outChannels));
    }
  }
  return out;
}

/** Our layout -> torch layout, raw data (pure). */
export function tfToTorchLayout(entry: TorchWeightEntry, data: Float32Array): Float32Array {
  return entry.toTorchPerm ? permuteArray(data, entry.tfShape, entry.toTorchPerm) : data;
}

/** Torch layout -> our layout, raw data (pure). */
export function torchToTfLayout(entry: TorchWeightEntry, data: Float32Array): Float32Array {
  return entry.fromTorchPerm ? permuteArray(data, entry.torchShape, entry.fromTorchPerm) : data;
}

/** Keys real pytorch/examples checkpoints may carry that are not weights (old InstanceNorm running stats). */
export function isIgnorableTorchKey(name: string): boolean {
  return /(^|\.)(running_mean|running_var|num_batches_tracked)$/.test(name);
}

/** The model's variables by saved name (originalName, stable across models in one process). */
export function variablesByName(model: tf.LayersModel): Map<string, tf.LayerVariable> {
  return new Map(model.weights.map((w) => [w.originalName, w]));
}

/**
 * Loads a pytorch/examples state_dict into a model built with `config`. Every expected key must be present with the
 * right shape; extra keys other than ignorable running stats are an error (a different architecture). `source` names
 * the file in errors.
 */
export function setWeightsFromTorchStateDict(
  model: tf.LayersModel,
  config: TransformerConfig,
  dict: Map<string, TorchTensor>,
  source = 'state_dict',
): void {
  const entries = torchWeightMap(config);
  const vars = variablesByName(model);
  const expected = new Set(entries.map((e) => e.torchName));
  const unexpected = [...dict.keys()].filter((k) => !expected.has(k) && !isIgnorableTorchKey(k));
  const missing = entries.filter((e) => !dict.has(e.torchName)).map((e) => e.torchName);
  if (missing.length || unexpected.length) {
    const parts = [];
    if (missing.length) parts.push(`missing ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ` (+${missing.length - 4} more)` : ''}`);
    if (unexpected.length) parts.push(`unexpected ${unexpected.slice(0, 4).join(', ')}${unexpected.length > 4 ? ` (+${unexpected.length - 4} more)` : ''}`);
    throw new InputError(`${source}: not a pytorch/examples fast_neural_style TransformerNet state_dict: ${parts.join('; ')}`);
  }
  for (const e of entries) {
    const t = dict.get(e.torchName)!;
    if (t.shape.join(',') !== e.torchShape.join(',')) {
      throw new InputError(`${source}: ${e.torchName} has shape [${t.shape}], expected [${e.torchShape}] (different channel width?)`);
    }
    const v = vars.get(e.tfName);
    if (!v) throw new Error(`model has no weight ${e.tfName}: was it built with this config?`);
    const value = tf.tensor(torchToTfLayout(e, t.data), e.tfShape, 'float32');
    v.write(value);
    value.dispose();
  }
}

/** The model's weights as a pytorch/examples state_dict (torch names, torch layouts). */
export function getTorchStateDict(model: tf.LayersModel, config: TransformerConfig): Map<string, TorchTensor> {
  const vars = variablesByName(model);
  const out = new Map<string, TorchTensor>();
  for (const e of torchWeightMap(config)) {
    const v = vars.get(e.tfName);
    if (!v) throw new Error(`model has no weight ${e.tfName}: was it built with this config?`);
    out.set(e.torchName, { shape: e.torchShape, data: tfToTorchLayout(e, v.read().dataSync() as Float32Array) });
  }
  return out;
}
