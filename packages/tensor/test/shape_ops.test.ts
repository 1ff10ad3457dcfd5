import fc from 'fast-check';
import {
  Tensor, tensor, scalar, range, transpose, slice, concat, stack, split, gather, oneHot, reverse,
  expandDims, squeeze, tile, zeros,
} from '@seqlab/tensor';
import { FC, tensorArb, tensorOf, unravel, ravel, errorOf } from './helpers';

const values = (t: Tensor): number[] => Array.from(t.data);

/** A tensor with a random permutation of its axes. */
const permCase = tensorArb(0, 5, 1, 4).chain((t) =>
  fc.tuple(fc.constant(t), fc.shuffledSubarray(Array.from({ length: t.rank }, (_, i) => i), { minLength: t.rank, maxLength: t.rank })));

describe('transpose', () => {
  test('point cases', () => {
    expect(transpose(tensor([[1, 2, 3], [4, 5, 6]])).toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    const x = range(24).reshape([2, 3, 4]);
    expect(transpose(x, [0, 2, 1]).shape).toEqual([2, 4, 3]);
    expect(transpose(x).shape).toEqual([4, 3, 2]);
    expect(transpose(scalar(3)).toArray()).toBe(3);
  });

  test('property: out[idx] = in[idx permuted back]; the inverse permutation restores the input', () => {
    fc.assert(
      fc.property(permCase, ([t, perm]) => {
        const out = transpose(t, perm);
        expect(out.shape).toEqual(perm.map((p) => t.shape[p]));
        for (let o = 0; o < out.size; o++) {
          const oi = unravel(o, out.shape);
          const ii = new Array<number>(t.rank);
          perm.forEach((p, d) => (ii[p] = oi[d]));
          expect(out.data[o]).toBe(t.data[ravel(ii, t.shape)]);
        }
        const inv = new Array<number>(perm.length);
        perm.forEach((p, i) => (inv[p] = i));
        const back = transpose(out, inv);
        expect(back.shape).toEqual(t.shape);
        expect(values(back)).toEqual(values(t));
      }),
      FC,
    );
  });

  test('errors', () => {
    expect(errorOf(() => transpose(zeros([2, 3]), [0, 0]))).toBe('transpose: [0,0] is not a permutation of the axes of [2,3]');
    expect(errorOf(() => transpose(zeros([2, 3]), [1]))).toBe('transpose: [1] is not a permutation of the axes of [2,3]');
  });
});

describe('slice, concat, split, stack', () => {
  const x = range(12).reshape([3, 4]);
  test('point cases', () => {
    expect(slice(x, [1, 1], [2, 2]).toArray()).toEqual([[5, 6], [9, 10]]);
    expect(slice(x, [0, 2], [-1, -1]).toArray()).toEqual([[2, 3], [6, 7], [10, 11]]);
    expect(slice(x, [2]).toArray()).toEqual([[8, 9, 10, 11]]);
    expect(slice(x, [0, 0], [0, 4]).shape).toEqual([0, 4]);
    expect(slice(scalar(7), []).toArray()).toBe(7);
    expect(concat([x, x], 1).shape).toEqual([3, 8]);
    expect(concat([tensor([1, 2]), tensor([3])]).toArray()).toEqual([1, 2, 3]);
    expect(concat([tensor([[1], [2]]), tensor([[3, 4], [5, 6]])], -1).toArray()).toEqual([[1, 3, 4], [2, 5, 6]]);
    expect(split(x, 2, 1).map((p) => p.toArray())).toEqual([[[0, 1], [4, 5], [8, 9]], [[2, 3], [6, 7], [10, 11]]]);
    expect(split(x, [1, 0, 2], 0).map((p) => p.shape)).toEqual([[1, 4], [0, 4], [2, 4]]);
    expect(stack([tensor([1, 2]), tensor([3, 4])]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(stack([scalar(1), scalar(2)]).toArray()).toEqual([1, 2]);
  });

  test('property: slice matches index arithmetic', () => {
    const arb = tensorArb(1, 4, 1, 5).chain((t) =>
      fc.tuple(fc.constant(t), fc.tuple(...t.shape.map((d) => fc.integer({ min: 0, max: d }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 0, max: d - b })))))));
    fc.assert(
      fc.property(arb, ([t, bs]) => {
        const begin = bs.map(([b]) => b);
        const size = bs.map(([, s]) => s);
        const out = slice(t, begin, size);
        expect(out.shape).toEqual(size);
        for (let o = 0; o < out.size; o++) {
          const idx = unravel(o, size).map((v, d) => v + begin[d]);
          expect(out.data[o]).toBe(t.data[ravel(idx, t.shape)]);
        }
      }),
      FC,
    );
  });

  test('property: split into random sizes along a random axis, then concat, is the identity', () => {
    const arb = tensorArb(1, 4, 1, 6).chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: 0, max: t.rank - 1 }))).chain(([t, axis]) =>
      fc.tuple(fc.constant(t), fc.constant(axis), fc.array(fc.integer({ min: 0, max: t.shape[axis] }), { maxLength: 3 })));
    fc.assert(
      fc.property(arb, ([t, axis, cuts]) => {
        const points = [0, ...cuts.sort((p, q) => p - q), t.shape[axis]];
        const sizes = points.slice(1).map((p, i) => p - points[i]);
        const parts = split(t, sizes, axis);
        expect(parts.map((p) => p.shape[axis])).toEqual(sizes);
        const back = concat(parts, axis);
        expect(back.shape).toEqual(t.shape);
        expect(values(back)).toEqual(values(t));
        // equal parts too
        const whole = split(t, 1, axis);
        expect(values(whole[0])).toEqual(values(t));
      }),
      FC,
    );
  });

  test('property: stack along a random axis = concat of expandDims; unstack by slicing', () => {
    const arb = tensorArb(0, 3, 1, 4).chain((t) =>
      fc.tuple(fc.array(tensorOf(t.shape), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: t.rank })));
    fc.assert(
      fc.property(arb, ([ts, axis]) => {
        const s = stack(ts, axis);
        const expected = [...ts[0].shape];
        expected.splice(axis, 0, ts.length);
        expect(s.shape).toEqual(expected);
        expect(values(s)).toEqual(values(concat(ts.map((t) => expandDims(t, axis)), axis)));
        ts.forEach((t, i) => {
          const begin = expected.map(() => 0);
          begin[axis] = i;
          const size = expected.slice();
          size[axis] = 1;
          expect(values(slice(s, begin, size))).toEqual(values(t));
        });
      }),
      FC,
    );
  });

  test('concat promotes dtype', () => {
    expect(concat([tensor([1]), tensor([2], undefined, { dtype: 'float64' })]).dtype).toBe('float64');
  });

  test('errors name the op and the shapes', () => {
    expect(errorOf(() => slice(x, [2, 0], [2, 4]))).toBe('slice: begin [2,0] size [2,4] is out of bounds for [3,4]');
    expect(errorOf(() => slice(x, [0, 0, 0]))).toBe('slice: begin [0,0,0] has more axes than [3,4]');
    expect(errorOf(() => concat([x, zeros([2, 3])], 0))).toBe('concat: shapes [3,4], [2,3] differ outside axis 0');
    expect(errorOf(() => concat([]))).toBe('concat: expected at least one tensor');
    expect(errorOf(() => concat([x], 2))).toBe('concat: axis 2 is out of range for shape [3,4]');
    expect(errorOf(() => stack([x, zeros([4, 3])]))).toBe('stack: shapes differ: [3,4], [4,3]');
    expect(errorOf(() => split(x, 3, 1))).toBe('split: axis 1 of [3,4] (size 4) cannot be split into 3 equal parts');
    expect(errorOf(() => split(x, [1, 1], 1))).toBe('split: sizes [1,1] do not add up to 4 (axis 1 of [3,4])');
  });
});

