/**
 * The float32 fast exp that the fused kernels run on float32 buffers (`exp32`: e^x = 2^n · e^r
 * with r in [-ln2/2, ln2/2] and e^r by a degree-7 Taylor polynomial), pinned over its whole
 * input range [-80, 80] against Math.exp, and the float32 tanh and σ built on it held to
 * Math.tanh and the exact logistic to within float32 rounding.
 */
import fc from 'fast-check';
import { SIGMOID, TANH, activateRange, exp32 } from '../src/recurrent/fused/activations';

/** Relative error of exp32 at x (Math.exp in float64 as the truth). */
const relError = (x: number): number => Math.abs(exp32(x) - Math.exp(x)) / Math.exp(x);

/** Float32's relative rounding, 2^-24: what storing a result in a Float32Array costs anyway. */
const F32_ROUNDING = 2 ** -24;

describe('exp32', () => {
  test('relative error below 1e-8 over the whole range [-80, 80] (a grid of 10⁶ points, the switch points of the reduction and the ends)', () => {
    let worst = 0;
    let at = 0;
    const n = 1_000_000;
    for (let i = 0; i <= n; i++) {
      const x = -80 + (160 * i) / n;
      const e = relError(x);
      if (e > worst) {
        worst = e;
        at = x;
      }
    }
    // the grid lands on the reduction's worst points too: r = ±ln2/2 where n·ln2 + ln2/2 = x
    for (let k = -115; k <= 115; k++) for (const x of [(k + 0.5) * Math.LN2, (k - 0.5) * Math.LN2]) if (Math.abs(x) <= 80) worst = Math.max(worst, relError(x));
    worst = Math.max(worst, relError(-80), relError(80), relError(0));
    if (!(worst < 1e-8)) throw new Error(`exp32: relative error ${worst} at ${at}`);
    expect(worst).toBeLessThan(1e-8); // measured: 7.0e-9
    expect(worst).toBeLessThan(F32_ROUNDING); // so float32 results are as good as Math.exp's, rounded
  });

  test('relative error below 1e-8 at random points (fast-check, fixed seed)', () => {
    fc.assert(
      fc.property(fc.double({ min: -80, max: 80, noNaN: true }), (x) => relError(x) < 1e-8),
      { seed: 32, numRuns: 20000 },
    );
  });

  test('exp32(0) = 1, exp32(ln 2) = 2; where n changes the polynomial error changes sign, a step below 1e-8', () => {
    expect(exp32(0)).toBe(1);
    expect(Math.abs(exp32(Math.LN2) - 2)).toBeLessThan(4e-16);
    // at x = (k + 1/2)·ln 2 the reduction switches from r = +ln2/2 to r = -ln2/2: the truncated
    // series errs low on one side and less on the other, so exp32 steps down there by ~2e-9
    // relative (measured), below float32 rounding: not monotone in float64, harmless in float32
    for (const k of [-50, -1, 0, 1, 50]) {
      const x = (k + 0.5) * Math.LN2;
      const below = exp32(x - 1e-12);
      const above = exp32(x + 1e-12);
      expect(Math.abs(above - below) / Math.exp(x)).toBeLessThan(1e-8);
      expect(Math.fround(above)).toBeGreaterThanOrEqual(Math.fround(below) * (1 - F32_ROUNDING));
    }
  });
});

describe('float32 tanh and σ on exp32', () => {
  /** Every float32 in [-20, 20] on a grid, and tiny magnitudes where tanh x ≈ x. */
  const inputs = (): Float32Array => {
    const grid = Array.from({ length: 400_001 }, (_, i) => -20 + i / 10_000);
    const tiny = [1e-30, 1e-12, 1e-9, 1e-7, 1e-5, 1e-3].flatMap((v) => [v, -v]);
    return Float32Array.from([...grid, ...tiny, -80, 80]);
  };

  const check = (code: number, truth: (x: number) => number, atol: number): number => {
    const x = inputs();
    const y = Float32Array.from(x);
    activateRange(code, y, 0, y.length);
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      const t = truth(x[i]);
      const err = Math.abs(y[i] - t);
      // one float32 rounding of the true value plus exp32's own 1e-8, or a tiny absolute error
      // near tanh's zero, where 1 - 2/(e^{2x} + 1) cancels
      const bound = (F32_ROUNDING + 1e-8) * Math.abs(t) + atol;
      if (!(err <= bound)) throw new Error(`at x = ${x[i]}: ${y[i]} against ${t} (error ${err}, bound ${bound})`);
      worst = Math.max(worst, err);
    }
    return worst;
  };

  test('tanh', () => {
    expect(check(TANH, Math.tanh, 2e-16)).toBeLessThan(4e-8);
  });

  test('beyond ±80 the input is clamped: tanh is ±1, σ is 1 or below 2e-35', () => {
    const t = Float32Array.from([-100, 100, -1e30, 1e30]);
    activateRange(TANH, t, 0, 4);
    expect(Array.from(t)).toEqual([-1, 1, -1, 1]);
    const s = Float32Array.from([-100, 100, -1e30, 1e30]);
    activateRange(SIGMOID, s, 0, 4);
    expect(s[1]).toBe(1);
    expect(s[3]).toBe(1);
    expect(s[0]).toBeLessThan(2e-35);
    expect(s[2]).toBeLessThan(2e-35);
  });

  test('σ', () => {
    expect(check(SIGMOID, (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))), 0)).toBeLessThan(4e-8);
  });
});
