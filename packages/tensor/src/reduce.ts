/**
 * Reductions over any set of axes (with `keepDims`), argmax, and the numerically stable softmax
 * and log-softmax.
 */
import { DataArray, Tensor, allocLike, normAxis, sizeOf, stridesOf, fmtShape } from './tensor';
import { softmaxRows } from './softmax_rows';

/**
 * Axes to reduce over: one axis, a list, or null / undefined for all of them. Negative axes count
 * from the end (-1 is the last).
 */
export type Axes = number | number[] | null | undefined;

/** Sorted, non-negative, unique axes; all axes when `axes` is null/undefined. */
export function normAxes(op: string, axes: Axes, rank: number, shape?: readonly number[]): number[] {
  if (axes === null || axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = (Array.isArray(axes) ? axes : [axes]).map((a) => normAxis(op, a, rank, shape));
  const unique = Array.from(new Set(list)).sort((a, b) => a - b);
  if (unique.length !== list.length) {
    throw new Error(`${op}: repeated axis in ${JSON.stringify(axes)}${shape ? ` for shape ${fmtShape(shape)}` : ''}`);
  }
  return unique;
}

/** Output shape of a reduction. */
export function reducedShape(shape: readonly number[], axes: number[], keepDims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepDims) out.push(1);
    } else out.push(shape[i]);
  }
  return out;
}

function reduceGeneric(
  op: string,
  t: Tensor,
  axes: Axes,
  keepDims: boolean,
  init: number,
  combine: (acc: number, x: number) => number,
): { out: Tensor; count: number } {
  const ax = normAxes(op, axes, t.rank, t.shape);
  const keptShape = reducedShape(t.shape, ax, true);
  const out = allocLike(t.dtype, sizeOf(keptShape));
  out.fill(init);
  let count = 1;
  for (const a of ax) count *= t.shape[a];
  const shape = keepDims ? keptShape : reducedShape(t.shape, ax, false);
  if (ax.length === 1 && ax[0] === t.rank - 1) {
    // the last axis: each output is one contiguous row, accumulated in order (as below, rounded to
    // the output's type after every step)
    const src = t.data;
    const f32 = out instanceof Float32Array;
    for (let r = 0, i = 0; r < out.length; r++) {
      let acc = out[r];
      if (f32) for (const end = i + count; i < end; i++) acc = Math.fround(combine(acc, src[i]));
      else for (const end = i + count; i < end; i++) acc = combine(acc, src[i]);
      out[r] = acc;
    }
    return { out: new Tensor(out, shape), count };
  }
  if (ax.every((a, i) => a === i)) {
    // leading axes (a bias gradient: [rows, n] -> [n]): row after row added onto the output, the
    // same order and rounding as the walk below
    const src = t.data;
    const n = out.length;
    const plus = op === 'sum' || op === 'mean'; // written out: a call per element costs 3x the add
    if (plus) addRowsInto(out, src, n);
    else for (let i = 0; i < src.length; i += n) for (let j = 0; j < n; j++) out[j] = combine(out[j], src[i + j]);
    return { out: new Tensor(out, shape), count };
  }
  const kstr = stridesOf(keptShape);
  const strides = t.shape.map((d, i) => (ax.includes(i) ? 0 : kstr[i]));
  const rank = t.rank;
  const idx = new Array<number>(rank).fill(0);
  const src = t.data;
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    out[o] = combine(out[o], src[i]);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      o += strides[d];
      if (idx[d] < t.shape[d]) break;
      o -= strides[d] * t.shape[d];
      idx[d] = 0;
    }
  }
  return { out: new Tensor(out, shape), count };
}

/**
 * out[j] += src[i·n + j] for every row i in order, rounded to out's type after every add. For
 * float32, four rows a pass with the same roundings in the same order, so out[j] is loaded and
 * stored once per four adds (a bias gradient over [6400, 65]: 1.7 -> 0.7 ms); float64 (gradient
 * checks) row after row.
 */
function addRowsInto(out: DataArray, src: DataArray, n: number): void {
  if (n === 0) return;
  let i = 0;
  if (out instanceof Float32Array) {
    const f = Math.fround;
    for (const four = src.length - (src.length % (4 * n)); i < four; i += 4 * n) {
      for (let j = 0, k = i; j < n; j++, k++) out[j] = f(f(f(f(out[j] + src[k]) + src[k + n]) + src[k + 2 * n]) + src[k + 3 * n]);
    }
  }
  for (; i < src.length; i += n) for (let j = 0; j < n; j++) out[j] += src[i + j];
}

/**
 * Sum over `axes` (all by default); `keepDims` keeps them as size 1.
 * @example sum(tensor([[1, 2], [3, 4]]), 0).toArray()  // [4, 6]
 */
