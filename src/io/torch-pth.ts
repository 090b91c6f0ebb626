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
import { stridesOf } from './tensor-layout';

export interface TorchTensor {
  shape: number[];
  /** Row-major (contiguous) values. */
  data: Float32Array;
}

export type TorchStateDict = Map<string, TorchTensor>;

/** Bytes per element and a reader to float for each storage class torch pickles. */
const STORAGE_TYPES: Record<string, { bytes: number; read: (v: DataView, byteOffset: number) => number }> = {
  FloatStorage: { bytes: 4, read: (v, o) => v.getFloat32(o, true) },
  DoubleStorage: { bytes: 8, read: (v, o) => v.getFloat64(o, true) },
  HalfStorage: { bytes: 2, read: (v, o) => halfToFloat(v.getUint16(o, true)) },
  BFloat16Storage: { bytes: 2, read: (v, o) => bfloat16ToFloat(v.getUint16(o, true)) },
  LongStorage: { bytes: 8, read: (v, o) => Number(v.getBigInt64(o, true)) },
  IntStorage: { bytes: 4, read: (v, o) => v.getInt32(o, true) },
  ShortStorage: { bytes: 2, read: (v, o) => v.getInt16(o, true) },
  CharStorage: { bytes: 1, read: (v, o) => v.getInt8(o) },
  ByteStorage: { bytes: 1, read: (v, o) => v.getUint8(o) },
  BoolStorage: { bytes: 1, read: (v, o) => v.getUint8(o) },
};

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function bfloat16ToFloat(b: number): number {
  const v = new DataView(new ArrayBuffer(4));
  v.setUint32(0, b << 16, true);
  return v.getFloat32(0, true);
}

/** A storage referenced from the pickle; decoded lazily, once, when a tensor uses it. */
class StorageRef {
  private decoded?: Float32Array;
  constructor(
    readonly typeName: string,
    readonly key: string,
    readonly numel: number,
    private readonly raw: () => Uint8Array,
    /** Legacy format only: this storage is a view [offset, offset+numel) of another one. */
    private readonly viewOf?: { root: StorageRef; offset: number },
  ) {}

  values(): Float32Array {
    if (this.decoded) return this.decoded;
    if (this.viewOf) {
      this.decoded = this.viewOf.root.values().subarray(this.viewOf.offset, this.viewOf.offset + this.numel);
      return this.decoded;
    }
    const type = STORAGE_TYPES[this.typeName];
    const bytes = this.raw();
    if (bytes.length < this.numel * type.bytes) {
      throw new Error(`storage ${this.key} has ${bytes.length} bytes, expected ${this.numel * type.bytes}`);
    }
    if (this.typeName === 'FloatStorage' && bytes.byteOffset % 4 === 0) {
      this.decoded = new Float32Array(bytes.buffer, bytes.byteOffset, this.numel).slice();
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Float32Array(this.numel);
      for (let i = 0; i < this.numel; i++) out[i] = type.read(view, i * type.bytes);
      this.decoded = out;
    }
    return this.decoded;
  }
}

class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}

  /** Gathers the (possibly strided) view into a contiguous array. */
  materialize(): TorchTensor {
    const src = this.storage.values();
    const size = this.shape.reduce((a, b) => a * b, 1);
    const contiguous = stridesOf(this.shape);
    const isContiguous = this.shape.every((d, i) => d === 1 || this.stride[i] === contiguous[i]);
    const last = this.offset + this.shape.reduce((acc, d, i) => acc + (d - 1) * this.stride[i], 0);
    if (size > 0 && (this.offset < 0 || last >= src.length)) {
      throw new Error(`tensor view (offset ${this.offset}, shape [${this.shape}], stride [${this.stride}]) exceeds its storage of ${src.length}`);
    }
    if (isContiguous) return { shape: [...this.shape], data: src.slice(this.offset, this.offset + size) };
    const out = new Float32Array(size);
    const rank = this.shape.length;
    const idx = new Array<number>(rank).fill(0);
    let at = this.offset;
    for (let o = 0; o < size; o++) {
      out[o] = src[at];
      for (let k = rank - 1; k >= 0; k--) {
        idx[k]++;
        at += this.stride[k];
        if (idx[k] < this.shape[k]) break;
        at -= this.stride[k] * this.shape[k];
        idx[k] = 0;
      }
    }
    return { shape: [...this.shape], data: out };
  }
}

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
