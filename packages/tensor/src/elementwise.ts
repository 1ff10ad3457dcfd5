/**
 * Element-wise ops. Binary ops broadcast (see broadcast.ts). NaN in gives NaN out.
 */
import { binaryMap, broadcastShapes, broadcastStrides } from './broadcast';
import { DataArray, Tensor, allocLike, resultType, sizeOf, fmtShape } from './tensor';

/** A tensor, or a number standing for a scalar tensor (it broadcasts to any shape). */
export type TensorLike = Tensor | number;

function asTensor(x: TensorLike, like: Tensor): Tensor {
  if (x instanceof Tensor) return x;
  const d = allocLike(like.dtype, 1);
  d[0] = x;
  return new Tensor(d, []);
}

function binary(op: string, f: (x: number, y: number) => number) {
  return (a: TensorLike, b: TensorLike): Tensor => {
    if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new Error(`${op}: expected at least one Tensor`);
    const ta = asTensor(a, b instanceof Tensor ? b : (a as Tensor));
    const tb = asTensor(b, ta);
    return binaryMap(op, ta, tb, f);
  };
}

/** An arithmetic op's loop over a [n] and b [m] repeated (m divides n; m = n: the same shape): out[i + j] = a[i + j] op b[j]. */
type RepeatLoop = (out: DataArray, a: DataArray, b: DataArray, n: number, m: number) => void;

/**
 * `binary`, with the loop written out for a b of a's shape or of its trailing axes (a bias): the
 * same values, without a call of `f` per element (binaryMap calls many different `f`s, so none is
 * inlined there: a [6400, 65] + [65] bias add took 4.8-5.5 ms through it, 1.4 ms written out).
 */
function arithmetic(op: string, f: (x: number, y: number) => number, loop: RepeatLoop) {
  const general = binary(op, f);
  return (a: TensorLike, b: TensorLike): Tensor => {
    if (!(a instanceof Tensor) || !(b instanceof Tensor) || b.size === 0 || !repeatsOver(b.shape, a.shape)) return general(a, b);
    const out = allocLike(resultType(a, b), a.size, false);
    loop(out, a.data, b.data, a.size, b.size);
    return new Tensor(out, a.shape.slice());
  };
}

/** Whether `shape`, without its leading 1s, is the trailing axes of `of` (so `of` is the broadcast shape). */
function repeatsOver(shape: readonly number[], of: readonly number[]): boolean {
  let lead = 0;
  while (lead < shape.length && shape[lead] === 1) lead++;
  const k = shape.length - lead;
  if (k > of.length || shape.length > of.length) return false;
  for (let i = 1; i <= k; i++) if (shape[shape.length - i] !== of[of.length - i]) return false;
  return true;
}

/**
 * `a + b` element-wise, broadcasting (NumPy rules): `[4, 3] + [3]` is `[4, 3]`.
 * @example add(tensor([[1, 2], [3, 4]]), 10).toArray()  // [[11, 12], [13, 14]]
 */
export const add = arithmetic('add', (x, y) => x + y, (out, a, b, n, m) => {
  for (let i = 0; i < n; i += m) for (let j = 0; j < m; j++) out[i + j] = a[i + j] + b[j];
});
/** `a - b` element-wise, broadcasting. */
export const sub = arithmetic('sub', (x, y) => x - y, (out, a, b, n, m) => {
  for (let i = 0; i < n; i += m) for (let j = 0; j < m; j++) out[i + j] = a[i + j] - b[j];
});
/** `a * b` element-wise (the Hadamard product ⊙), broadcasting. */
export const mul = arithmetic('mul', (x, y) => x * y, (out, a, b, n, m) => {
  for (let i = 0; i < n; i += m) for (let j = 0; j < m; j++) out[i + j] = a[i + j] * b[j];
});
/** `a / b` element-wise, broadcasting. */
export const div = binary('div', (x, y) => x / y);
/** `a ** b` element-wise, broadcasting. */
export const pow = binary('pow', (x, y) => Math.pow(x, y));
/** NaN-propagating maximum (Math.max returns NaN when either is NaN). */
export const maximum = binary('maximum', (x, y) => Math.max(x, y));
/** NaN-propagating element-wise minimum, broadcasting. */
export const minimum = binary('minimum', (x, y) => Math.min(x, y));
/** 1 where `a === b`, else 0 (element-wise, broadcasting). */
export const equal = binary('equal', (x, y) => (x === y ? 1 : 0));
/** 1 where `a > b`, else 0 (element-wise, broadcasting). */
export const greater = binary('greater', (x, y) => (x > y ? 1 : 0));
/** 1 where `a < b`, else 0 (element-wise, broadcasting). */
export const less = binary('less', (x, y) => (x < y ? 1 : 0));

