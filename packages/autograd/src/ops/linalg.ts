/**
 * Matrix product. Backward uses the transposed GEMM variants (no transpose is materialized):
 *   C = A·B:  dA = dC·Bᵀ,  dB = Aᵀ·dC
 * Leading (batch) axes broadcast; their gradients are summed back with `unbroadcast`.
 */
import * as T from '@seqlab/tensor';
import { MatmulOptions, Tensor } from '@seqlab/tensor';
import { record } from '../tape';
import { unbroadcast } from './arith';

/**
 * Matrix product of the last two axes (leading axes broadcast), with optional transposes.
 * For C = A·B: dA = dC·Bᵀ, dB = Aᵀ·dC (each on the kernels' transposed layouts, no transpose copied).
 * @example matmul(x, w)   // x [B, I], w [I, H] -> [B, H]
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const ta = !!options.transposeA;
  const tb = !!options.transposeB;
  const out = T.matmul(a, b, options);
  return record('matmul', [a, b], out, (dy, needs) => {
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (needs[0]) {
      // A·B: dA = dC·Bᵀ; A·Bᵀ: dA = dC·B; Aᵀ·B: dA = (dC·Bᵀ)ᵀ = B·dCᵀ
      da = ta ? T.matmul(b, dy, { transposeB: true }) : T.matmul(dy, b, { transposeB: !tb });
      da = unbroadcastBatch(da, a.shape);
    }
    if (needs[1]) {
      // A·B: dB = Aᵀ·dC; Aᵀ·B: dB = A·dC; A·Bᵀ: dB = (Aᵀ·dC)ᵀ = dCᵀ·A
      db = tb ? T.matmul(dy, a, { transposeA: true }) : T.matmul(a, dy, { transposeA: !ta });
      db = unbroadcastBatch(db, b.shape);
    }
    return [da, db];
  });
}

/** Sums batched gradients over broadcast batch axes. */
function unbroadcastBatch(g: Tensor, shape: readonly number[]): Tensor {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  return unbroadcast(g, shape);
}
