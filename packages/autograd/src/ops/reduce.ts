/**
 * Reductions and (log-)softmax.
 */
import * as T from '@seqlab/tensor';
import { Axes, Tensor, allocLike } from '@seqlab/tensor';
import { record } from '../tape';

/** Shape of a reduction's output with the reduced axes kept as 1 (for broadcasting dy back). */
function keptShape(x: Tensor, axes: Axes): number[] {
  return T.reducedShape(x.shape, T.normAxes('reduce', axes, x.rank), true);
}

/**
 * Sum over `axes` (all by default), optionally keeping them as size 1. d Σx = dy broadcast to x's shape.
 * @example grad((x) => sum(x))(tensor([[1, 2], [3, 4]]))   // [[1, 1], [1, 1]]
 */
export function sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const out = T.sum(x, axes, keepDims);
  return record('sum', [x], out, (dy) => [T.add(T.zerosLike(x), dy.reshape(keptShape(x, axes)))]);
}

/** Mean over `axes` (all by default). d mean(x) = dy / n broadcast to x's shape. */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const out = T.mean(x, axes, keepDims);
  const n = out.size === 0 ? 1 : x.size / out.size;
  return record('mean', [x], out, (dy) => [T.add(T.zerosLike(x), T.div(dy.reshape(keptShape(x, axes)), n))]);
}

/** d max: the gradient goes to every element equal to the maximum (as TensorFlow does). */
function extremum(name: string, x: Tensor, axes: Axes, keepDims: boolean, f: typeof T.max): Tensor {
  const out = f(x, axes, keepDims);
  return record(name, [x], out, (dy) => {
    const kept = keptShape(x, axes);
    const hit = T.equal(x, out.reshape(kept));
    return [T.mul(hit, dy.reshape(kept))];
  });
}

/** Maximum over `axes` (all by default). The gradient goes to every element equal to the maximum. */
export const max = (x: Tensor, axes?: Axes, keepDims = false): Tensor => extremum('max', x, axes, keepDims, T.max);
/** Minimum over `axes` (all by default). The gradient goes to every element equal to the minimum. */
export const min = (x: Tensor, axes?: Axes, keepDims = false): Tensor => extremum('min', x, axes, keepDims, T.min);

/**
 * Softmax along `axis` (last by default), stable (the maximum is subtracted first).
 * y = softmax(x): dx = y ⊙ (dy - Σⱼ dyⱼ yⱼ). `lse` (over the last axis only): receives each row's
 * log Σ exp(x), as `T.softmax`'s; it gets no gradient.
 */
export function softmax(x: Tensor, axis = -1, lse?: Float64Array): Tensor {
  const y = T.softmax(x, axis, lse);
  return record('softmax', [x], y, (dy) => {
    const a = T.normAxis('softmax', axis, x.rank);
    const { outer, n, inner } = T.aroundAxis(x.shape, a);
    const dx = allocLike(T.resultType(x, dy), x.size);
    if (inner === 1) {
      T.softmaxBackwardRows(y.data, dy.data, dx, outer, n);
      return [new Tensor(dx, x.shape)];
    }
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const base = o * n * inner + k;
        let dot = 0;
        for (let j = 0; j < n; j++) dot += dy.data[base + j * inner] * y.data[base + j * inner];
        for (let j = 0; j < n; j++) {
          const p = base + j * inner;
          dx[p] = y.data[p] * (dy.data[p] - dot);
        }
      }
    }
    return [new Tensor(dx, x.shape)];
  });
}

/**
 * log(softmax(x)) along `axis`, computed stably (not as the log of a softmax).
 * y = logSoftmax(x): dx = dy - softmax(x) · Σⱼ dyⱼ.
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const y = T.logSoftmax(x, axis);
  return record('logSoftmax', [x], y, (dy) => {
    const a = T.normAxis('logSoftmax', axis, x.rank);
    const { outer, n, inner } = T.aroundAxis(x.shape, a);
    const dx = allocLike(T.resultType(x, dy), x.size);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const base = o * n * inner + k;
        let s = 0;
        for (let j = 0; j < n; j++) s += dy.data[base + j * inner];
        for (let j = 0; j < n; j++) {
          const p = base + j * inner;
          dx[p] = dy.data[p] - Math.exp(y.data[p]) * s;
        }
      }
    }
    return [new Tensor(dx, x.shape)];
  });
}
