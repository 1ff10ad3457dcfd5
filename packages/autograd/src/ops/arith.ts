/**
 * Broadcasting arithmetic. Each VJP reduces its gradient back to the input's shape with
 * `unbroadcast` (the one place broadcasting is undone).
 */
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { record } from '../tape';

/** A tensor, or a number standing for a constant scalar (never differentiated). */
export type TensorLike = Tensor | number;

/** Sums a gradient over the axes broadcasting expanded, back to `shape`. */
export const unbroadcast = (g: Tensor, shape: readonly number[]): Tensor => T.reduceToShape(g, shape);

/** Numbers become scalar tensors of the other operand's precision (never tracked). */
function lift(a: TensorLike, b: TensorLike, op: string): [Tensor, Tensor] {
  if (a instanceof Tensor && b instanceof Tensor) return [a, b];
  if (a instanceof Tensor) return [a, T.scalar(b as number, { dtype: a.dtype })];
  if (b instanceof Tensor) return [T.scalar(a as number, { dtype: b.dtype }), b];
  throw new Error(`${op}: expected at least one Tensor`);
}

/**
 * `a + b` element-wise, broadcasting; recorded on the tape.
 * d(a + b) = da + db (each reduced back to its operand's shape where it was broadcast).
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift(a, b, 'add');
  const out = T.add(x, y);
  return record('add', [x, y], out, (dy) => [unbroadcast(dy, x.shape), unbroadcast(dy, y.shape)]);
}

/** `a - b` element-wise, broadcasting. d(a - b) = da - db. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift(a, b, 'sub');
  const out = T.sub(x, y);
  return record('sub', [x, y], out, (dy, needs) => [
    unbroadcast(dy, x.shape),
    needs[1] ? unbroadcast(T.neg(dy), y.shape) : null,
  ]);
}

/** `a ⊙ b` element-wise, broadcasting. d(a·b) = b·da + a·db. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift(a, b, 'mul');
  const out = T.mul(x, y);
  return record('mul', [x, y], out, (dy, needs) => [
    needs[0] ? unbroadcast(T.mul(dy, y), x.shape) : null,
    needs[1] ? unbroadcast(T.mul(dy, x), y.shape) : null,
  ]);
}

/** `a / b` element-wise, broadcasting. d(a/b) = da/b - a·db/b². */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift(a, b, 'div');
  const out = T.div(x, y);
  return record('div', [x, y], out, (dy, needs) => [
    needs[0] ? unbroadcast(T.div(dy, y), x.shape) : null,
    needs[1] ? unbroadcast(T.neg(T.div(T.mul(dy, out), y)), y.shape) : null,
  ]);
}

/** `aᵇ` element-wise, broadcasting. d(aᵇ) = b·aᵇ⁻¹·da + aᵇ·ln(a)·db. */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift(a, b, 'pow');
  const out = T.pow(x, y);
  return record('pow', [x, y], out, (dy, needs) => [
    needs[0] ? unbroadcast(T.mul(dy, T.mul(y, T.pow(x, T.sub(y, 1)))), x.shape) : null,
    needs[1] ? unbroadcast(T.mul(dy, T.mul(out, T.log(x))), y.shape) : null,
  ]);
}

/** Element-wise maximum, broadcasting. The gradient goes to the larger operand (to a on ties). */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift(a, b, 'maximum');
  const out = T.maximum(x, y);
  return record('maximum', [x, y], out, (dy, needs) => {
    const pick = T.binaryMap('maximum', x, y, (p, q) => (p >= q ? 1 : 0));
    return [
      needs[0] ? unbroadcast(T.mul(dy, pick), x.shape) : null,
      needs[1] ? unbroadcast(T.mul(dy, T.sub(1, pick)), y.shape) : null,
    ];
  });
}

/** Element-wise minimum, broadcasting. The gradient goes to the smaller operand (to a on ties). */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift(a, b, 'minimum');
  const out = T.minimum(x, y);
  return record('minimum', [x, y], out, (dy, needs) => {
    const pick = T.binaryMap('minimum', x, y, (p, q) => (p <= q ? 1 : 0));
    return [
      needs[0] ? unbroadcast(T.mul(dy, pick), x.shape) : null,
      needs[1] ? unbroadcast(T.mul(dy, T.sub(1, pick)), y.shape) : null,
    ];
  });
}

/** `-x`. d(-x) = -dx. */
export function neg(x: Tensor): Tensor {
  return record('neg', [x], T.neg(x), (dy) => [T.neg(dy)]);
}

/** `x²` element-wise. d(x²) = 2x·dx. */
export function square(x: Tensor): Tensor {
  return record('square', [x], T.square(x), (dy) => [T.mul(dy, T.mul(x, 2))]);
}

/** `cond ? a : b` (cond is not differentiated). */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift(a, b, 'where');
  const out = T.where(cond, x, y);
  return record('where', [x, y], out, (dy, needs) => [
    needs[0] ? unbroadcast(T.where(cond, dy, 0), x.shape) : null,
    needs[1] ? unbroadcast(T.where(cond, 0, dy), y.shape) : null,
  ]);
}
