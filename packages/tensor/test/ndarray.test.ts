import ndarray from 'ndarray';
import { tensor, range, toNdarray, fromNdarray, transpose } from '@seqlab/tensor';

describe('ndarray interop', () => {
  test('toNdarray shares the buffer', () => {
    const t = range(6).reshape([2, 3]);
    const nd = toNdarray(t);
    expect(nd.shape).toEqual([2, 3]);
    expect(nd.data).toBe(t.data);
    expect(nd.get(1, 2)).toBe(5);
    nd.set(0, 1, 42);
    expect(t.data[1]).toBe(42);
  });

  test('fromNdarray on a contiguous view shares the buffer', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = fromNdarray(ndarray(data, [3, 2]));
    expect(t.data).toBe(data);
    expect(t.shape).toEqual([3, 2]);
    const f64 = fromNdarray(ndarray(new Float64Array(4), [2, 2]));
    expect(f64.dtype).toBe('float64');
  });

  test('fromNdarray on a transposed view copies in row-major order', () => {
    const t = range(6).reshape([2, 3]);
    const nd = toNdarray(t).transpose(1, 0);
    const back = fromNdarray(nd);
    expect(back.shape).toEqual([3, 2]);
    expect(back.data).not.toBe(t.data);
    expect(back.toArray()).toEqual(transpose(t).toArray());
    expect(back.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
  });

  test('fromNdarray copies sliced, stepped and non-float views', () => {
    const t = range(12).reshape([3, 4]);
    const nd = toNdarray(t).hi(3, 3).lo(1, 1); // rows 1..2, columns 1..2
    expect(fromNdarray(nd).toArray()).toEqual([[5, 6], [9, 10]]);
    const stepped = toNdarray(t).step(1, -2); // columns 3, 1
    expect(fromNdarray(stepped).toArray()).toEqual([[3, 1], [7, 5], [11, 9]]);
    const ints = fromNdarray(ndarray(new Int32Array([1, 2, 3]), [3]) as unknown as ndarray.NdArray);
    expect(ints.dtype).toBe('float32');
    expect(ints.toArray()).toEqual([1, 2, 3]);
    const plain = fromNdarray(ndarray([1, 2, 3, 4], [2, 2]) as unknown as ndarray.NdArray);
    expect(plain.toArray()).toEqual([[1, 2], [3, 4]]);
  });

  test('round trip through ndarray keeps values, shape and dtype', () => {
    const t = tensor([[1.5, -2], [3, 4]], undefined, { dtype: 'float64' });
    const back = fromNdarray(toNdarray(t));
    expect(back.data).toBe(t.data);
    expect(back.dtype).toBe('float64');
    expect(back.toArray()).toEqual(t.toArray());
  });
});
