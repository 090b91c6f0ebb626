/**
 * TensorFlow.js' weight quantization format (what tfjs-converter's --quantize_float16 / --quantize_uint8 write and
 * tf.io.decodeWeights reads): each manifest entry keeps `dtype: 'float32'` and gains
 *   { quantization: { dtype: 'float16' } }                     IEEE half floats, 2 bytes a value
 *   { quantization: { dtype: 'uint8', scale, min } }           value = q·scale + min, per tensor, 1 byte a value
 * Pure functions on raw little-endian bytes; no tfjs.
 */
export type WeightQuantization = 'float16' | 'uint8';
export const WEIGHT_QUANTIZATIONS: readonly WeightQuantization[] = ['float16', 'uint8'];

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: WeightQuantization | 'uint16'; scale?: number; min?: number; original_dtype?: string };
}

export interface QuantizedWeights {
  specs: WeightSpec[];
  data: Uint8Array;
}

/**
 * Quantizes float32 weights (`data` = the specs' values back to back, as in a tfjs weights file). Non-float32
 * weights are an error: our networks have none, and tfjs only dequantizes into float32/int32.
 */
export function quantizeWeights(specs: WeightSpec[], data: Uint8Array, dtype: WeightQuantization): QuantizedWeights {
  const floats = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const parts: Uint8Array[] = [];
  const outSpecs: WeightSpec[] = [];
  let at = 0;
  for (const spec of specs) {
    if (spec.dtype !== 'float32' || spec.quantization) throw new Error(`weight ${spec.name}: only unquantized float32 weights can be quantized`);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const values = floats.subarray(at, at + size);
    at += size;
    if (dtype === 'float16') {
      parts.push(new Uint8Array(float32ToFloat16(values).buffer));
      outSpecs.push({ ...spec, quantization: { dtype: 'float16' } });
    } else {
      const q = affineUint8(values);
      parts.push(q.bytes);
      outSpecs.push({ ...spec, quantization: { dtype: 'uint8', scale: q.scale, min: q.min } });
    }
  }
  if (at !== floats.length) throw new Error(`weights data has ${floats.length} values, the manifest lists ${at}`);
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return { specs: outSpecs, data: out };
}

/** Per-tensor affine uint8: min and scale chosen so [min, max] maps onto 0..255 (a constant tensor gets scale 1). */
export function affineUint8(values: Float32Array): { bytes: Uint8Array; scale: number; min: number } {
  let min = Infinity, max = -Infinity;
  for (const v of values) (min = Math.min(min, v)), (max = Math.max(max, v));
  if (values.length === 0) (min = 0), (max = 0);
  const scale = max > min ? (max - min) / 255 : 1;
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round((values[i] - min) / scale)));
  return { bytes, scale, min };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary32 -> binary16 bits, round to nearest even; overflow -> ±Inf, NaN kept, subnormals handled. */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const x = u32[0];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign; // too small even for a subnormal half: ±0
        continue;
      }
      mant |= 0x800000; // the implicit leading 1
      const shift = 14 - e;
      let half = mant >>> shift;
      const rest = mant & ((1 << shift) - 1);
      const halfway = 1 << (shift - 1);
      if (rest > halfway || (rest === halfway && (half & 1))) half++;
      out[i] = sign | half;
    } else {
      let half = (e << 10) | (mant >>> 13);
      const rest = mant & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++; // may carry into the exponent: still correct
      out[i] = sign | half;
    }
  }
  return out;
}
