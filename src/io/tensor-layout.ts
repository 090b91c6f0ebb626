/**
 * Pure layout helpers for raw row-major tensors (no tfjs), used when moving weights between frameworks. Plain loops:
 * tfjs' generic CPU transpose takes seconds per 512×512×3×3 kernel (~8 s for VGG's block5_conv1), these milliseconds.
 */

/** Conv kernels: TF HWIO [kh,kw,in,out] → PyTorch OIHW [out,in,kh,kw], and back. */
export const HWIO_TO_OIHW = [3, 2, 0, 1] as const;
export const OIHW_TO_HWIO = [2, 3, 1, 0] as const;

/** Transposes a row-major tensor: out has shape `perm.map(i => shape[i])`, out[j...] = data[i...] with j_k = i_perm[k]. */
export function permuteArray(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  if (perm.length !== rank || [...perm].sort().some((p, i) => p !== i)) throw new Error(`bad permutation [${perm}] for rank ${rank}`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new Error(`data has ${data.length} values, shape [${shape}] needs ${size}`);
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]);
  // Walk the output in order; the input offset advances by the stride of the permuted axis.
  const stepIn = perm.map((p) => inStrides[p]);
  const out = new Float32Array(size);
  if (rank === 0) {
    out.set(data);
    return out;
  }
  // The last output axis is a tight loop at a fixed input stride; the outer axes advance like an odometer.
  const last = rank - 1;
  const run = outShape[last];
  const runStep = stepIn[last];
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < size; o += run) {
    for (let j = 0, s = src; j < run; j++, s += runStep) out[o + j] = data[s];
    for (let k = last - 1; k >= 0; k--) {
      idx[k]++;
      src += stepIn[k];
      if (idx[k] < outShape[k]) break;
      src -= stepIn[k] * outShape[k];
      idx[k] = 0;
    }
  }
  return out;
}

/** Row-major (C-contiguous) strides in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}
