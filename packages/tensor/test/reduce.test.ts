import fc from 'fast-check';
import { Rng, Tensor, tensor, sum, mean, max, min, argmax, softmax, logSoftmax, exp, hasNaN, setKernels, softmaxBackwardRows, softmaxRows } from '@seqlab/tensor';
import { FC, tensorArb, naiveReduce, errorOf, unravel, ravel } from './helpers';
import { expectClose } from '../../../tests/support';

/** A tensor plus a random subset of its axes (possibly empty, possibly all) and keepDims. */
const reductionCase = tensorArb(0, 4, 1, 4).chain((t) =>
  fc.tuple(
    fc.constant(t),
    fc.subarray(Array.from({ length: t.rank }, (_, i) => i)),
    fc.boolean(),
    fc.boolean(), // express axes as negative numbers
  ));

describe('reductions', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  test('point cases', () => {
    expect(sum(x).toArray()).toBe(21);
    expect(sum(x, 0).toArray()).toEqual([5, 7, 9]);
    expect(sum(x, 1).toArray()).toEqual([6, 15]);
    expect(sum(x, -1, true).toArray()).toEqual([[6], [15]]);
    expect(sum(x, [0, 1], true).shape).toEqual([1, 1]);
    expect(sum(x, []).toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(mean(x, 0).toArray()).toEqual([2.5, 3.5, 4.5]);
    expect(mean(x).toArray()).toBe(3.5);
    expect(max(x, 1).toArray()).toEqual([3, 6]);
    expect(min(x, 0).toArray()).toEqual([1, 2, 3]);
    expect(max(x).toArray()).toBe(6);
    expect(sum(tensor(5)).toArray()).toBe(5);
    expect(sum(x, null, true).shape).toEqual([1, 1]);
    expect(sum(tensor([]), 0).toArray()).toBe(0);
  });

  test('property: a sum over leading axes (a bias gradient) is the row-after-row loop bit for bit, float32 and float64', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.integer({ min: 1, max: 1000 }),
      (rows, n, lead, f64, seed) => {
        const rng = new Rng(seed);
        const shape = lead === 1 ? [rows, n] : [rows, 2, n];
        const size = shape.reduce((a, b) => a * b, 1);
        const data = (f64 ? new Float64Array(size) : new Float32Array(size)).map(() => rng.uniform(-1e3, 1e3));
        const got = sum(new Tensor(data, shape), lead === 1 ? 0 : [0, 1]);
        const want = f64 ? new Float64Array(n) : new Float32Array(n);
        for (let i = 0; i < size; i += n) for (let j = 0; j < n; j++) want[j] += data[i + j];
        expect(Array.from(got.data)).toEqual(Array.from(want));
      }), FC);
  });

  const folds: [string, (t: Tensor, axes: number[], keep: boolean) => Tensor, number, (a: number, x: number) => number, boolean][] = [
    ['sum', sum, 0, (a, v) => a + v, false],
    ['mean', mean, 0, (a, v) => a + v, true],
    ['max', max, -Infinity, (a, v) => Math.max(a, v), false],
    ['min', min, Infinity, (a, v) => Math.min(a, v), false],
  ];
  for (const [name, op, init, f, isMean] of folds) {
    test(`property: ${name} over a random axis subset with keepDims matches the naive reference`, () => {
      fc.assert(
        fc.property(reductionCase, ([t, axes, keepDims, negative]) => {
          const given = negative ? axes.map((a) => a - t.rank) : axes;
          const got = op(t, given, keepDims);
          const ref = naiveReduce(t, axes, keepDims, init, f);
          let count = 1;
          for (const a of axes) count *= t.shape[a];
          const expected = isMean ? ref.data.map((v) => v / count) : ref.data;
          expect(got.shape).toEqual(ref.shape);
          expectClose(got.data, expected, { rtol: 1e-5, atol: 1e-4 });
        }),
        FC,
      );
    });
  }

  test('reductions keep float64 precision', () => {
    const t = tensor([0.1, 0.2, 0.3], undefined, { dtype: 'float64' });
    expect(sum(t).dtype).toBe('float64');
    expect(sum(t).item()).toBe(0.1 + 0.2 + 0.3);
  });

  test('argmax: first index on ties, along any axis', () => {
    expect(argmax(tensor([[1, 3, 3], [7, 0, 2]])).toArray()).toEqual([1, 0]);
    expect(argmax(tensor([[1, 3, 3], [7, 0, 2]]), 0).toArray()).toEqual([1, 0, 0]);
    expect(argmax(tensor([5, 5, 5])).toArray()).toBe(0);
    fc.assert(
      fc.property(tensorArb(1, 4, 1, 4).chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: 0, max: t.rank - 1 }))), ([t, axis]) => {
        const got = argmax(t, axis);
        const outShape = t.shape.filter((_, i) => i !== axis);
        expect(got.shape).toEqual(outShape);
        for (let o = 0; o < got.size; o++) {
          const idx = unravel(o, outShape);
          let best = 0;
          let bestVal = -Infinity;
          for (let j = 0; j < t.shape[axis]; j++) {
            const full = [...idx.slice(0, axis), j, ...idx.slice(axis)];
            const v = t.data[ravel(full, t.shape)];
            if (v > bestVal) { bestVal = v; best = j; }
          }
          expect(got.data[o]).toBe(best);
        }
      }),
      FC,
    );
  });

  test('NaN propagates through sum, mean, max, min; argmax points at the NaN', () => {
    const t = tensor([[1, NaN, 3], [4, 5, 6]]);
    expect(sum(t, 1).data[0]).toBeNaN();
    expect(sum(t, 1).data[1]).toBe(15);
    expect(mean(t, 1).data[0]).toBeNaN();
    expect(max(t, 1).data[0]).toBeNaN();
    expect(min(t, 1).data[0]).toBeNaN();
    expect(max(tensor([NaN, 1])).item()).toBeNaN();
    expect(min(tensor([1, NaN, 0])).item()).toBeNaN();
    expect(argmax(t, 1).toArray()).toEqual([1, 2]);
  });

  test('axis errors name the op and the shape', () => {
    expect(errorOf(() => sum(x, 2))).toBe('sum: axis 2 is out of range for shape [2,3]');
    expect(errorOf(() => mean(x, -3))).toBe('mean: axis -3 is out of range for shape [2,3]');
    expect(errorOf(() => max(x, [0, 0]))).toBe('max: repeated axis in [0,0] for shape [2,3]');
    expect(errorOf(() => argmax(x, 5))).toBe('argmax: axis 5 is out of range for shape [2,3]');
    expect(errorOf(() => softmax(x, 2))).toBe('softmax: axis 2 is out of range for shape [2,3]');
    expect(errorOf(() => max(tensor([])))).toBe('max: cannot reduce an empty tensor [0]');
  });
});