/** Applies `f` to every element. */
export function unaryMap(t: Tensor, f: (x: number) => number): Tensor {
  const out = allocLike(t.dtype, t.size, false);
  const d = t.data;
  for (let i = 0; i < d.length; i++) out[i] = f(d[i]);
  return new Tensor(out, t.shape);
}

/** Numerically stable logistic: never evaluates exp of a large positive number. */
export function sigmoidScalar(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** `-x` element-wise. */
export const neg = (t: Tensor): Tensor => unaryMap(t, (x) => -x);
/** `e^x` element-wise. */
export const exp = (t: Tensor): Tensor => unaryMap(t, Math.exp);
/** Natural logarithm element-wise (`log(0)` is -Infinity, negative inputs give NaN). */
export const log = (t: Tensor): Tensor => unaryMap(t, Math.log);
/** Square root element-wise. */
export const sqrt = (t: Tensor): Tensor => unaryMap(t, Math.sqrt);
/** Hyperbolic tangent element-wise, in (-1, 1). */
export const tanh = (t: Tensor): Tensor => unaryMap(t, Math.tanh);
/** Logistic function σ(x) = 1 / (1 + e^-x) element-wise, evaluated without overflow. */
export const sigmoid = (t: Tensor): Tensor => unaryMap(t, sigmoidScalar);
/** `max(x, 0)` element-wise (NaN stays NaN). */
export const relu = (t: Tensor): Tensor => unaryMap(t, (x) => (x > 0 ? x : x === x ? 0 : x));
/** `|x|` element-wise. */
export const abs = (t: Tensor): Tensor => unaryMap(t, Math.abs);
/** -1, 0 or 1 element-wise (Math.sign). */
export const sign = (t: Tensor): Tensor => unaryMap(t, Math.sign);
/** `x²` element-wise. */
export const square = (t: Tensor): Tensor => unaryMap(t, (x) => x * x);

/** Clamps into [lo, hi]; NaN stays NaN. */
export function clip(t: Tensor, lo: number, hi: number): Tensor {
  if (lo > hi) throw new Error(`clip: lower bound ${lo} is above upper bound ${hi}`);
  return unaryMap(t, (x) => (x < lo ? lo : x > hi ? hi : x));
}

/** `cond ? a : b` element-wise, broadcasting all three; `cond` is true where non-zero. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const ta = a instanceof Tensor ? a : asTensor(a, cond);
  const tb = b instanceof Tensor ? b : asTensor(b, cond);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, ta.shape), tb.shape);
  const n = sizeOf(shape);
  const out = allocLike(resultType(ta, tb), n);
  const sc = broadcastStrides(cond.shape, shape);
  const sa = broadcastStrides(ta.shape, shape);
  const sb = broadcastStrides(tb.shape, shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let ic = 0;
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < n; o++) {
    out[o] = cond.data[ic] !== 0 ? ta.data[ia] : tb.data[ib];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      ic += sc[d];
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < shape[d]) break;
      ic -= sc[d] * shape[d];
      ia -= sa[d] * shape[d];
      ib -= sb[d] * shape[d];
      idx[d] = 0;
    }
  }
  return new Tensor(out, shape);
}

/** True when any element is NaN. */
export function hasNaN(t: Tensor): boolean {
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (d[i] !== d[i]) return true;
  return false;
}

/** Throws `<op>: shapes differ: [..] and [..]` unless `a` and `b` have the same shape. */
export function assertSameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${op}: shapes differ: ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
}