describe('gather, oneHot', () => {
  const table = range(12).reshape([4, 3]);
  test('point cases', () => {
    expect(gather(table, [3, 0, 3]).toArray()).toEqual([[9, 10, 11], [0, 1, 2], [9, 10, 11]]);
    expect(gather(table, tensor([[1, 2], [0, 0]])).shape).toEqual([2, 2, 3]);
    expect(gather(table, [2, 0], 1).toArray()).toEqual([[2, 0], [5, 3], [8, 6], [11, 9]]);
    expect(gather(table, scalar(1)).toArray()).toEqual([3, 4, 5]);
    expect(oneHot([0, 2], 3).toArray()).toEqual([[1, 0, 0], [0, 0, 1]]);
    expect(oneHot(tensor([[1], [0]]), 2, 5, -1).toArray()).toEqual([[[-1, 5]], [[5, -1]]]);
  });

  test('property: gather along a random axis picks the indexed slices', () => {
    const arb = tensorArb(1, 3, 1, 4).chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: 0, max: t.rank - 1 }))).chain(([t, axis]) =>
      fc.tuple(fc.constant(t), fc.constant(axis), fc.array(fc.integer({ min: 0, max: t.shape[axis] - 1 }), { maxLength: 6 })));
    fc.assert(
      fc.property(arb, ([t, axis, ids]) => {
        const g = gather(t, ids, axis);
        const shape = t.shape.slice();
        shape[axis] = ids.length;
        expect(g.shape).toEqual(shape);
        for (let o = 0; o < g.size; o++) {
          const idx = unravel(o, shape);
          idx[axis] = ids[idx[axis]];
          expect(g.data[o]).toBe(t.data[ravel(idx, t.shape)]);
        }
      }),
      FC,
    );
  });

  test('property: oneHot rows sum to 1 and argmax back to the index', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }).chain((d) => fc.tuple(fc.constant(d), fc.array(fc.integer({ min: 0, max: d - 1 }), { maxLength: 8 }))), ([depth, ids]) => {
        const h = oneHot(ids, depth);
        expect(h.shape).toEqual([ids.length, depth]);
        ids.forEach((id, i) => {
          for (let j = 0; j < depth; j++) expect(h.data[i * depth + j]).toBe(j === id ? 1 : 0);
        });
      }),
      FC,
    );
  });

  test('errors name the op, the bad index and the shape', () => {
    expect(errorOf(() => gather(table, [4]))).toBe('gather: index 4 at position 0 is not an integer in [0, 4) (axis 0 of [4,3])');
    expect(errorOf(() => gather(table, [1.5]))).toBe('gather: index 1.5 at position 0 is not an integer in [0, 4) (axis 0 of [4,3])');
    expect(errorOf(() => oneHot([0, 3], 3))).toBe('oneHot: index 3 at position 1 is not an integer in [0, 3) (depth 3)');
    expect(errorOf(() => oneHot([-1], 3))).toBe('oneHot: index -1 at position 0 is not an integer in [0, 3) (depth 3)');
  });
});

