import fc from 'fast-check';
import {
  Tensor, tensor, scalar, add, sub, mul, div, pow, maximum, minimum, equal, greater, less,
  neg, exp, log, sqrt, tanh, sigmoid, relu, abs, sign, square, clip, where, hasNaN,
  broadcastShapes, reduceToShape, sum, binaryMap,
} from '@seqlab/tensor';
import { FC, broadcastPairArb, tensorOf, naiveBinary, naiveBroadcastShape, errorOf, tensorArb, valueArb } from './helpers';
import { expectClose } from '../../../tests/support';

const binaryOps: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
  ['add', add, (x, y) => x + y],
  ['sub', sub, (x, y) => x - y],
  ['mul', mul, (x, y) => x * y],
  ['div', div, (x, y) => x / y],
  ['pow', pow, (x, y) => Math.pow(x, y)],
  ['maximum', maximum, (x, y) => Math.max(x, y)],
  ['minimum', minimum, (x, y) => Math.min(x, y)],
];

describe('broadcasting binary ops', () => {
  test('point cases', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(add(a, tensor([10, 20, 30])).toArray()).toEqual([[11, 22, 33], [14, 25, 36]]);
    expect(add(a, tensor([[100], [200]])).toArray()).toEqual([[101, 102, 103], [204, 205, 206]]);
    expect(mul(tensor([[1], [2]]), tensor([1, 10, 100])).toArray()).toEqual([[1, 10, 100], [2, 20, 200]]);
    expect(sub(a, 1).toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(sub(1, a).toArray()).toEqual([[0, -1, -2], [-3, -4, -5]]);
    expect(div(a, 2).toArray()).toEqual([[0.5, 1, 1.5], [2, 2.5, 3]]);
    expect(pow(a, 2).toArray()).toEqual([[1, 4, 9], [16, 25, 36]]);
    expect(maximum(a, 3).toArray()).toEqual([[3, 3, 3], [4, 5, 6]]);
    expect(minimum(a, 3).toArray()).toEqual([[1, 2, 3], [3, 3, 3]]);
    expect(equal(a, 2).toArray()).toEqual([[0, 1, 0], [0, 0, 0]]);
    expect(greater(a, 2).toArray()).toEqual([[0, 0, 1], [1, 1, 1]]);
    expect(less(a, 2).toArray()).toEqual([[1, 0, 0], [0, 0, 0]]);
    expect(add(scalar(1), scalar(2)).shape).toEqual([]);
    expect(add(tensor([[[1]]]), tensor([2, 3])).shape).toEqual([1, 1, 2]);
    // one value per row against rows (a keepDims reduction), both ways, rank 3
    const x = tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
    const col = tensor([[[10], [20]], [[30], [40]]]);
    expect(sub(x, col).toArray()).toEqual([[[-9, -8], [-17, -16]], [[-25, -24], [-33, -32]]]);
    expect(sub(col, x).toArray()).toEqual([[[9, 8], [17, 16]], [[25, 24], [33, 32]]]);
  });

  test('dtype: float32 stays float32, mixing promotes to float64', () => {
    const f32 = tensor([1, 2]);
    const f64 = tensor([1, 2], undefined, { dtype: 'float64' });
    expect(add(f32, f32).dtype).toBe('float32');
    expect(add(f32, f64).dtype).toBe('float64');
    expect(add(f64, 1).dtype).toBe('float64');
    expect(add(tensor([0.1], undefined, { dtype: 'float64' }), tensor([0.2], undefined, { dtype: 'float64' })).data[0]).toBe(0.1 + 0.2);
  });

  test('empty and zero-size broadcasting', () => {
    expect(add(tensor([]), scalar(1)).shape).toEqual([0]);
    expect(add(tensor([[]]), tensor([[1], [2]])).shape).toEqual([2, 0]);
  });

  for (const [name, op, f] of binaryOps) {
    test(`property: ${name} matches the naive index-based reference over random broadcast shapes`, () => {
      fc.assert(
        fc.property(
          broadcastPairArb.chain(([sa, sb]) => fc.tuple(tensorOf(sa), tensorOf(sb))),
          fc.boolean(),
          ([a, b], swap) => {
            const [x, y] = swap ? [b, a] : [a, b];
            // pow: keep bases positive so Math.pow stays real; compare in float32
            const xx = name === 'pow' ? Math.abs : (v: number) => v;
            const xt = name === 'pow' ? tensor(Array.from(x.data, xx), x.shape) : x;
            const yt = name === 'pow' ? tensor(Array.from(y.data, (v) => v / 50), y.shape) : y;
            const got = op(xt, yt);
            const ref = naiveBinary(xt, yt, (p, q) => Math.fround(f(p, q)));
            expect(got.shape).toEqual(ref.shape);
            expectClose(got.data, ref.data, { rtol: 0, atol: 0 });
          },
        ),
        FC,
      );
    });
  }

  test('property: broadcastShapes is symmetric and matches the reference', () => {
    fc.assert(
      fc.property(broadcastPairArb, ([a, b]) => {
        expect(broadcastShapes('t', a, b)).toEqual(broadcastShapes('t', b, a));
        expect(broadcastShapes('t', a, b)).toEqual(naiveBroadcastShape(a, b));
      }),
      FC,
    );
  });

  test('property: reduceToShape is the adjoint of broadcasting (sum over broadcast axes)', () => {
    fc.assert(
      fc.property(broadcastPairArb.chain(([sa, sb]) => fc.tuple(tensorOf(sa), tensorOf(sb))), ([a, b]) => {
        const big = add(mul(a, 0), b); // b broadcast to the common shape
        const r = reduceToShape(big, b.shape);
        expect(r.shape).toEqual(b.shape);
        // every element of b was copied (size of big / size of b) times
        const times = big.size / Math.max(1, b.size);
        expectClose(r.data, Array.from(b.data, (v) => Math.fround(v * times)), { rtol: 1e-5, atol: 1e-4 });
        expectClose(sum(r).data, sum(big).data, { rtol: 1e-4, atol: 1e-2 });
      }),
      FC,
    );
  });

  test('shape errors name the op and both shapes', () => {
    expect(errorOf(() => add(tensor([[1, 2, 3]]), tensor([1, 2])))).toBe('add: shapes [1,3] and [2] cannot be broadcast together');
    expect(errorOf(() => mul(tensor([[1, 2], [3, 4], [5, 6]]), tensor([[1, 2, 3]])))).toBe('mul: shapes [3,2] and [1,3] cannot be broadcast together');
    for (const [name, op] of binaryOps) {
      expect(errorOf(() => op(tensor([1, 2, 3]), tensor([1, 2])))).toBe(`${name}: shapes [3] and [2] cannot be broadcast together`);
    }
  });
});

