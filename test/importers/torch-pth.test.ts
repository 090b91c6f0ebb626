import { zipSync } from 'fflate';
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../../src/errors';
import { readTorchStateDict } from '../../src/io/torch-pth';
import { unpickle } from '../../src/io/pickle';
import { permuteArray } from '../../src/io/tensor-layout';

/** Minimal pickle writer for the opcodes torch.save emits, so tests can build .pth files byte by byte. */
class PickleWriter {
  private parts: number[] = [0x80, 0x02]; // PROTO 2
  private text = new TextEncoder();
  op(...bytes: number[]) { this.parts.push(...bytes); return this; }
  global(module: string, name: string) { return this.op(0x63, ...this.text.encode(`${module}\n${name}\n`)); }
  str(s: string) { const b = this.text.encode(s); return this.op(0x58, b.length, 0, 0, 0, ...b); }
  int(n: number) { return this.op(0x4a, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff); }
  ints(ns: number[]) { this.op(0x28); ns.forEach((n) => this.int(n)); return this.op(0x74); } // MARK ... TUPLE
  orderedDict() { return this.global('collections', 'OrderedDict').op(0x29, 0x52); } // EMPTY_TUPLE REDUCE
  /** _rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict()) */
  tensor(storageType: string, key: string, numel: number, offset: number, size: number[], stride: number[]) {
    this.global('torch._utils', '_rebuild_tensor_v2').op(0x28);
    this.op(0x28).str('storage').global('torch', storageType).str(key).str('cpu').int(numel).op(0x74, 0x51); // TUPLE BINPERSID
    this.int(offset).ints(size).ints(stride).op(0x89);
    this.orderedDict();
    return this.op(0x74, 0x52); // TUPLE REDUCE
  }
  bytes() { return new Uint8Array([...this.parts, 0x2e]); } // STOP
  /** Legacy persistent id: ('storage', type, key, 'cpu', numel, view_metadata or None). */
  legacyTensor(storageType: string, key: string, numel: number, view: [string, number, number] | null, size: number[], stride: number[]) {
    this.global('torch._utils', '_rebuild_tensor_v2').op(0x28);
    this.op(0x28).str('storage').global('torch', storageType).str(key).str('cpu').int(numel);
    if (view) this.op(0x28).str(view[0]).int(view[1]).int(view[2]).op(0x74);
    else this.op(0x4e);
    this.op(0x74, 0x51).int(0).ints(size).ints(stride).op(0x89);
    this.orderedDict();
    return this.op(0x74, 0x52);
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

function int64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(n), true);
  return b;
}

function f64Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float64Array(values).buffer);
}
function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

