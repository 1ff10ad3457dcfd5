/**
 * The one-hot input path of the fused kernels (a character model's inputs): when every input row is
 * all zeros but for a single 1, the input projection x_t·W is a row of W (a copy instead of a GEMM)
 * and the kernel gradient Xsᵀ·dG adds rows of dG into rows of dW. The same values as the GEMMs:
 * every other term of those sums is an exact zero. Imports nothing, so pool workers load it cheaply.
 */
import type { DataArray } from '@seqlab/tensor';

/** Least input features for which a one-hot input takes the gather path (a floor chosen, not measured: with few features the GEMM is small anyway). */
export const ONE_HOT_MIN_FEATURES = 16;

/**
 * One-hot inputs: when every row x[b, t] of [B, T, I] is all zeros but for a single 1 (or all
 * zeros: padding), returns the 1's index per row in processing order (s·B + b; -1 for an all-zero
 * row), else null. The scan stops at the first value that is neither 0 nor 1, so real-valued
 * inputs cost next to nothing.
 */
export function oneHotRows(x: DataArray, B: number, T: number, I: number, goBackwards: boolean): Int32Array | null {
  if (I < ONE_HOT_MIN_FEATURES) return null;
  const hot = new Int32Array(T * B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * I;
      let at = -1;
      for (let i = 0; i < I; i++) {
        const v = x[o + i];
        if (v === 0) continue;
        if (v !== 1 || at >= 0) return null;
        at = i;
      }
      hot[(goBackwards ? T - 1 - t : t) * B + b] = at;
    }
  }
  return hot;
}

/**
 * The one-hot projection's rows [r0, r1) without the bias: out[r] = W[hot[r]] (W [I, cols]), or for
 * an all-zero row the bias (zeros without one). The caller adds the bias to the other rows
 * (`project` in loop.ts, a vector add where the rows live in wasm memory).
 */
export function oneHotProjectRows(hot: Int32Array, W: DataArray, bias: DataArray | null, out: DataArray, r0: number, r1: number, cols: number): void {
  for (let r = r0; r < r1; r++) {
    const o = r * cols;
    const at = hot[r];
    if (at >= 0) out.set(W.subarray(at * cols, (at + 1) * cols), o);
    else if (bias === null) out.fill(0, o, o + cols);
    else out.set(bias.subarray(0, cols), o);
  }
}

/**
 * dW = Xsᵀ·dG for a one-hot Xs: dW[hot[r]] += dG[r] over the rows r in order (and db += Σ_r dG[r]),
 * summed in float64, on the calling thread (the same sums for any number of threads).
 */
export function oneHotKernelGrad(hot: Int32Array, dG: DataArray, cols: number, dW: DataArray, db: DataArray | null): void {
  const acc = new Float64Array(dW.length);
  const sums = db === null ? null : new Float64Array(cols);
  for (let r = 0; r < hot.length; r++) {
    const g = r * cols;
    if (sums !== null) for (let k = 0; k < cols; k++) sums[k] += dG[g + k];
    const j = hot[r];
    if (j < 0) continue;
    const o = j * cols;
    for (let k = 0; k < cols; k++) acc[o + k] += dG[g + k];
  }
  dW.set(acc);
  if (db !== null && sums !== null) for (let k = 0; k < cols; k++) db[k] += sums[k];
}
