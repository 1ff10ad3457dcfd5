/**
 * matmul on tensors: 2-D, and batched over leading axes (which broadcast).
 */
import { broadcastShapes } from './broadcast';
import { gemmNN, gemmNT, gemmTN } from './gemm';
import { Tensor, allocLike, fmtShape, resultType, sizeOf, stridesOf } from './tensor';

/** Use Aᵀ and / or Bᵀ (of the last two axes) without materializing the transpose. */
export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
}

/**
 * Matrix product of the last two axes; leading axes broadcast.
 * @example matmul(ones([2, 3]), ones([3, 4])).shape  // [2, 4]
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const ta = !!options.transposeA;
  const tb = !!options.transposeB;
  if (a.rank < 2 || b.rank < 2) {
    throw new Error(`matmul: expected tensors of rank >= 2, received ${fmtShape(a.shape)} x ${fmtShape(b.shape)}`);
  }
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = ta ? ac : ar;
  const k = ta ? ar : ac;
  const kb = tb ? bc : br;
  const n = tb ? br : bc;
  if (k !== kb) {
    throw new Error(`matmul: inner dimensions differ: ${fmtShape(a.shape)}${ta ? 'ᵀ' : ''} x ${fmtShape(b.shape)}${tb ? 'ᵀ' : ''}`);
  }
  if (ta && tb) {
    throw new Error('matmul: transposeA and transposeB together are not supported; transpose one operand first');
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  let batch: number[];
  try {
    batch = broadcastShapes('matmul', batchA, batchB);
  } catch {
    throw new Error(`matmul: batch shapes ${fmtShape(batchA)} and ${fmtShape(batchB)} cannot be broadcast: ${fmtShape(a.shape)} x ${fmtShape(b.shape)}`);
  }
  const nb = sizeOf(batch);
  const dtype = resultType(a, b);
  const out = allocLike(dtype, nb * m * n, k === 0); // with k > 0 each product writes its C whole
  // mixed precision: promote the float32 operand so the kernel sees one array type
  const ad = dtype === a.dtype ? a.data : Float64Array.from(a.data);
  const bd = dtype === b.dtype ? b.data : Float64Array.from(b.data);
  const gemm = ta ? gemmTN : tb ? gemmNT : gemmNN;
  const aIdx = batchIndex(batchA, batch);
  const bIdx = batchIndex(batchB, batch);
  for (let i = 0; i < nb; i++) {
    gemm({ m, n, k, a: ad, aOffset: aIdx[i] * ar * ac, b: bd, bOffset: bIdx[i] * br * bc, c: out, cOffset: i * m * n });
  }
  return new Tensor(out, [...batch, m, n]);
}

/** For each flat index of the broadcast batch shape, the flat index into `shape`. */
function batchIndex(shape: number[], batch: number[]): number[] {
  const n = sizeOf(batch);
  const out = new Array<number>(n);
  const strides = stridesOf(shape);
  const off = batch.length - shape.length;
  for (let i = 0; i < n; i++) {
    let rem = i;
    let idx = 0;
    for (let d = batch.length - 1; d >= 0; d--) {
      const coord = rem % batch[d];
      rem = (rem - coord) / batch[d];
      const sd = d - off;
      if (sd >= 0 && shape[sd] !== 1) idx += coord * strides[sd];
    }
    out[i] = idx;
  }
  return out;
}