describe('softmax and logSoftmax', () => {
  test('point values', () => {
    const s = softmax(tensor([[0, 0], [0, Math.log(3)]], undefined, { dtype: 'float64' }));
    expectClose(s.data, [0.5, 0.5, 0.25, 0.75], { rtol: 1e-12, atol: 1e-6 });
    const ls = logSoftmax(tensor([1, 2, 3], undefined, { dtype: 'float64' }));
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expectClose(ls.data, [1 - lse, 2 - lse, 3 - lse], { rtol: 1e-12, atol: 1e-6 });
  });

  test('stability: huge inputs stay finite, rows sum to 1', () => {
    const big = tensor([[1000, 1000, -1000], [-1000, -1000, -1000], [1e30, 0, -1e30], [88, 89, 90]]);
    const s = softmax(big);
    const ls = logSoftmax(big);
    expect(hasNaN(s)).toBe(false);
    expect(hasNaN(ls)).toBe(false);
    for (const v of ls.data) expect(Number.isFinite(v)).toBe(true);
    expectClose(sum(s, 1).data, [1, 1, 1, 1], { rtol: 1e-6, atol: 1e-6 });
    expectClose(s.data.slice(0, 3), [0.5, 0.5, 0], { rtol: 1e-7, atol: 1e-6 });
    expectClose(s.data.slice(3, 6), [1 / 3, 1 / 3, 1 / 3], { rtol: 1e-6, atol: 1e-6 });
    expectClose(ls.data.slice(0, 3), [-Math.log(2), -Math.log(2), -2000 - Math.log(2)], { rtol: 1e-6, atol: 1e-6 });
  });

  test('property: along a random axis rows sum to 1 and exp(logSoftmax) = softmax', () => {
    const scaled = tensorArb(1, 4, 1, 5).map((t) => new Tensor(Float32Array.from(t.data, (v) => v * 20), t.shape));
    fc.assert(
      fc.property(scaled.chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: 0, max: t.rank - 1 }))), ([t, axis]) => {
        const s = softmax(t, axis);
        const ls = logSoftmax(t, axis);
        expect(s.shape).toEqual(t.shape);
        expect(hasNaN(s) || hasNaN(ls)).toBe(false);
        expectClose(sum(s, axis).data, new Array(t.size / t.shape[axis]).fill(1), { rtol: 1e-5, atol: 1e-6 });
        expectClose(exp(ls).data, s.data, { rtol: 1e-4, atol: 1e-6 });
        // invariant under adding a constant along the axis
        const shifted = new Tensor(Float32Array.from(t.data, (v) => v + 500), t.shape);
        expectClose(softmax(shifted, axis).data, s.data, { rtol: 1e-3, atol: 1e-5 });
      }),
      FC,
    );
  });

  test('property: the last-axis row kernel is within a few float32 roundings (the shift z - m is rounded, as in TensorFlow) of the float64 formula, the same on wasm and js kernels, lse exact', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 80 }), fc.nat(), (rows, n, seed) => {
        const rng = new Rng(seed);
        const z = Float32Array.from({ length: rows * n }, () => rng.uniform(-15, 15));
        const lse = new Float64Array(rows);
        const p = new Float32Array(rows * n);
        softmaxRows(z, p, rows, n, lse);
        const was = setKernels('js');
        const pJs = softmax(new Tensor(z, [rows, n])).data;
        setKernels(was);
        expect(Array.from(pJs)).toEqual(Array.from(p));
        for (let r = 0; r < rows; r++) {
          const row = Array.from(z.subarray(r * n, (r + 1) * n));
          const m = Math.max(...row);
          const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
          expect(Math.abs(lse[r] - (m + Math.log(s)))).toBeLessThan(1e-6 * Math.max(1, Math.abs(lse[r])));
          expectClose(p.subarray(r * n, (r + 1) * n), row.map((v) => Math.exp(v - m) / s), { rtol: 2e-6, atol: 1e-12 });
        }
      }),
      FC,
    );
  });

  test('softmaxBackwardRows: dx = p·(dy - Σ dy·p), row by row', () => {
    const p = Float64Array.of(0.25, 0.75, 0.5, 0.5);
    const dy = Float64Array.of(1, 0, 2, -2);
    const dx = new Float64Array(4);
    softmaxBackwardRows(p, dy, dx, 2, 2);
    // row 1: Σ = 0.25, dx = [0.25·0.75, 0.75·(-0.25)]; row 2: Σ = 0, dx = [1, -1]
    expect(Array.from(dx)).toEqual([0.1875, -0.1875, 1, -1]);
  });

  test('NaN in a row gives NaN in that row only', () => {
    const s = softmax(tensor([[1, NaN], [1, 2]]));
    expect(s.data[0]).toBeNaN();
    expect(s.data[1]).toBeNaN();
    expect(hasNaN(s.reshape([2, 2]).cast('float32'))).toBe(true);
    expectClose(s.data.slice(2), [1 / (1 + Math.E), Math.E / (1 + Math.E)], { rtol: 1e-6, atol: 1e-6 });
    expect(logSoftmax(tensor([NaN, 0])).data[1]).toBeNaN();
  });
});
