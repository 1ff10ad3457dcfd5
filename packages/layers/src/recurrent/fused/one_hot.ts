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
 * summed in float64 (`oneHotKernelGradCols` over every column). threads.ts `oneHotKernelGradSplit`
 * splits the same sums over threads by bands of columns.
 */
export function oneHotKernelGrad(hot: Int32Array, dG: DataArray, cols: number, dW: DataArray, db: DataArray | null): void {
  const acc = new Float64Array(dW.length);
  const sums = db === null ? null : new Float64Array(cols);
  oneHotKernelGradCols({ hot, dG, cols, acc, sums, c0: 0, c1: cols });
  storeOneHotKernelGrad(acc, sums, dW, db, cols);
}

/** What one thread of `oneHotKernelGrad` sums: the columns [c0, c1) of every row. */
export interface OneHotGradJob {
  /** [rows]: the 1's index of each row (-1: an all-zero row) */
  hot: Int32Array;
  /** [rows, cols] */
  dG: DataArray;
  cols: number;
  /** [I, cols] float64 sums, zeroed: acc[hot[r], k] += dG[r, k] */
  acc: Float64Array;
  /** [cols] float64 sums, zeroed: sums[k] += dG[r, k] (the bias gradient); null without one */
  sums: Float64Array | null;
  c0: number;
  c1: number;
}

/**
 * The columns [c0, c1) of the one-hot kernel gradient's float64 sums: acc[hot[r], k] += dG[r, k]
 * and sums[k] += dG[r, k] over the rows r in order, each column the same sum whichever thread runs it.
 */
export function oneHotKernelGradCols(j: OneHotGradJob): void {
  const { hot, dG, cols, acc, sums, c0, c1 } = j;
  for (let r = 0; r < hot.length; r++) {
    const g = r * cols;
    const at = hot[r];
    if (sums === null) {
      if (at < 0) continue;
      const o = at * cols;
      for (let k = c0; k < c1; k++) acc[o + k] += dG[g + k];
    } else if (at < 0) {
      for (let k = c0; k < c1; k++) sums[k] += dG[g + k];
    } else {
      // one read of dG[r, k] for both sums; four columns a trip (independent sums: the same values,
      // ~1.4x the speed of one a trip, measured alone at [6400, 512])
      const o = at * cols;
      let k = c0;
      for (; k + 3 < c1; k += 4) {
        const v0 = dG[g + k];
        const v1 = dG[g + k + 1];
        const v2 = dG[g + k + 2];
        const v3 = dG[g + k + 3];
        sums[k] += v0;
        sums[k + 1] += v1;
        sums[k + 2] += v2;
        sums[k + 3] += v3;
        acc[o + k] += v0;
        acc[o + k + 1] += v1;
        acc[o + k + 2] += v2;
        acc[o + k + 3] += v3;
      }
      for (; k < c1; k++) {
        const v = dG[g + k];
        sums[k] += v;
        acc[o + k] += v;
      }
    }
  }
}

/** dW = acc (rounded to dW's type), db += sums: the end of `oneHotKernelGrad` on the calling thread. */
export function storeOneHotKernelGrad(acc: Float64Array, sums: Float64Array | null, dW: DataArray, db: DataArray | null, cols: number): void {
  dW.set(acc.subarray(0, dW.length));
  if (db !== null && sums !== null) for (let k = 0; k < cols; k++) db[k] += sums[k];
}
