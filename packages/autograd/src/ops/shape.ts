/**
 * Ops that move data. Each VJP moves the gradient back the other way.
 */
import * as T from '@seqlab/tensor';
import { Shape, Tensor } from '@seqlab/tensor';
import { record } from '../tape';

/** Same elements, new shape (one axis may be -1). dx = reshape(dy, x.shape). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  return record('reshape', [x], T.reshape(x, shape), (dy) => [T.reshape(dy, x.shape)]);
}

/** Inserts an axis of size 1 at `axis`: [B, H] with axis 1 gives [B, 1, H]. dx = reshape(dy, x.shape). */
export const expandDims = (x: Tensor, axis = 0): Tensor =>
  record('expandDims', [x], T.expandDims(x, axis), (dy) => [T.reshape(dy, x.shape)]);

/** Removes axes of size 1 (the given ones, or all). dx = reshape(dy, x.shape). */
export const squeeze = (x: Tensor, axes?: number[]): Tensor =>
  record('squeeze', [x], T.squeeze(x, axes), (dy) => [T.reshape(dy, x.shape)]);

/**
 * Permutes the axes by `perm` (reverses them by default): [B, T, H] with perm [1, 0, 2] gives [T, B, H].
 * dx = transpose(dy, perm⁻¹).
 */
export function transpose(x: Tensor, perm?: number[]): Tensor {
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  const inv = new Array<number>(p.length);
  p.forEach((axis, i) => (inv[axis] = i));
  return record('transpose', [x], T.transpose(x, p), (dy) => [T.transpose(dy, inv)]);
}

/** The adjoint of slicing: zeros of `shape` with `dy` written at `begin`. */
function unslice(dy: Tensor, shape: readonly number[], begin: number[]): Tensor {
  const dx = T.zeros(shape, { dtype: dy.dtype });
  if (dy.size === 0) return dx;
  const strides = T.stridesOf(shape);
  const rank = shape.length;
  const inner = dy.shape[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  let o = 0;
  for (;;) {
    let dst = 0;
    for (let k = 0; k < rank; k++) dst += (begin[k] + idx[k]) * strides[k];
    dx.data.set(dy.data.subarray(o, o + inner), dst);
    o += inner;
    let k = rank - 2;
    for (; k >= 0; k--) {
      idx[k]++;
      if (idx[k] < dy.shape[k]) break;
      idx[k] = 0;
    }
    if (k < 0) break;
  }
  return dx;
}

/**
 * The block of `size` starting at `begin` (a size of -1 runs to the end of the axis).
 * dx = zeros of x's shape with dy written back where the slice came from.
 * @example slice(x, [0, 2, 0], [-1, 1, -1])   // timestep 2 of x [B, T, I]: [B, 1, I]
 */
export function slice(x: Tensor, begin: number[], size?: number[]): Tensor {
  const b = x.shape.map((_, i) => begin[i] ?? 0);
  return record('slice', [x], T.slice(x, begin, size), (dy) => [unslice(dy, x.shape, b)]);
}

/** Joins tensors along `axis` (the other axes must match). dxᵢ = the slice of dy that came from xᵢ. */
export function concat(xs: Tensor[], axis = 0): Tensor {
  const out = T.concat(xs, axis);
  const a = T.normAxis('concat', axis, xs[0].rank);
  return record('concat', xs, out, (dy, needs) => {
    const parts = T.split(dy, xs.map((x) => x.shape[a]), a);
    return parts.map((p, i) => (needs[i] ? p : null));
  });
}

/**
 * Stacks same-shape tensors along a new axis: T tensors [B, H] with axis 1 give [B, T, H].
 * dxᵢ = the i-th slice of dy along that axis.
 */
export function stack(xs: Tensor[], axis = 0): Tensor {
  const a = T.normAxis('stack', axis, xs[0].rank + 1);
  return concat(xs.map((x) => expandDims(x, a)), a);
}

/**
 * Splits along `axis` into `sizes` parts (a count of equal parts, or a list of sizes); each part's VJP
 * is the slice VJP. An LSTM splits its [B, 4H] pre-activations into the four gates this way.
 * @example const [zi, zf, zc, zo] = split(z, 4, 1);   // z [B, 4H] -> four [B, H]
 */
export function split(x: Tensor, sizes: number | number[], axis = 0): Tensor[] {
  const a = T.normAxis('split', axis, x.rank);
  let offset = 0;
  return T.split(x, sizes, axis).map((part) => {
    const begin = x.shape.map(() => 0);
    begin[a] = offset;
    offset += part.shape[a];
    return record('split', [x], part, (dy) => [unslice(dy, x.shape, begin)]);
  });
}

/** Rows by integer ids (ids are never differentiated); dx scatters-adds dy rows. */
export function gather(x: Tensor, indices: Tensor | number[], axis = 0): Tensor {
  const idx = indices instanceof Tensor ? indices : T.tensor(indices);
  const out = T.gather(x, idx, axis);
  const a = T.normAxis('gather', axis, x.rank);
  return record('gather', [x], out, (dy) => {
    const { outer, n, inner } = T.aroundAxis(x.shape, a);
    const k = idx.size;
    // each of the `outer` blocks: dx[v] = Σ dy[i] over ids[i] = v (gather_rows.ts: split over the pool when large)
    const dx = new Tensor(T.allocLike(x.dtype, x.size, false), x.shape);
    for (let o = 0; o < outer; o++) T.scatterAddRows(dy.data.subarray(o * k * inner, (o + 1) * k * inner), idx.data, inner, n, dx.data.subarray(o * n * inner, (o + 1) * n * inner));
    return [dx];
  });
}

/** Reverses the order along `axis` (or several axes). dx = reverse(dy). */
export function reverse(x: Tensor, axis: number | number[] = 0): Tensor {
  return record('reverse', [x], T.reverse(x, axis), (dy) => [T.reverse(dy, axis)]);
}

/** Repeats x `reps[i]` times along each axis i. dx = the sum over the tiles of dy. */
export function tile(x: Tensor, reps: Shape): Tensor {
  const out = T.tile(x, reps);
  return record('tile', [x], out, (dy) => {
    // view dy as [r0, d0, r1, d1, ...] and sum the r axes
    const view: number[] = [];
    x.shape.forEach((d, i) => view.push(reps[i], d));
    const summed = T.sum(T.reshape(dy, view), x.shape.map((_, i) => 2 * i));
    return [T.reshape(summed, x.shape)];
  });
}
