/**
 * Softmax over the rows of a [rows, n] buffer (the last axis, contiguous): the fast path of
 * `softmax` on the last axis and the forward of the cross-entropy from logits.
 *
 *   m = max_j z_j,  e_j = exp(z_j - m),  s = Σ_j e_j,  p_j = e_j / s,  lse = log Σ_j exp(z_j) = m + log s
 *
 * Three passes over the buffer instead of one loop per row: the shifted logits for every row, then
 * exp over the whole buffer in one call (float32: `vectorActivate`, on wasm SIMD where available;
 * float64: Math.exp), then the row sums and the division. As TensorFlow's float32 kernels do, the
 * shift z - m is rounded to the buffer's type before the exp.
 *
 * Each row depends on its own values alone, so large inputs are split over the thread pool by
 * bands of rows (row_split.ts) with the same results bit for bit.
 */
import { runRowKernel } from './row_split';
import { DataArray } from './tensor';
import { vectorActivate } from './vector';

/** buf[o .. o+n) = e^buf[o .. o+n) in place: float32 to float32 accuracy (exp32), float64 with Math.exp. */
export function expInPlace(buf: DataArray, o: number, n: number): void {
  if (buf instanceof Float32Array) vectorActivate('exp', buf, o, n);
  else for (let k = o; k < o + n; k++) buf[k] = Math.exp(buf[k]);
}

/**
 * p = softmax(z) row by row for `rows` rows of `n` values (z and p may be the same buffer); when
 * `lse` is given, lse[r] = log Σ_j exp(z_rj). A row whose maximum is -∞ is shifted by 0 instead
 * (its values are all -∞: e = 0, s = 0, p = NaN, as exp(-∞ - -∞) would give); NaN propagates.
 * @example const p = new Float32Array(3); softmaxRows(Float32Array.of(0, 0, Math.log(2)), p, 1, 3);  // [0.25, 0.25, 0.5]
 */
export function softmaxRows(z: DataArray, p: DataArray, rows: number, n: number, lse?: Float64Array): void {
  const job: SoftmaxJob = { n, z, p, lse: lse ?? new Float64Array(rows) };
  runRowKernel('softmax', softmaxBand, rows, job, ['p', 'lse']);
}

/** The arrays of `softmaxRows`: p = softmax(z), lse = log Σ exp(z), row by row. */
export interface SoftmaxJob {
  n: number;
  z: DataArray;
  p: DataArray;
  lse: Float64Array;
}

/** `softmaxRows` over the rows [r0, r1): the same three passes over those rows. */
export function softmaxBand(j: SoftmaxJob, r0: number, r1: number): void {
  const { n, z, p, lse } = j;
  for (let r = r0, b = r0 * n; r < r1; r++, b += n) {
    let m = -Infinity;
    for (let k = b; k < b + n; k++) {
      const v = z[k];
      if (v > m || v !== v) m = v;
    }
    if (m === -Infinity) m = 0;
    lse[r] = m;
    for (let k = b; k < b + n; k++) p[k] = z[k] - m;
  }
  expInPlace(p, r0 * n, (r1 - r0) * n);
  for (let r = r0, b = r0 * n; r < r1; r++, b += n) {
    let s = 0;
    for (let k = b; k < b + n; k++) s += p[k];
    for (let k = b; k < b + n; k++) p[k] /= s;
    lse[r] += Math.log(s);
  }
}

/**
 * The vector-Jacobian product of softmax, row by row: dx_j = p_j · (dy_j - Σ_k dy_k p_k).
 * dx may be dy's buffer.
 */
export function softmaxBackwardRows(p: DataArray, dy: DataArray, dx: DataArray, rows: number, n: number): void {
  const job: SoftmaxBackwardJob = { n, p, dy, dx };
  runRowKernel('softmaxBackward', softmaxBackwardBand, rows, job, ['dx']);
}

/** The arrays of `softmaxBackwardRows`. */
export interface SoftmaxBackwardJob {
  n: number;
  p: DataArray;
  dy: DataArray;
  dx: DataArray;
}

/** `softmaxBackwardRows` over the rows [r0, r1). */
export function softmaxBackwardBand(j: SoftmaxBackwardJob, r0: number, r1: number): void {
  const { n, p, dy, dx } = j;
  for (let r = r0, b = r0 * n; r < r1; r++, b += n) {
    let dot = 0;
    for (let k = b; k < b + n; k++) dot += dy[k] * p[k];
    for (let k = b; k < b + n; k++) dx[k] = p[k] * (dy[k] - dot);
  }
}
