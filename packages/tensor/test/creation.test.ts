import fc from 'fast-check';
import {
  Tensor, tensor, scalar, zeros, ones, fill, eye, range, reshape, zerosLike, onesLike,
} from '@seqlab/tensor';
import { FC, shapeArb, sizeOfShape, tensorArb, errorOf } from './helpers';

describe('creation', () => {
  test('tensor infers the shape of nested arrays and toArray gives them back', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(t.size).toBe(6);
    expect(t.rank).toBe(2);
  });

  test('scalars, flat values with a shape, typed arrays', () => {
    expect(scalar(3).shape).toEqual([]);
    expect(scalar(3).toArray()).toBe(3);
    expect(scalar(3).item()).toBe(3);
    expect(tensor(7).toArray()).toBe(7);
    expect(tensor([1, 2, 3, 4], [2, 2]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(tensor([1, 2, 3]).shape).toEqual([3]);
    const buf = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = tensor(buf, [3, 2]);
    expect(t.data).toBe(buf); // shares the typed array
    expect(tensor(new Float64Array(4)).dtype).toBe('float64');
    expect(tensor([[1, 2]], [2]).shape).toEqual([2]);
  });

  test('tensor accepts any ArrayLike (Int32Array, Uint8Array), with or without a shape', () => {
    expect(tensor(new Int32Array([1, 2, 3])).toArray()).toEqual([1, 2, 3]);
    expect(tensor(new Uint8Array([1, 2, 3, 4]), [2, 2]).toArray()).toEqual([[1, 2], [3, 4]]);
  });

  test('empty tensors', () => {
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[]]).shape).toEqual([1, 0]);
    expect(zeros([2, 0]).toArray()).toEqual([[], []]);
    expect(zeros([0, 3]).toArray()).toEqual([]);
  });

  test('dtype option and float64 precision', () => {
    const t = tensor([0.1, 0.2], undefined, { dtype: 'float64' });
    expect(t.dtype).toBe('float64');
    expect(t.data[0]).toBe(0.1);
    expect(tensor([0.1]).data[0]).toBe(Math.fround(0.1));
    const c = t.cast('float32');
    expect(c.dtype).toBe('float32');
    expect(c.data[0]).toBe(Math.fround(0.1));
    expect(tensor(new Float32Array([1, 2]), [2], { dtype: 'float64' }).dtype).toBe('float64');
    expect(zeros([2], { dtype: 'float64' }).data).toBeInstanceOf(Float64Array);
  });

  test('zeros, ones, fill, eye, range, *Like', () => {
    expect(zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(fill([2], 2.5).toArray()).toEqual([2.5, 2.5]);
    expect(eye(3).toArray()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(range(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(range(2, 5).toArray()).toEqual([2, 3, 4]);
    expect(range(0, 1, 0.25).toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(range(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(range(3, 3).toArray()).toEqual([]);
    const f64 = tensor([1, 2], undefined, { dtype: 'float64' });
    expect(zerosLike(f64).dtype).toBe('float64');
    expect(onesLike(f64).toArray()).toEqual([1, 1]);
  });

  test('reshape shares the buffer and infers -1', () => {
    const t = range(6);
    const r = reshape(t, [2, -1]);
    expect(r.shape).toEqual([2, 3]);
    expect(r.data).toBe(t.data);
    expect(t.reshape([3, 2]).toArray()).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(t.reshape([-1]).shape).toEqual([6]);
    expect(scalar(1).reshape([1, 1]).shape).toEqual([1, 1]);
  });

  test('clone copies; toString names shape and dtype', () => {
    const t = tensor([1, 2]);
    const c = t.clone();
    c.data[0] = 9;
    expect(t.data[0]).toBe(1);
    expect(t.toString()).toBe('Tensor([2], float32) [1,2]');
  });

  test('property: toArray -> tensor round trip keeps shape and values', () => {
    fc.assert(
      fc.property(tensorArb(1, 4, 1, 4), (t) => {
        const back = tensor(t.toArray());
        expect(back.shape).toEqual(t.shape);
        expect(Array.from(back.data)).toEqual(Array.from(t.data));
      }),
      FC,
    );
  });

  test('property: reshape to a random factorization and back is the identity', () => {
    fc.assert(
      fc.property(tensorArb(0, 4, 1, 4), shapeArb(0, 3, 1, 3), (t, extra) => {
        const flat = t.reshape([-1]);
        expect(flat.shape).toEqual([t.size]);
        const back = flat.reshape(t.shape);
        expect(back.shape).toEqual(t.shape);
        expect(back.data).toBe(t.data);
        const n = sizeOfShape(extra);
        if (t.size % n === 0) expect(t.reshape([...extra, -1]).shape).toEqual([...extra, t.size / n]);
      }),
      FC,
    );
  });

  test('creation errors name the op and the shape', () => {
    expect(errorOf(() => tensor([1, 2, 3], [2, 2]))).toBe('tensor: 3 values do not fill shape [2,2] (4 elements)');
    expect(errorOf(() => tensor([[1, 2], [3]]))).toMatch(/^tensor: ragged nested array/);
    expect(errorOf(() => tensor([[1, 2], [3, 4]], [3]))).toBe('tensor: values of shape [2,2] do not fit shape [3]');
    expect(errorOf(() => zeros([2, -1]))).toBe('zeros: invalid shape [2,-1]');
    expect(errorOf(() => fill([1.5], 0))).toBe('fill: invalid shape [1.5]');
    expect(errorOf(() => range(6).reshape([4, -1]))).toBe('reshape: cannot reshape [6] (6 elements) into [4,-1]');
    expect(errorOf(() => range(6).reshape([4, 2]))).toBe('reshape: cannot reshape [6] (6 elements) into [4,2]');
    expect(errorOf(() => range(6).reshape([-1, -1]))).toBe('reshape: only one axis may be -1, received [-1,-1]');
    expect(errorOf(() => new Tensor(new Float32Array(5), [2, 3]))).toBe('Tensor: data has 5 elements but shape [2,3] needs 6');
    expect(errorOf(() => new Tensor(new Float32Array(6), [-2, -3]))).toBe('Tensor: invalid shape [-2,-3]');
    expect(errorOf(() => range(3).item())).toBe('item: expected a tensor with one element, received shape [3]');
    expect(errorOf(() => range(1, 2, 0))).toMatch(/^range: /);
  });
});