describe('add, sub and mul over a bias-like operand (their written-out loop)', () => {
  test('property: bit for bit what binaryMap gives, for every broadcast pair, float32, float64 and mixed, with NaN, ±∞ and -0', () => {
    const special = [NaN, Infinity, -Infinity, -0, 0, 1e-45, 3.4e38];
    fc.assert(
      fc.property(
        broadcastPairArb,
        fc.boolean(),
        fc.constantFrom<['float32' | 'float64', 'float32' | 'float64']>(['float32', 'float32'], ['float64', 'float64'], ['float32', 'float64'], ['float64', 'float32']),
        fc.integer({ min: 0, max: 1000 }),
        ([sa, sb], swap, [da, db], seed) => {
          const make = (shape: number[], dtype: 'float32' | 'float64', s: number) => {
            const n = shape.reduce((p, d) => p * d, 1);
            const d = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
            for (let i = 0; i < n; i++) d[i] = (i + s) % 7 === 0 ? special[(i + s) % special.length] : Math.sin(i * 12.9898 + s) * 1e3;
            return new Tensor(d, shape);
          };
          const [x, y] = swap ? [make(sb, db, seed), make(sa, da, seed + 1)] : [make(sa, da, seed), make(sb, db, seed + 1)];
          for (const [name, op, f] of binaryOps.slice(0, 3)) {
            const got = op(x, y);
            const want = binaryMap(name, x, y, f);
            expect(got.shape).toEqual(want.shape);
            expect(got.dtype).toBe(want.dtype);
            for (let i = 0; i < want.size; i++) {
              if (!Object.is(got.data[i], want.data[i])) throw new Error(`${name} ${JSON.stringify([x.shape, y.shape])} at ${i}: ${got.data[i]}, binaryMap ${want.data[i]}`);
            }
          }
        },
      ),
      FC,
    );
  });
});

