/** Pure layout helpers for raw row-major tensors (no tfjs), used when moving weights between frameworks. */

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
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < size; o++) {
    out[o] = data[src];
    for (let k = rank - 1; k >= 0; k--) {
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
