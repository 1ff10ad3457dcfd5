/**
 * The rows of the cross-entropy from logits (@seqlab/autograd's `softmaxCrossentropy` and
 * `sparseSoftmaxCrossentropy`, where the op and its derivation are). With z a row of logits,
 * y its labels, p = softmax(z), lse = log Σ_c e^{z_c} (softmax_rows.ts) and g the upstream gradient:
 *
 *   loss = (Σ_c y_c) · lse - Σ_c y_c · z_c          d loss / d z_c = (Σ y) · p_c - y_c
 *   sparse, class k:  loss = lse - z_k               d loss / d z_c = p_c - [c = k]
 *
 * Each row depends on its own values alone, so large inputs are split over the thread pool by
 * bands of rows (row_split.ts) with the same results bit for bit.
 */
import { runRowKernel } from './row_split';
import type { DataArray } from './tensor';

/** The arrays of `crossentropyRows`. */
export interface CrossentropyJob {
  n: number;
  z: DataArray;
  y: DataArray;
  lse: Float64Array;
  loss: DataArray;
  ySum: Float64Array;
}

/**
 * loss[r] = ySum[r] · lse[r] - Σ_c y_rc · z_rc with ySum[r] = Σ_c y_rc (summed in float64),
 * for `rows` rows of n classes.
 * @example const ySum = new Float64Array(1), loss = new Float32Array(1); crossentropyRows(Float32Array.of(0, 0), Float32Array.of(1, 0), Float64Array.of(Math.LN2), loss, ySum, 1, 2);  // loss [0.6931…]
 */
export function crossentropyRows(z: DataArray, y: DataArray, lse: Float64Array, loss: DataArray, ySum: Float64Array, rows: number, n: number): void {
  runRowKernel('crossentropy', crossentropyBand, rows, { n, z, y, lse, loss, ySum }, ['loss', 'ySum']);
}

/** `crossentropyRows` over the rows [r0, r1). */
export function crossentropyBand(j: CrossentropyJob, r0: number, r1: number): void {
  const { n, z, y, lse, loss, ySum } = j;
  for (let r = r0, b = r0 * n; r < r1; r++, b += n) {
    let sy = 0;
    let syz = 0;
    for (let k = b; k < b + n; k++) {
      sy += y[k];
      syz += y[k] * z[k];
    }
    ySum[r] = sy;
    loss[r] = sy * lse[r] - syz;
  }
}

/** The arrays of `crossentropyGradRows`. */
export interface CrossentropyGradJob {
  n: number;
  p: DataArray;
  y: DataArray;
  g: DataArray;
  ySum: Float64Array;
  dz: DataArray;
}

/** dz_rc = g_r · (ySum_r · p_rc - y_rc), for `rows` rows of n classes. */
export function crossentropyGradRows(p: DataArray, y: DataArray, g: DataArray, ySum: Float64Array, dz: DataArray, rows: number, n: number): void {
  runRowKernel('crossentropyGrad', crossentropyGradBand, rows, { n, p, y, g, ySum, dz }, ['dz']);
}

/** `crossentropyGradRows` over the rows [r0, r1). */
export function crossentropyGradBand(j: CrossentropyGradJob, r0: number, r1: number): void {
  const { n, p, y, g, ySum, dz } = j;
  for (let r = r0, b = r0 * n; r < r1; r++, b += n) {
    const gr = g[r];
    const sy = ySum[r];
    for (let k = b; k < b + n; k++) dz[k] = gr * (sy * p[k] - y[k]);
  }
}

/** The arrays of `sparseCrossentropyGradRows`. */
export interface SparseCrossentropyGradJob {
  n: number;
  p: DataArray;
  /** the class of each row, an integer in [0, n) */
  classes: DataArray;
  g: DataArray;
  dz: DataArray;
}

/** dz_rc = g_r · (p_rc - [c = k_r]), for `rows` rows of n classes with classes k. */
export function sparseCrossentropyGradRows(p: DataArray, classes: DataArray, g: DataArray, dz: DataArray, rows: number, n: number): void {
  runRowKernel('sparseCrossentropyGrad', sparseCrossentropyGradBand, rows, { n, p, classes, g, dz }, ['dz']);
}

/** `sparseCrossentropyGradRows` over the rows [r0, r1). */
export function sparseCrossentropyGradBand(j: SparseCrossentropyGradJob, r0: number, r1: number): void {
  const { n, p, classes, g, dz } = j;
  for (let r = r0, b = r0 * n; r < r1; r++, b += n) {
    const gr = g[r];
    for (let k = b; k < b + n; k++) dz[k] = gr * p[k];
    const at = b + classes[r];
    dz[at] = gr * (p[at] - 1);
  }
}
