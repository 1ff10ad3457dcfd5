import fc from 'fast-check';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import * as A from '@seqlab/autograd';

const RUNS = { seed: 99, numRuns: 100 };

/** A list of 1..4 random gradient tensors with a random overall scale (1e-3 .. 1e3). */
const gradsArb = fc
  .tuple(
    fc.array(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 4 }),
    fc.integer({ min: -3, max: 3 }),
    fc.nat(),
  )
  .map(([shapes, exp10, seed]) => shapes.map((s, i) => T.randomNormal(s, 0, 10 ** exp10, { seed: seed + i })));

const cosine = (a: Tensor, b: Tensor): number => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.size; i++) {
    ab += a.data[i] * b.data[i];
    aa += a.data[i] ** 2;
    bb += b.data[i] ** 2;
  }
  return aa === 0 || bb === 0 ? 1 : ab / Math.sqrt(aa * bb);
};

describe('clipByGlobalNorm', () => {
  test('global norm after clipping <= maxNorm (1e-5 relative), directions kept, small gradients untouched', () => {
    fc.assert(
      fc.property(gradsArb, fc.double({ min: 0.01, max: 100, noNaN: true }), (grads, maxNorm) => {
        const { grads: clipped, globalNorm } = A.clipByGlobalNorm(grads, maxNorm);
        expect(globalNorm).toBeCloseTo(A.globalNorm(grads), 10);
        const after = A.globalNorm(clipped);
        expect(after).toBeLessThanOrEqual(maxNorm * (1 + 1e-5));
        grads.forEach((g, i) => {
          if (A.l2Norm(g) > 0) expect(cosine(g, clipped[i])).toBeGreaterThan(1 - 1e-6);
          if (globalNorm <= maxNorm) expect(Array.from(clipped[i].data)).toEqual(Array.from(g.data));
        });
        if (globalNorm > maxNorm) expect(after).toBeGreaterThan(maxNorm * (1 - 1e-5));
      }),
      RUNS,
    );
  });

  test('matches the tf.clip_by_global_norm formula on a hand case', () => {
    // ‖[3, 4]‖ = 5, ‖[12]‖ = 12, global = 13; maxNorm 6.5 halves everything
    const { grads, globalNorm } = A.clipByGlobalNorm([T.tensor([3, 4]), T.tensor([12])], 6.5);
    expect(globalNorm).toBe(13);
    expect(Array.from(grads[0].data)).toEqual([1.5, 2]);
    expect(Array.from(grads[1].data)).toEqual([6]);
  });
});

describe('clipByNorm and clipByValue', () => {
  test('per-tensor norm bound, direction kept; value bounds respected', () => {
    fc.assert(
      fc.property(gradsArb, fc.double({ min: 0.01, max: 100, noNaN: true }), (grads, maxNorm) => {
        for (const g of grads) {
          const c = A.clipByNorm(g, maxNorm);
          expect(A.l2Norm(c)).toBeLessThanOrEqual(maxNorm * (1 + 1e-5));
          if (A.l2Norm(g) > 0) expect(cosine(g, c)).toBeGreaterThan(1 - 1e-6);
          if (A.l2Norm(g) <= maxNorm) expect(Array.from(c.data)).toEqual(Array.from(g.data));
          const v = A.clipByValue(g, -maxNorm / 10, maxNorm / 10);
          for (let i = 0; i < v.size; i++) {
            expect(Math.abs(v.data[i])).toBeLessThanOrEqual(Math.fround(maxNorm / 10) + 1e-7);
            if (Math.abs(g.data[i]) <= maxNorm / 10) expect(v.data[i]).toBe(g.data[i]);
          }
        }
      }),
      RUNS,
    );
  });
});

describe('checkGradients reports errors and where they are', () => {
  test('a wrong VJP is caught, naming input and element', () => {
    const wrongSquare = (x: Tensor) => A.record('wrongSquare', [x], T.square(x), (dy) => [T.mul(dy, x)]); // should be 2x
    const r = A.checkGradients(wrongSquare, [T.tensor([1, 2, 3])]);
    expect(r.ok).toBe(false);
    expect(r.worst).not.toBeNull();
    expect(r.worst!.input).toBe(0);
    expect(r.message).toContain('FAILED');
    expect(r.maxRelError).toBeGreaterThan(0.1);
  });

  test('a correct op passes with float64 errors near 1e-9', () => {
    const r = A.checkGradients((x: Tensor) => A.tanh(A.matmul(x, x)), [T.randomNormal([4, 4], 0, 1, { seed: 5 })]);
    expect(r.ok).toBe(true);
    expect(r.maxAbsError).toBeLessThan(1e-7);
    expect(r.checked).toBe(16);
  });

  test('maxChecks samples elements', () => {
    const r = A.checkGradients((x: Tensor) => A.sum(A.exp(x)), [T.randomNormal([10, 10], 0, 1, { seed: 5 })], { maxChecks: 7 });
    expect(r.checked).toBe(7);
  });
});

describe('checkGradients checks two invariants', () => {
  const x = () => T.randomNormal([3, 2], 0, 1, { seed: 8 });

  test('a correct op satisfies both', () => {
    const r = A.checkGradients((t: Tensor) => A.mul(A.sigmoid(t), t), [x()]);
    expect(r.zeroUpstreamOk).toBe(true);
    expect(r.reproducible).toBe(true);
    expect(r.ok).toBe(true);
  });

  test('a VJP with a term not proportional to dy fails "zero upstream gives zero gradients"', () => {
    // d(x²) written with a weight-decay-like term 1e-3·x that ignores dy
    const leaky = (t: Tensor) => A.record('leaky', [t], T.square(t), (dy) => [T.add(T.mul(dy, T.mul(t, 2)), T.mul(t, 1e-3))]);
    const r = A.checkGradients(leaky, [x()], { atol: 1e-2, rtol: 1e-2 }); // loose enough that the values pass
    expect(r.zeroUpstreamOk).toBe(false);
    expect(r.reproducible).toBe(true);
    expect(r.ok).toBe(false);
    expect(r.message).toContain('A zero upstream gradient gave');
  });

  test('a VJP that accumulates into a buffer it never clears fails "a rerun is bit-identical"', () => {
    // the first backward is right (so finite differences agree); the second adds to the first
    let buffer: Tensor | null = null;
    const stale = (t: Tensor) =>
      A.record('stale', [t], T.square(t), (dy) => {
        const g = T.mul(dy, T.mul(t, 2));
        buffer = buffer === null ? g : T.add(buffer, g);
        return [buffer];
      });
    const r = A.checkGradients(stale, [x()]);
    expect(r.reproducible).toBe(false);
    expect(r.ok).toBe(false);
    expect(r.message).toContain('A rerun gave a different gradient at input 0');
  });
});