describe('readTorchStateDict (synthetic .pth files)', () => {
  test('storage offsets, strided (transposed) views, double and float storages, ignored non-tensors', () => {
    const p = new PickleWriter().orderedDict();
    // 'w': a transposed 2x3 view of a 3x2 double storage, starting at element 1: values s[1 + i*1 + j*2].
    p.str('w').tensor('DoubleStorage', '0', 7, 1, [2, 3], [1, 2]).op(0x73); // SETITEM
    // 'b': contiguous float32 [2] at offset 2 of storage 1.
    p.str('b').tensor('FloatStorage', '1', 4, 2, [2], [1]).op(0x73);
    p.str('step').int(5).op(0x73); // a plain int: skipped
    const zip = zipSync(
      {
        'archive/data.pkl': p.bytes(),
        'archive/data/0': f64Bytes([0, 10, 11, 12, 13, 14, 15]),
        'archive/data/1': f32Bytes([1, 2, 3.5, -4]),
        'archive/version': new TextEncoder().encode('3\n'),
      },
      { level: 0 },
    );
    const dict = readTorchStateDict(zip, 'synthetic.pth');
    expect([...dict.keys()]).toEqual(['w', 'b']);
    expect(dict.get('w')!.shape).toEqual([2, 3]);
    expect(Array.from(dict.get('w')!.data)).toEqual([10, 12, 14, 11, 13, 15]);
    expect(Array.from(dict.get('b')!.data)).toEqual([3.5, -4]);
  });

  test('legacy (torch < 1.6) files: pickles then raw storages, including storage views', () => {
    const magic = new Uint8Array([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    const protocol = new Uint8Array([0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e]); // 1001
    const sysInfo = new Uint8Array([0x80, 0x02, 0x7d, 0x2e]); // {}
    const body = new PickleWriter().orderedDict();
    body.str('a').legacyTensor('FloatStorage', 'k1', 6, null, [2, 3], [3, 1]).op(0x73);
    body.str('b').legacyTensor('FloatStorage', 'k1', 6, ['k1v', 4, 2], [2], [1]).op(0x73); // a view of k1's last 2
    body.str('c').legacyTensor('DoubleStorage', 'k2', 2, null, [2], [1]).op(0x73);
    const keys = new PickleWriter().op(0x28).str('k1').str('k2').op(0x6c).bytes(); // MARK ... LIST
    const file = concat(magic, protocol, sysInfo, body.bytes(), keys, int64(6), f32Bytes([1, 2, 3, 4, 5, 6]), int64(2), f64Bytes([7, 8]));
    const dict = readTorchStateDict(file, 'legacy.pth');
    expect(Array.from(dict.get('a')!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(dict.get('b')!.data)).toEqual([5, 6]);
    expect(Array.from(dict.get('c')!.data)).toEqual([7, 8]);
    expect(() => readTorchStateDict(file.subarray(0, file.length - 4), 'cut.pth')).toThrow(/cut.pth: truncated in storage k2/);
  });

  test('clear InputErrors: truncated pickle, not a zip, missing storage, view beyond its storage', () => {
    expect(() => readTorchStateDict(new Uint8Array([0x80, 0x02, 0x8a, 0x0a]), 'old.pth')).toThrow(/old.pth: cannot read the pickled state_dict \(truncated/);
    expect(() => readTorchStateDict(new Uint8Array([1, 2, 3, 4]), 'x.pth')).toThrow(/x.pth: not a PyTorch .pth file/);
    const p = new PickleWriter().orderedDict().str('w').tensor('FloatStorage', '0', 2, 0, [4], [1]).op(0x73).bytes();
    const missing = zipSync({ 'a/data.pkl': p }, { level: 0 });
    expect(() => readTorchStateDict(missing, 'm.pth')).toThrow(/m.pth: w: storage file a\/data\/0 is missing/);
    const short = zipSync({ 'a/data.pkl': p, 'a/data/0': f32Bytes([1, 2]) }, { level: 0 });
    const err = (() => { try { readTorchStateDict(short, 's.pth'); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/s.pth: w: tensor view .* exceeds its storage/);
  });

  test('unpickle handles memo, lists, dicts, floats, longs and unknown globals', () => {
    // [1.5, -2, 2**40, {'a': None}] with a memoized string reused
    const bytes = new Uint8Array([
      0x80, 0x02, 0x5d, 0x71, 0x00, 0x28,
      0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, // BINFLOAT 1.5
      0x4a, 0xfe, 0xff, 0xff, 0xff, // BININT -2
      0x8a, 0x06, 0, 0, 0, 0, 0, 0x01, // LONG1 2**40
      0x7d, 0x8c, 0x01, 0x61, 0x94, 0x4e, 0x73, // {} 'a' MEMOIZE None SETITEM
      0x65, 0x2e, // APPENDS STOP
    ]);
    const v = unpickle(bytes) as unknown[];
    expect(v.slice(0, 3)).toEqual([1.5, -2, 2 ** 40]);
    expect(v[3]).toEqual(new Map([['a', null]]));
  });
});

describe('readTorchStateDict (files written by torch)', () => {
  const FIXTURES = path.join(__dirname, '..', 'fixtures', 'vgg');
  const legacy = path.join(FIXTURES, 'vgg16-legacy-block1.pth');
  const zipped = path.join(FIXTURES, 'vgg16-features-block1.pth');
  (fs.existsSync(legacy) && fs.existsSync(zipped) ? test : test.skip)('a legacy-format save reads the same tensors as the zip-format one', () => {
    const a = readTorchStateDict(legacy);
    const b = readTorchStateDict(zipped);
    expect([...a.keys()].sort()).toEqual(['features.0.bias', 'features.0.weight']);
    for (const [k, t] of a) {
      expect(t.shape).toEqual(b.get(k)!.shape);
      expect(Array.from(t.data)).toEqual(Array.from(b.get(k)!.data));
    }
  });
});

describe('permuteArray', () => {
  test('HWIO -> OIHW -> HWIO is the identity and moves elements where expected', () => {
    const shape = [2, 3, 4, 5];
    const data = Float32Array.from({ length: 120 }, (_, i) => i);
    const oihw = permuteArray(data, shape, [3, 2, 0, 1]);
    // element (h=1, w=2, i=3, o=4) sits at ((1*3+2)*4+3)*5+4 in HWIO and ((4*4+3)*2+1)*3+2 in OIHW
    expect(oihw[((4 * 4 + 3) * 2 + 1) * 3 + 2]).toBe(((1 * 3 + 2) * 4 + 3) * 5 + 4);
    expect(Array.from(permuteArray(oihw, [5, 4, 2, 3], [2, 3, 1, 0]))).toEqual(Array.from(data));
  });

  test('scalars, vectors, unit axes and empty tensors come out as a reference index walk says', () => {
    // Reference: out[j] = data[sum_k idx_k * inStride[perm[k]]] over the output's multi-index, written the slow way.
    const reference = (data: Float32Array, shape: number[], perm: number[]): number[] => {
      const outShape = perm.map((p) => shape[p]);
      const inStrides = shape.map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1));
      const out: number[] = [];
      const walk = (k: number, offset: number): void => {
        if (k === outShape.length) {
          out.push(data[offset]);
          return;
        }
        for (let i = 0; i < outShape[k]; i++) walk(k + 1, offset + i * inStrides[perm[k]]);
      };
      walk(0, 0);
      return out;
    };
    const cases: Array<[number[], number[]]> = [[[], []], [[7], [0]], [[3, 1, 4], [2, 0, 1]], [[2, 0, 3], [1, 2, 0]], [[1, 2, 3, 1, 2], [4, 2, 0, 3, 1]]];
    for (const [shape, perm] of cases) {
      const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 0.5);
      expect(Array.from(permuteArray(data, shape, perm))).toEqual(reference(data, shape, perm));
    }
  });
});
