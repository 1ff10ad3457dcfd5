/**
 * Interop with the scijs ecosystem (`ndarray`, `ndarray-ops`).
 *
 * `toNdarray` returns a view on the tensor's buffer (no copy). `fromNdarray` shares the buffer
 * when the view is already contiguous row-major from offset 0 over a Float32Array/Float64Array;
 * otherwise (a transposed, sliced or strided view) it copies with `ndarray-ops.assign`.
 */
import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import { Tensor, sizeOf, stridesOf } from './tensor';

/** A scijs `ndarray` view on the tensor's buffer (no copy; writes through it change the tensor). */
export function toNdarray(t: Tensor): ndarray.NdArray<Float32Array | Float64Array> {
  return ndarray(t.data, t.shape.slice());
}

/**
 * A tensor from a scijs `ndarray`: shares the buffer when the view is contiguous row-major from
 * offset 0 over a Float32Array / Float64Array, copies otherwise (transposed, sliced, strided views).
 */
export function fromNdarray(nd: ndarray.NdArray): Tensor {
  const shape = nd.shape.slice();
  const data = nd.data as unknown;
  const contiguous =
    nd.offset === 0 &&
    nd.stride.every((s, i) => s === stridesOf(shape)[i] || shape[i] === 1) &&
    (data instanceof Float32Array || data instanceof Float64Array) &&
    data.length === sizeOf(shape);
  if (contiguous) return new Tensor(data as Float32Array | Float64Array, shape);
  const target = data instanceof Float64Array ? new Float64Array(sizeOf(shape)) : new Float32Array(sizeOf(shape));
  ops.assign(ndarray(target, shape), nd);
  return new Tensor(target, shape);
}