export function sum(t: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduceGeneric('sum', t, axes, keepDims, 0, (a, x) => a + x).out;
}

/** Mean over `axes` (all by default); `keepDims` keeps them as size 1. */
export function mean(t: Tensor, axes?: Axes, keepDims = false): Tensor {
  const { out, count } = reduceGeneric('mean', t, axes, keepDims, 0, (a, x) => a + x);
  const d = out.data;
  for (let i = 0; i < d.length; i++) d[i] /= count;
  return out;
}

/** NaN-propagating maximum. */
export function max(t: Tensor, axes?: Axes, keepDims = false): Tensor {
  if (t.size === 0) throw new Error(`max: cannot reduce an empty tensor ${fmtShape(t.shape)}`);
  return reduceGeneric('max', t, axes, keepDims, -Infinity, (a, x) => (x > a || x !== x ? x : a)).out;
}

/** NaN-propagating minimum over `axes` (all by default); an empty tensor is refused. */
export function min(t: Tensor, axes?: Axes, keepDims = false): Tensor {
  if (t.size === 0) throw new Error(`min: cannot reduce an empty tensor ${fmtShape(t.shape)}`);
  return reduceGeneric('min', t, axes, keepDims, Infinity, (a, x) => (x < a || x !== x ? x : a)).out;
}

/** Splits a shape around `axis` into (outer, n, inner) for axis-wise loops. */
export function aroundAxis(shape: readonly number[], axis: number): { outer: number; n: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, n: shape[axis], inner };
}

/** Index of the largest value along `axis` (first one on ties; a NaN counts as largest). */
export function argmax(t: Tensor, axis = -1): Tensor {
  const a = normAxis('argmax', axis, t.rank, t.shape);
  const { outer, n, inner } = aroundAxis(t.shape, a);
  if (n === 0) throw new Error(`argmax: axis ${axis} of ${fmtShape(t.shape)} is empty`);
  const out = new Float32Array(outer * inner);
  const d = t.data;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      let best = 0;
      let bestVal = d[o * n * inner + k];
      for (let j = 1; j < n && bestVal === bestVal; j++) {
        const v = d[(o * n + j) * inner + k];
        if (v > bestVal || v !== v) {
          best = j;
          bestVal = v;
        }
      }
      out[o * inner + k] = best;
    }
  }
  return new Tensor(out, t.shape.filter((_, i) => i !== a));
}

/**
 * softmax(x)_j = exp(x_j - m) / Σ_k exp(x_k - m), m = max_k x_k (subtracting m keeps exp finite).
 * Over the last axis it runs row by row (softmax_rows.ts); there `lse`, when given (one value a
 * row), receives each row's log Σ_k exp(x_k) (what a cross-entropy from the same logits needs).
 */
export function softmax(t: Tensor, axis = -1, lse?: Float64Array): Tensor {
  const a = normAxis('softmax', axis, t.rank, t.shape);
  if (lse !== undefined) {
    const last = t.shape[t.rank - 1];
    const rows = last > 0 ? t.size / last : 0;
    if (a !== t.rank - 1 || lse.length !== rows) {
      throw new Error(`softmax: lse is for a softmax over the last axis, one value a row (${rows} rows of shape ${fmtShape(t.shape)}), received axis ${axis} and ${lse.length} values`);
    }
  }
  if (a !== t.rank - 1 || t.size === 0) return softmaxImpl('softmax', t, axis, false);
  const n = t.shape[a];
  const out = allocLike(t.dtype, t.size);
  softmaxRows(t.data, out, t.size / n, n, lse);
  return new Tensor(out, t.shape);
}

/** logSoftmax(x)_j = x_j - m - log Σ_k exp(x_k - m). */
export function logSoftmax(t: Tensor, axis = -1): Tensor {
  return softmaxImpl('logSoftmax', t, axis, true);
}

function softmaxImpl(op: string, t: Tensor, axis: number, logOut: boolean): Tensor {
  const a = normAxis(op, axis, t.rank, t.shape);
  const { outer, n, inner } = aroundAxis(t.shape, a);
  const out = allocLike(t.dtype, t.size);
  const d = t.data;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const base = o * n * inner + k;
      let m = -Infinity;
      for (let j = 0; j < n; j++) {
        const v = d[base + j * inner];
        if (v > m || v !== v) m = v;
      }
      if (m === -Infinity) m = 0;
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(d[base + j * inner] - m);
      if (logOut) {
        const ls = Math.log(s);
        for (let j = 0; j < n; j++) out[base + j * inner] = d[base + j * inner] - m - ls;
      } else {
        for (let j = 0; j < n; j++) out[base + j * inner] = Math.exp(d[base + j * inner] - m) / s;
      }
    }
  }
  return new Tensor(out, t.shape);
}
