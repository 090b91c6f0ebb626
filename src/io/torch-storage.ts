/**
 * PyTorch storages and tensor views as they come out of a .pth pickle: a storage of any dtype decoded to float32
 * once, on first use, and a (possibly strided) view of it gathered into a contiguous array (./torch-pth.ts reads them).
 */
import { stridesOf } from './tensor-layout';
import type { TorchTensor } from './torch-pth';

/** Bytes per element and a reader to float for each storage class torch pickles. */
export const STORAGE_TYPES: Record<string, { bytes: number; read: (v: DataView, byteOffset: number) => number }> = {
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
export class StorageRef {
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

export class TensorRef {
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
