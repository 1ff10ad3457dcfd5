/**
 * Element-wise functions and activations. Each is `y = f(x)` with its derivative written as a
 * function of x and y, so ops like tanh and sigmoid reuse their saved output. The forward is
 * @seqlab/tensor's kernel wherever one exists (one definition of tanh, exp, ...); the few
 * activations only autograd needs define theirs here.
 */
import * as T from '@seqlab/tensor';
import { Tensor, allocLike } from '@seqlab/tensor';
import { record } from '../tape';

type Derivative = (x: number, y: number) => number;

/** Records `y = forward(x)` with `dx = dy · f'(x, y)` computed in one loop. */
function unary(name: string, x: Tensor, forward: (x: Tensor) => Tensor, df: Derivative): Tensor {
  const y = forward(x);
  return record(name, [x], y, (dy) => {
    const dx = allocLike(T.resultType(x, dy), x.size, false);
    const xd = x.data;
    const yd = y.data;
    const g = dy.data;
    for (let i = 0; i < dx.length; i++) dx[i] = g[i] * df(xd[i], yd[i]);
    return [new Tensor(dx, x.shape)];
  });
}

/** The forward of an activation that has no @seqlab/tensor kernel, applied element by element. */
const map = (f: (v: number) => number) => (t: Tensor): Tensor => T.unaryMap(t, f);

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** `eˣ` element-wise. d eˣ = eˣ = y (the output is what backward keeps). */
export const exp = (x: Tensor): Tensor => unary('exp', x, T.exp, (_x, y) => y);
/** Natural logarithm element-wise. d ln x = 1/x. */
export const log = (x: Tensor): Tensor => unary('log', x, T.log, (v) => 1 / v);
/** `√x` element-wise. d √x = 1/(2√x) = 1/(2y). */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x, T.sqrt, (_x, y) => 0.5 / y);
/**
 * Hyperbolic tangent element-wise. d tanh(x) = 1 - y².
 * @example grad((x) => sum(tanh(x)))(tensor([0, 1]))   // [1, 0.41997...]
 */
export const tanh = (x: Tensor): Tensor => unary('tanh', x, T.tanh, (_x, y) => 1 - y * y);
/** Logistic σ(x) = 1 / (1 + e⁻ˣ) element-wise. d σ(x) = y(1 - y). */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x, T.sigmoid, (_x, y) => y * (1 - y));
/** `max(x, 0)` element-wise. d relu(x) = 1 if x > 0 else 0. */
export const relu = (x: Tensor): Tensor => unary('relu', x, T.relu, (v) => (v > 0 ? 1 : 0));
/** `|x|` element-wise. d |x| = sign(x). */
export const abs = (x: Tensor): Tensor => unary('abs', x, T.abs, (v) => Math.sign(v));
/** -1, 0 or 1 element-wise. Its derivative is 0 almost everywhere. */
export const sign = (x: Tensor): Tensor => unary('sign', x, T.sign, () => 0);
/** The identity (Keras's 'linear' activation): returns `x` itself, records nothing. d x = dx. */
export const linear = (x: Tensor): Tensor => x;
/** Keras 3's hard sigmoid, y = clip(x/6 + 1/2, 0, 1); dy = 1/6 inside (-3, 3), 0 outside. */
export const hardSigmoid = (x: Tensor): Tensor =>
  unary('hardSigmoid', x, map((v) => Math.min(1, Math.max(0, v / 6 + 0.5))), (v) => (v > -3 && v < 3 ? 1 / 6 : 0));
/** ELU: x if x > 0 else eˣ - 1; d = 1 or eˣ = y + 1. */
export const elu = (x: Tensor): Tensor => unary('elu', x, map((v) => (v > 0 ? v : Math.expm1(v))), (v, y) => (v > 0 ? 1 : y + 1));
/** SELU: scale·(x if x > 0 else α(eˣ - 1)) with Keras's constants; d = scale or y + scale·α. */
export const selu = (x: Tensor): Tensor =>
  unary('selu', x, map((v) => SELU_SCALE * (v > 0 ? v : SELU_ALPHA * Math.expm1(v))), (v, y) => (v > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA));
/** softplus(x) = ln(1 + eˣ), computed without overflow; d = σ(x). */
export const softplus = (x: Tensor): Tensor =>
  unary('softplus', x, map((v) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)))), (v) => T.sigmoidScalar(v));

/** Clamps into [lo, hi]; the gradient passes where lo <= x <= hi. */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  return unary('clip', x, (t) => T.clip(t, lo, hi), (v) => (v >= lo && v <= hi ? 1 : 0));
}

/** Multiplies by a constant. */
export function scale(x: Tensor, c: number): Tensor {
  return unary('scale', x, map((v) => v * c), () => c);
}
