/**
 * Element-wise functions and activations. Each is `y = f(x)` with its derivative written as a
 * function of x and y, so ops like tanh and sigmoid reuse their saved output.
 */
import * as T from '@seqlab/tensor';
import { Tensor, allocLike } from '@seqlab/tensor';
import { record } from '../tape';

type Derivative = (x: number, y: number) => number;

/** Records `y = f(x)` with `dx = dy · f'(x, y)` computed in one loop. */
function unary(name: string, x: Tensor, f: (v: number) => number, df: Derivative): Tensor {
  const y = T.unaryMap(x, f);
  return record(name, [x], y, (dy) => {
    const dx = allocLike(T.resultType(x, dy), x.size);
    const xd = x.data;
    const yd = y.data;
    const g = dy.data;
    for (let i = 0; i < dx.length; i++) dx[i] = g[i] * df(xd[i], yd[i]);
    return [new Tensor(dx, x.shape)];
  });
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

// d eˣ = eˣ = y
export const exp = (x: Tensor): Tensor => unary('exp', x, Math.exp, (_x, y) => y);
// d ln x = 1/x
export const log = (x: Tensor): Tensor => unary('log', x, Math.log, (v) => 1 / v);
// d √x = 1/(2√x) = 1/(2y)
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x, Math.sqrt, (_x, y) => 0.5 / y);
// d tanh(x) = 1 - y²
export const tanh = (x: Tensor): Tensor => unary('tanh', x, Math.tanh, (_x, y) => 1 - y * y);
// d σ(x) = y(1 - y)
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x, T.sigmoidScalar, (_x, y) => y * (1 - y));
// d relu(x) = 1 if x > 0 else 0
export const relu = (x: Tensor): Tensor => unary('relu', x, (v) => (v > 0 ? v : v === v ? 0 : v), (v) => (v > 0 ? 1 : 0));
// d |x| = sign(x)
export const abs = (x: Tensor): Tensor => unary('abs', x, Math.abs, (v) => Math.sign(v));
// d sign(x) = 0 (almost everywhere)
export const sign = (x: Tensor): Tensor => unary('sign', x, Math.sign, () => 0);
// linear: d x = 1
export const linear = (x: Tensor): Tensor => x;
// Keras hard_sigmoid (Keras 3): y = clip(x/6 + 1/2, 0, 1); dy = 1/6 inside, 0 outside
export const hardSigmoid = (x: Tensor): Tensor =>
  unary('hardSigmoid', x, (v) => Math.min(1, Math.max(0, v / 6 + 0.5)), (v) => (v > -3 && v < 3 ? 1 / 6 : 0));
// elu(x) = x if x > 0 else eˣ - 1; d = 1 or eˣ = y + 1
export const elu = (x: Tensor): Tensor => unary('elu', x, (v) => (v > 0 ? v : Math.expm1(v)), (v, y) => (v > 0 ? 1 : y + 1));
// selu(x) = scale·(x if x > 0 else α(eˣ - 1)); d = scale or y + scale·α
export const selu = (x: Tensor): Tensor =>
  unary('selu', x, (v) => SELU_SCALE * (v > 0 ? v : SELU_ALPHA * Math.expm1(v)), (v, y) => (v > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA));
// softplus(x) = ln(1 + eˣ), computed stably; d = σ(x)
export const softplus = (x: Tensor): Tensor =>
  unary('softplus', x, (v) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v))), (v) => T.sigmoidScalar(v));

/** Clamps into [lo, hi]; the gradient passes where lo <= x <= hi. */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  if (lo > hi) throw new Error(`clip: lower bound ${lo} is above upper bound ${hi}`);
  return unary('clip', x, (v) => (v < lo ? lo : v > hi ? hi : v), (v) => (v >= lo && v <= hi ? 1 : 0));
}

/** Multiplies by a constant. */
export function scale(x: Tensor, c: number): Tensor {
  return unary('scale', x, (v) => v * c, () => c);
}
