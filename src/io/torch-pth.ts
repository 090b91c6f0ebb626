/**
 * Reads PyTorch `.pth` / `.pt` state_dicts (torch >= 1.6 zip format) into plain float32 arrays, without Python:
 * pytorch/examples fast_neural_style transformers, torchvision VGG weights, …
 *
 * Format: a zip with `<archive>/data.pkl` (a pickle of the OrderedDict, where every tensor is
 * `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …)` and every storage is a persistent id
 * `('storage', torch.FloatStorage, key, location, numel)`) and `<archive>/data/<key>` (each storage's raw
 * little-endian bytes). The legacy format (torch < 1.6, e.g. torchvision's published VGG files: pickles followed by
 * raw storages) is read too. Float32/64/16 and bfloat16 and integer storages are converted to Float32Array;
 * offsets and strided (non-contiguous) views are honoured. TorchScript archives are refused with a one-line fix.
 *
 *   readTorchStateDict(pathOrBytes, name?) -> Map<string, { shape: number[]; data: Float32Array }>
 */
import * as fs from 'fs';
import { InputError } from '../errors';
import { PyCallable, PyGlobal, PyObject, unpickle, unpickleAt } from './pickle';
import { isZip, readZipEntries, ZipError } from './zip';
import { StorageRef, STORAGE_TYPES, TensorRef } from './torch-storage';

export interface TorchTensor {
  shape: number[];
  /** Row-major (contiguous) values. */
  data: Float32Array;
}

export type TorchStateDict = Map<string, TorchTensor>;

/** A tensor from the pickle: TensorRef, or (torch < 0.4 pickles) a torch.*Tensor object whose state is its view. */
function asTensorRef(v: unknown): TensorRef | undefined {
  if (v instanceof TensorRef) return v;
  if (v instanceof PyObject && v.cls.module === 'torch' && v.cls.name.endsWith('Tensor') && Array.isArray(v.state)) {
    const [storage, offset, size, stride] = v.state as unknown[];
    if (storage instanceof StorageRef) return new TensorRef(storage, offset as number, asIntArray(size, 'size'), asIntArray(stride, 'stride'));
  }
  return undefined;
}

function asIntArray(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new Error(`${what} is not a tuple of ints`);
  return v as number[];
}

/** Torch's rebuild functions and containers; everything else becomes a generic PyObject. */
function torchClasses(module: string, name: string): PyCallable | undefined {
  const full = `${module}.${name}`;
  switch (full) {
    case 'collections.OrderedDict':
    case 'builtins.dict':
      return () => new Map();
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2':
      return ([storage, offset, size, stride]) => {
        if (!(storage instanceof StorageRef)) throw new Error(`${full}: first argument is not a storage`);
        return new TensorRef(storage, offset as number, asIntArray(size, 'size'), asIntArray(stride, 'stride'));
      };
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return ([data]) => data;
    default:
      return undefined; // e.g. torch.FloatStorage: stays a PyGlobal, read by name in persistentLoad

  }
}

function describe(source: string | Uint8Array, name?: string): string {
  return name ?? (typeof source === 'string' ? source : '<bytes>');
}

/** The storage class name from a persistent id's type field (a PyGlobal like torch.FloatStorage). */
function storageTypeName(t: unknown): string {
  const name = t instanceof PyGlobal ? t.name : String(t);
  if (!STORAGE_TYPES[name]) throw new Error(`unsupported storage type ${name}`);
  return name;
}