describe('reverse, expandDims, squeeze, tile', () => {
  test('point cases', () => {
    const x = range(6).reshape([2, 3]);
    expect(reverse(x, 1).toArray()).toEqual([[2, 1, 0], [5, 4, 3]]);
    expect(reverse(x, 0).toArray()).toEqual([[3, 4, 5], [0, 1, 2]]);
    expect(reverse(x, [0, 1]).toArray()).toEqual([[5, 4, 3], [2, 1, 0]]);
    expect(expandDims(x, 1).shape).toEqual([2, 1, 3]);
    expect(expandDims(x, -1).shape).toEqual([2, 3, 1]);
    expect(squeeze(zeros([1, 2, 1, 3])).shape).toEqual([2, 3]);
    expect(squeeze(zeros([1, 2, 1]), [0]).shape).toEqual([2, 1]);
    expect(tile(tensor([[1, 2]]), [2, 2]).toArray()).toEqual([[1, 2, 1, 2], [1, 2, 1, 2]]);
    expect(tile(tensor([1, 2]), [0]).shape).toEqual([0]);
    expect(tile(tensor([[1, 2]]), [3, 0]).shape).toEqual([3, 0]);
  });

  test('property: reverse twice along random axes is the identity, once matches index arithmetic', () => {
    const arb = tensorArb(1, 4, 1, 4).chain((t) => fc.tuple(fc.constant(t), fc.subarray(Array.from({ length: t.rank }, (_, i) => i))));
    fc.assert(
      fc.property(arb, ([t, axes]) => {
        const r = reverse(t, axes);
        for (let o = 0; o < r.size; o++) {
          const idx = unravel(o, t.shape).map((v, d) => (axes.includes(d) ? t.shape[d] - 1 - v : v));
          expect(r.data[o]).toBe(t.data[ravel(idx, t.shape)]);
        }
        const back = reverse(r, axes);
        expect(values(back)).toEqual(values(t));
        expect(back.data).not.toBe(t.data);
      }),
      FC,
    );
  });

  test('property: tile matches modular indexing', () => {
    const arb = tensorArb(1, 3, 1, 3).chain((t) => fc.tuple(fc.constant(t), fc.tuple(...t.shape.map(() => fc.integer({ min: 0, max: 3 })))));
    fc.assert(
      fc.property(arb, ([t, reps]) => {
        const out = tile(t, reps);
        expect(out.shape).toEqual(t.shape.map((d, i) => d * reps[i]));
        for (let o = 0; o < out.size; o++) {
          const idx = unravel(o, out.shape).map((v, d) => v % t.shape[d]);
          expect(out.data[o]).toBe(t.data[ravel(idx, t.shape)]);
        }
      }),
      FC,
    );
  });

  test('errors', () => {
    expect(errorOf(() => squeeze(zeros([2, 1]), [0]))).toBe('squeeze: axis 0 of [2,1] has size 2, not 1');
    expect(errorOf(() => tile(zeros([2]), [1, 2]))).toBe('tile: reps [1,2] must have one entry per axis of [2]');
    expect(errorOf(() => tile(zeros([2]), [-1]))).toBe('tile: reps [-1] must be non-negative integers (shape [2])');
    expect(errorOf(() => reverse(zeros([2]), 1))).toBe('reverse: axis 1 is out of range for shape [2]');
    expect(errorOf(() => expandDims(zeros([2]), 3))).toBe('expandDims: axis 3 is out of range for shape [2]');
  });
});
