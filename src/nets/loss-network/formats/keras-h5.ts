/**
 * Reads VGG conv weights from a Keras HDF5 weights file (`vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`, or any
 * Keras 2 `save_weights`/`save` .h5 of a VGG), with jsfive (pure JS).
 *
 * Layout (keras' legacy hdf5 format, as `load_weights_from_hdf5_group` reads it): the root (or its `model_weights`
 * group, for whole-model saves) has attribute `layer_names`; each layer group has attribute `weight_names`, whose
 * entries are dataset paths relative to that group: `block1_conv1_W_1:0` / `block1_conv1_b_1:0` in the 2016-era
 * published files, `block1_conv1/kernel:0` / `block1_conv1/bias:0` in Keras 2 saves. Long attributes may be split
 * into `layer_names0`, `layer_names1`, … Kernels are HWIO ([3,3,in,out]).
 */
import * as fs from 'fs';
import { InputError } from '../../../errors';
import type { RawConv, RawVggWeights } from '../types';
import { archFromConvNames, archFromFileName } from '../vgg-layout';

// jsfive ships CommonJS without types; this is the small surface we use.
interface H5Node {
  attrs: Record<string, unknown>;
  keys?: string[];
  get?(path: string): H5Node | null;
  value?: unknown;
  shape?: number[];
  dtype?: unknown;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jsfive = require('jsfive') as { File: new (buf: ArrayBuffer, name: string) => H5Node };

/** Keras' chunked-attribute convention: `name`, or `name0`, `name1`, … concatenated. */
export function readStringListAttr(node: H5Node, name: string): string[] {
  // Fixed-length HDF5 strings (what np.asarray makes of Keras' name lists) come back NUL-padded.
  const asText = (x: unknown): string => (x instanceof Uint8Array ? Buffer.from(x).toString('utf8') : String(x)).replace(/\0+$/, '');
  const asList = (v: unknown): string[] => {
    if (Array.isArray(v)) return v.map(asText);
    if (ArrayBuffer.isView(v)) return []; // Keras writes an empty list as an empty float64 array
    return [asText(v)];
  };
  if (name in node.attrs) return asList(node.attrs[name]);
  const out: string[] = [];
  for (let i = 0; `${name}${i}` in node.attrs; i++) out.push(...asList(node.attrs[`${name}${i}`]));
  return out;
}

/** `block1_conv1_W_1:0`, `block1_conv1/kernel:0`, `…/W:0` → kernel; the `b`/`bias` forms → bias. */
export function kerasWeightKind(weightName: string): 'kernel' | 'bias' | undefined {
  const leaf = weightName.replace(/:\d+$/, '');
  if (/(^|[/_])(kernel|W)(_\d+)?$/.test(leaf)) return 'kernel';
  if (/(^|[/_])(bias|b)(_\d+)?$/.test(leaf)) return 'bias';
  return undefined;
}

/** jsfive throws a bare string for a missing path; absent children are normal here (truncated files). */
function child(node: H5Node, p: string): H5Node | undefined {
  try {
    return node.get?.(p) ?? undefined;
  } catch {
    return undefined;
  }
}

function toFloat32(value: unknown, where: string): Float32Array {
  if (value instanceof Float32Array) return value;
  if (value instanceof Float64Array || Array.isArray(value)) return Float32Array.from(value as ArrayLike<number>);
  throw new InputError(`${where}: expected float data, found ${Object.prototype.toString.call(value)}`);
}

export function readKerasH5Vgg(file: string): RawVggWeights {
  let root: H5Node;
  try {
    const buf = fs.readFileSync(file);
    root = new jsfive.File(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), file);
  } catch (e) {
    throw new InputError(`${file}: not a readable HDF5 file (${(e as Error).message.split('\n')[0]})`);
  }
  const weightsRoot = (root.keys?.includes('model_weights') && child(root, 'model_weights')) || root;
  const layerNames = readStringListAttr(weightsRoot, 'layer_names');
  if (layerNames.length === 0) {
    throw new InputError(
      `${file}: no 'layer_names' attribute — not a Keras 2 .h5 weights file (Keras 3 '.weights.h5' is not supported: re-save with Keras 2, or use the published notop .h5)`,
    );
  }
  const convs = new Map<string, RawConv>();
  const declared = layerNames.filter((n) => /^block\d_conv\d$/.test(n));
  for (const layer of declared) {
    const group = child(weightsRoot, layer);
    if (!group) continue; // listed but absent: a truncated file
    const parts: Partial<RawConv> = {};
    for (const wn of readStringListAttr(group, 'weight_names')) {
      const kind = kerasWeightKind(wn);
      const ds = child(group, wn);
      if (!kind || !ds) continue;
      const where = `${file}: ${layer}/${wn}`;
      if (kind === 'kernel') Object.assign(parts, { kernel: toFloat32(ds.value, where), kernelShape: ds.shape, layout: 'HWIO' });
      else parts.bias = toFloat32(ds.value, where);
    }
    if (parts.kernel && parts.bias) convs.set(layer, parts as RawConv);
  }
  return {
    format: 'keras h5',
    preprocessing: 'caffe',
    convs,
    declared,
    archHint: archFromConvNames(declared) ?? archFromFileName(file),
  };
}