/** torch >= 1.6: a zip with <archive>/data.pkl and one file per storage under <archive>/data/. */
function unpickleZip(bytes: Uint8Array, where: string): unknown {
  let entries: Map<string, Uint8Array>;
  try {
    entries = readZipEntries(bytes);
  } catch (e) {
    throw new InputError(`${where}: ${(e as ZipError).message}`);
  }
  const pklName = [...entries.keys()].find((k) => /^[^/]+\/data\.pkl$/.test(k));
  if (!pklName) {
    const scripted = [...entries.keys()].some((k) => k.endsWith('/constants.pkl') || k.includes('/code/'));
    throw new InputError(
      scripted
        ? `${where}: a TorchScript archive, not a state_dict; save model.state_dict() with torch.save instead`
        : `${where}: zip has no <archive>/data.pkl, so it was not written by torch.save`,
    );
  }
  const prefix = pklName.slice(0, -'data.pkl'.length);
  return unpickle(entries.get(pklName)!, {
    findClass: torchClasses,
    persistentLoad: (pid) => {
      const [kind, type, key, , numel] = pid as [string, unknown, string, string, number];
      if (kind !== 'storage') throw new Error(`unknown persistent id kind '${kind}'`);
      return new StorageRef(storageTypeName(type), key, numel, () => {
        const raw = entries.get(`${prefix}data/${key}`);
        if (!raw) throw new Error(`storage file ${prefix}data/${key} is missing`);
        return raw;
      });
    },
  });
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/**
 * torch < 1.6 (and `_use_new_zipfile_serialization=False`): pickles back to back — magic number, protocol version,
 * sys_info, the object (storages as persistent ids ('storage', type, key, location, numel, view_metadata)), the list of
 * storage keys — then each storage as an int64 element count and its raw bytes, in that list's order.
 */
function unpickleLegacy(bytes: Uint8Array, where: string): unknown {
  const first = unpickleAt(bytes, 0);
  if (first.value !== LEGACY_MAGIC) throw new InputError(`${where}: not a PyTorch file (a pickle without torch's magic number)`);
  const protocol = unpickleAt(bytes, first.end);
  if (protocol.value !== 1001) throw new InputError(`${where}: unsupported legacy torch protocol ${String(protocol.value)}`);
  const sysInfo = unpickleAt(bytes, protocol.end);
  if (sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false) {
    throw new InputError(`${where}: written on a big-endian machine; re-save it on a little-endian one`);
  }
  const rawByKey = new Map<string, Uint8Array>();
  const roots = new Map<string, StorageRef>();
  const body = unpickleAt(bytes, sysInfo.end, {
    findClass: torchClasses,
    persistentLoad: (pid) => {
      const [kind, type, key, , numel, viewMeta] = pid as [string, unknown, string, string, number, unknown];
      if (kind !== 'storage') throw new Error(`unknown persistent id kind '${kind}'`);
      const typeName = storageTypeName(type);
      let root = roots.get(key);
      if (!root) {
        root = new StorageRef(typeName, key, numel, () => {
          const raw = rawByKey.get(key);
          if (!raw) throw new Error(`storage ${key} is missing from the file`);
          return raw;
        });
        roots.set(key, root);
      }
      if (viewMeta === null || viewMeta === undefined) return root;
      const [viewKey, offset, size] = viewMeta as [string, number, number];
      return new StorageRef(typeName, viewKey, size, () => new Uint8Array(0), { root, offset });
    },
  });
  const keys = unpickleAt(bytes, body.end);
  if (!Array.isArray(keys.value)) throw new InputError(`${where}: legacy torch file without its storage list`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const root = roots.get(key);
    if (pos + 8 > bytes.length) throw new InputError(`${where}: truncated (storage ${key} missing)`);
    const numel = Number(view.getBigInt64(pos, true));
    const size = numel * STORAGE_TYPES[root?.typeName ?? 'ByteStorage'].bytes;
    if (pos + 8 + size > bytes.length) throw new InputError(`${where}: truncated in storage ${key}`);
    rawByKey.set(key, bytes.subarray(pos + 8, pos + 8 + size));
    pos += 8 + size;
  }
  return body.value;
}

/**
 * Reads a torch state_dict. Non-tensor entries (e.g. `_metadata`, counters stored as Python ints) are skipped.
 * If the pickle's top level is a dict holding a `state_dict`/`model`/`state` dict (a training checkpoint), that is read.
 */
export function readTorchStateDict(source: string | Uint8Array, name?: string): TorchStateDict {
  const where = describe(source, name);
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = fs.readFileSync(source);
    } catch (e) {
      throw new InputError(`${source}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  } else bytes = source;

  const legacyPickle = bytes.length > 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5;
  if (!isZip(bytes) && !legacyPickle) {
    throw new InputError(`${where}: not a PyTorch .pth file (expected a zip archive or a pickle written by torch.save)`);
  }
  let root: unknown;
  try {
    root = isZip(bytes) ? unpickleZip(bytes, where) : unpickleLegacy(bytes, where);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${where}: cannot read the pickled state_dict (${(e as Error).message})`);
  }

  const dict = pickStateDict(root);
  if (!dict) throw new InputError(`${where}: the pickle holds no tensor dict (is it a whole pickled model? save model.state_dict() instead)`);
  const out: TorchStateDict = new Map();
  for (const [k, v] of dict) {
    const t = asTensorRef(v);
    if (typeof k !== 'string' || !t) continue;
    try {
      out.set(k, t.materialize());
    } catch (e) {
      throw new InputError(`${where}: ${k}: ${(e as Error).message}`);
    }
  }
  return out;
}

function pickStateDict(root: unknown): Map<unknown, unknown> | undefined {
  if (!(root instanceof Map)) return root instanceof PyObject && root.state instanceof Map ? pickStateDict(root.state) : undefined;
  if ([...root.values()].some((v) => asTensorRef(v))) return root;
  for (const key of ['state_dict', 'model', 'state', 'net']) {
    const inner = root.get(key);
    if (inner instanceof Map) return pickStateDict(inner);
  }
  return undefined;
}