describe('unary ops, clip, where', () => {
  const x = tensor([-2, -0.5, 0, 0.5, 2]);
  test('point values', () => {
    expect(neg(x).toArray()).toEqual([2, 0.5, -0, -0.5, -2]);
    expectClose(exp(x).data, [-2, -0.5, 0, 0.5, 2].map((v) => Math.fround(Math.exp(v))), { rtol: 0, atol: 0 });
    expectClose(log(tensor([1, Math.E])).data, [0, 1], { rtol: 1e-6, atol: 1e-6 });
    expect(sqrt(tensor([4, 9])).toArray()).toEqual([2, 3]);
    expectClose(tanh(x).data, [-2, -0.5, 0, 0.5, 2].map(Math.tanh), { rtol: 1e-6, atol: 1e-6 });
    expect(relu(x).toArray()).toEqual([0, 0, 0, 0.5, 2]);
    expect(abs(x).toArray()).toEqual([2, 0.5, 0, 0.5, 2]);
    expect(sign(x).toArray()).toEqual([-1, -1, 0, 1, 1]);
    expect(square(x).toArray()).toEqual([4, 0.25, 0, 0.25, 4]);
  });

  test('sigmoid: value at 0 and saturation without overflow', () => {
    const s = sigmoid(tensor([0, 1000, -1000, 20, -20], undefined, { dtype: 'float64' }));
    expect(s.data[0]).toBe(0.5);
    expect(s.data[1]).toBe(1);
    expect(s.data[2]).toBe(0);
    expectClose(s.data, [0.5, 1, 0, 1 / (1 + Math.exp(-20)), 1 / (1 + Math.exp(20))], { rtol: 1e-12, atol: 0 });
    expect(hasNaN(s)).toBe(false);
  });

  test('property: unary ops match Math on random tensors', () => {
    fc.assert(
      fc.property(tensorArb(0, 3), (t) => {
        const v = Array.from(t.data);
        expectClose(tanh(t).data, v.map((a) => Math.fround(Math.tanh(a))), { rtol: 0, atol: 0 });
        expectClose(sigmoid(t).data, v.map((a) => Math.fround(1 / (1 + Math.exp(-a)))), { rtol: 1e-6, atol: 1e-7 });
        expectClose(relu(t).data, v.map((a) => Math.max(a, 0)), { rtol: 0, atol: 0 });
        expectClose(abs(t).data, v.map(Math.abs), { rtol: 0, atol: 0 });
        expect(tanh(t).shape).toEqual(t.shape);
      }),
      FC,
    );
  });

  test('clip', () => {
    expect(clip(x, -1, 1).toArray()).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(errorOf(() => clip(x, 1, -1))).toBe('clip: lower bound 1 is above upper bound -1');
    fc.assert(
      fc.property(tensorArb(0, 3), valueArb, valueArb, (t, p, q) => {
        const lo = Math.min(p, q);
        const hi = Math.max(p, q);
        const c = clip(t, lo, hi);
        expect(Array.from(c.data)).toEqual(Array.from(t.data, (v) => Math.fround(Math.min(hi, Math.max(lo, v)))));
      }),
      FC,
    );
  });

  test('where broadcasts condition and both branches', () => {
    const cond = tensor([[1], [0]]);
    expect(where(cond, tensor([1, 2, 3]), -1).toArray()).toEqual([[1, 2, 3], [-1, -1, -1]]);
    expect(where(tensor([1, 0, 1]), 5, tensor([[7], [8]])).toArray()).toEqual([[5, 7, 5], [5, 8, 5]]);
    expect(where(scalar(1), scalar(2), scalar(3)).toArray()).toBe(2);
    expect(errorOf(() => where(tensor([1, 0]), tensor([1, 2, 3]), 0))).toBe('where: shapes [2] and [3] cannot be broadcast together');
  });

  test('property: where matches the reference', () => {
    const triple = broadcastPairArb.chain(([sa, sb]) =>
      fc.tuple(tensorOf(sa), tensorOf(sb), fc.array(fc.boolean(), { minLength: sa.reduce((p, d) => p * d, 1), maxLength: sa.reduce((p, d) => p * d, 1) })));
    fc.assert(
      fc.property(triple, ([a, b, bits]) => {
        const cond = tensor(bits.map((x) => (x ? 1 : 0)), a.shape);
        const got = where(cond, a, b);
        const ref = naiveBinary(a, b, () => 0);
        // reference: pick by the broadcast condition
        const refC = naiveBinary(cond, b, (c) => c);
        const refA = naiveBinary(a, b, (p) => p);
        const refB = naiveBinary(a, b, (_, q) => q);
        expect(got.shape).toEqual(ref.shape);
        expect(Array.from(got.data)).toEqual(refC.data.map((c, i) => (c !== 0 ? refA.data[i] : refB.data[i])));
      }),
      FC,
    );
  });
});

describe('NaN in -> NaN out (never a crash)', () => {
  const withNaN = tensor([1, NaN, -3]);
  test('binary ops', () => {
    for (const [, op] of binaryOps) {
      const r = op(withNaN, tensor([2, 2, 2]));
      expect(Number.isNaN(r.data[1])).toBe(true);
      const r2 = op(tensor([2, 2, 2]), withNaN);
      expect(Number.isNaN(r2.data[1])).toBe(true);
    }
  });
  test('unary ops, clip, sigmoid, relu', () => {
    for (const f of [neg, exp, log, sqrt, tanh, sigmoid, relu, abs, sign, square]) {
      expect(Number.isNaN(f(withNaN).data[1])).toBe(true);
    }
    expect(Number.isNaN(clip(withNaN, -1, 1).data[1])).toBe(true);
    expect(hasNaN(withNaN)).toBe(true);
    expect(hasNaN(tensor([1, 2]))).toBe(false);
  });
});
