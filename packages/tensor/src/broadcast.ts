/**
 * Broadcasting (NumPy rules): shapes are aligned at the right; each pair of sizes must be equal or
 * one of them 1. All broadcasting in seqlab goes through `broadcastShapes` and `binaryMap`.
 */
import { sum } from './reduce';
import { DataArray, Shape, Tensor, allocLike, fmtShape, reshape, resultType, shapesEqual, sizeOf, stridesOf } from './tensor';

/**
 * The shape two shapes broadcast to (aligned at the right, each pair equal or one of them 1);
 * throws `<op>: shapes [..] and [..] cannot be broadcast together` otherwise.
 * @example broadcastShapes('add', [4, 1, 3], [2, 1])  // [4, 2, 3]
 */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` viewed inside `outShape`, with 0 on broadcast axes. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = stridesOf(shape);
  const off = outShape.length - shape.length;
  const out = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < shape.length; i++) out[i + off] = shape[i] === 1 ? 0 : strides[i];
  return out;
}

/**
 * Element-wise `f(a, b)` with broadcasting. Fast paths for equal shapes and a trailing-suffix
 * operand (bias-like); the general case walks an odometer over the output index.
 */
export function binaryMap(op: string, a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const outShape = shapesEqual(a.shape, b.shape) ? a.shape.slice() : broadcastShapes(op, a.shape, b.shape);
  const n = sizeOf(outShape);
  const out = allocLike(resultType(a, b), n, false); // every branch below writes every element
  const ad = a.data;
  const bd = b.data;
  if (a.size === n && b.size === n) {
    for (let i = 0; i < n; i++) out[i] = f(ad[i], bd[i]);
  } else if (b.size === 1) {
    const y = bd[0];
    for (let i = 0; i < n; i++) out[i] = f(ad[i], y);
  } else if (a.size === 1) {
    const x = ad[0];
    for (let i = 0; i < n; i++) out[i] = f(x, bd[i]);
  } else if (a.size === n && isSuffix(b.shape, outShape)) {
    const m = b.size;
    for (let i = 0; i < n; i += m) for (let j = 0; j < m; j++) out[i + j] = f(ad[i + j], bd[j]);
  } else if (b.size === n && isSuffix(a.shape, outShape)) {
    const m = a.size;
    for (let i = 0; i < n; i += m) for (let j = 0; j < m; j++) out[i + j] = f(ad[j], bd[i + j]);
  } else if (a.size === n && isColumn(b.shape, outShape)) {
    // b [..., 1] against a [..., m] (a keepDims reduction: softmax's max and sum): one b per row
    const m = outShape[outShape.length - 1];
    for (let r = 0, i = 0; i < n; r++) {
      const y = bd[r];
      for (const end = i + m; i < end; i++) out[i] = f(ad[i], y);
    }
  } else if (b.size === n && isColumn(a.shape, outShape)) {
    const m = outShape[outShape.length - 1];
    for (let r = 0, i = 0; i < n; r++) {
      const x = ad[r];
      for (const end = i + m; i < end; i++) out[i] = f(x, bd[i]);
    }
  } else {
    general(out, outShape, ad, broadcastStrides(a.shape, outShape), bd, broadcastStrides(b.shape, outShape), f);
  }
  return new Tensor(out, outShape);
}

/** True when `shape` is `outShape` with its last axis 1 (same rank). */
function isColumn(shape: Shape, outShape: Shape): boolean {
  const last = outShape.length - 1;
  if (shape.length !== outShape.length || last < 0 || shape[last] !== 1) return false;
  for (let i = 0; i < last; i++) if (shape[i] !== outShape[i]) return false;
  return true;
}

/** True when `shape` equals the trailing axes of `outShape` (leading 1s allowed). */
function isSuffix(shape: Shape, outShape: Shape): boolean {
  let i = shape.length - 1;
  let j = outShape.length - 1;
  for (; i >= 0; i--, j--) if (shape[i] !== outShape[j]) break;
  for (; i >= 0; i--) if (shape[i] !== 1) return false;
  return true;
}

function general(
  out: DataArray,
  outShape: Shape,
  ad: DataArray,
  as: number[],
  bd: DataArray,
  bs: number[],
  f: (x: number, y: number) => number,
): void {
  const rank = outShape.length;
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  const last = rank - 1;
  const inner = outShape[last];
  const sa = as[last];
  const sb = bs[last];
  for (let o = 0; o < out.length; o += inner) {
    for (let j = 0; j < inner; j++) out[o + j] = f(ad[ia + j * sa], bd[ib + j * sb]);
    // advance the odometer over all axes but the last
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      ia += as[d];
      ib += bs[d];
      if (idx[d] < outShape[d]) break;
      ia -= as[d] * outShape[d];
      ib -= bs[d] * outShape[d];
      idx[d] = 0;
    }
  }
}

/**
 * Sums `t` down to `shape` over the axes that broadcasting expanded: the adjoint of broadcasting,
 * used by every backward pass of a broadcasting op.
 */
export function reduceToShape(t: Tensor, shape: Shape): Tensor {
  if (shapesEqual(t.shape, shape)) return t;
  // the expanded axes: the leading ones broadcasting added, and those where `shape` has a 1
  const lead = t.rank - shape.length;
  const axes: number[] = [];
  for (let a = 0; a < t.rank; a++) if (a < lead || (shape[a - lead] === 1 && t.shape[a] !== 1)) axes.push(a);
  return reshape(sum(t, axes, true), shape);
}
