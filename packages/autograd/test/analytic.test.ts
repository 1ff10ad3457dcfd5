/**
 * Autograd against the hand-derived formulas (not just finite differences):
 *   d tanh = 1 - tanh², d σ = σ(1 - σ), d exp = exp, d log = 1/x,
 *   softmax: dx = y ⊙ (dy - ⟨dy, y⟩), logSoftmax: dx = dy - softmax(x)·Σdy,
 *   matmul: dA = dC·Bᵀ, dB = Aᵀ·dC, sum: ones, mean: 1/n, max: indicator of the maximum.
 */
import fc from 'fast-check';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import * as A from '@seqlab/autograd';
import { expectClose } from '../../../tests/support';

const RUNS = { seed: 7, numRuns: 50 };
const arr = (t: Tensor) => Array.from(t.data);

const close = (actual: Tensor, expected: number[], tol = 1e-12): void => expectClose(actual, expected, tol);

const vecArb = fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 1, maxLength: 12 });
const f64 = (v: number[]) => T.tensor(v, [v.length], { dtype: 'float64' });

describe('unary ops equal their derivative formula', () => {
  test('tanh, sigmoid, exp, log', () => {
    fc.assert(
      fc.property(vecArb, (v) => {
        const x = f64(v);
        close(A.grad((t: Tensor) => A.sum(A.tanh(t)))(x), v.map((a) => 1 - Math.tanh(a) ** 2));
        close(A.grad((t: Tensor) => A.sum(A.sigmoid(t)))(x), v.map((a) => { const s = 1 / (1 + Math.exp(-a)); return s * (1 - s); }));
        close(A.grad((t: Tensor) => A.sum(A.exp(t)))(x), v.map(Math.exp));
        const pos = f64(v.map((a) => Math.abs(a) + 0.1));
        close(A.grad((t: Tensor) => A.sum(A.log(t)))(pos), v.map((a) => 1 / (Math.abs(a) + 0.1)));
      }),
      RUNS,
    );
  });
});

describe('softmax and logSoftmax equal their Jacobian formulas', () => {
  test('with a random upstream gradient', () => {
    fc.assert(
      fc.property(vecArb, fc.nat(), (v, seed) => {
        const x = f64(v);
        const dy = T.randomNormal([v.length], 0, 1, { seed, dtype: 'float64' });
        const y = arr(T.softmax(x));
        const dot = y.reduce((s, yi, i) => s + yi * dy.data[i], 0);
        const gs = A.gradients(() => A.softmax(x), [x], dy).grads[0];
        close(gs, y.map((yi, i) => yi * (dy.data[i] - dot)));
        const sdy = arr(dy).reduce((a, b) => a + b, 0);
        const gl = A.gradients(() => A.logSoftmax(x), [x], dy).grads[0];
        close(gl, y.map((yi, i) => dy.data[i] - yi * sdy));
      }),
      RUNS,
    );
  });
});

describe('matmul equals dA = dC·Bᵀ, dB = Aᵀ·dC', () => {
  test('random sizes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.nat(), (m, k, n, seed) => {
        const a = T.randomNormal([m, k], 0, 1, { seed, dtype: 'float64' });
        const b = T.randomNormal([k, n], 0, 1, { seed: seed + 1, dtype: 'float64' });
        const dy = T.randomNormal([m, n], 0, 1, { seed: seed + 2, dtype: 'float64' });
        const [da, db] = A.gradients(() => A.matmul(a, b), [a, b], dy).grads;
        close(da, arr(T.matmul(dy, T.transpose(b))), 1e-10);
        close(db, arr(T.matmul(T.transpose(a), dy)), 1e-10);
      }),
      RUNS,
    );
  });
});

describe('reductions equal their formulas', () => {
  test('sum gives ones, mean gives 1/n, max gives the indicator of the maximum', () => {
    fc.assert(
      fc.property(vecArb, (v) => {
        const x = f64(v);
        close(A.grad((t: Tensor) => A.sum(t))(x), v.map(() => 1));
        close(A.grad((t: Tensor) => A.mean(t))(x), v.map(() => 1 / v.length));
        const m = Math.max(...v);
        close(A.grad((t: Tensor) => A.max(t))(x), v.map((a) => (a === m ? 1 : 0)));
        const lo = Math.min(...v);
        close(A.grad((t: Tensor) => A.min(t))(x), v.map((a) => (a === lo ? 1 : 0)));
      }),
      RUNS,
    );
  });

  test('sum over one axis of a matrix with keepDims broadcasts dy back', () => {
    const x = T.tensor([[1, 2, 3], [4, 5, 6]], undefined, { dtype: 'float64' });
    const dy = T.tensor([[10], [20]], undefined, { dtype: 'float64' });
    const g = A.gradients(() => A.sum(x, 1, true), [x], dy).grads[0];
    expect(g.toArray()).toEqual([[10, 10, 10], [20, 20, 20]]);
  });
});
