/**
 * Gradient clipping, as TensorFlow defines it.
 *   clipByValue:      g ← clip(g, lo, hi)
 *   clipByNorm:       g ← g · maxNorm / max(‖g‖, maxNorm)
 *   clipByGlobalNorm: n = √(Σᵢ ‖gᵢ‖²); gᵢ ← gᵢ · maxNorm / max(n, maxNorm)
 * Each returns new tensors; inputs are not modified.
 */
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';

/** Clamps every element of a gradient into [lo, hi] (Keras `clipvalue`). */
export function clipByValue(g: Tensor, lo: number, hi: number): Tensor {
  return T.clip(g, lo, hi);
}

/** Euclidean norm of all elements (accumulated in float64). */
export function l2Norm(g: Tensor): number {
  let s = 0;
  const d = g.data;
  for (let i = 0; i < d.length; i++) s += d[i] * d[i];
  return Math.sqrt(s);
}

/** Scales a gradient down to L2 norm `maxNorm` when its norm is larger (Keras `clipnorm`, per tensor); a copy otherwise. */
export function clipByNorm(g: Tensor, maxNorm: number): Tensor {
  if (!(maxNorm > 0)) throw new Error(`clipByNorm: maxNorm must be positive, received ${maxNorm}`);
  const n = l2Norm(g);
  return n > maxNorm ? T.mul(g, maxNorm / n) : g.clone();
}

/** The L2 norm of all gradients taken together, √(Σᵢ ||gᵢ||²) (accumulated in float64). */
export function globalNorm(grads: Tensor[]): number {
  let s = 0;
  for (const g of grads) {
    const d = g.data;
    for (let i = 0; i < d.length; i++) s += d[i] * d[i];
  }
  return Math.sqrt(s);
}

/**
 * Returns the clipped gradients and the global norm before clipping (as tf.clip_by_global_norm).
 * `useNorm`, when given, is taken as the global norm of `grads` instead of computing it again
 * (tf.clip_by_global_norm's `use_norm`): a trainer that has measured the norm passes it here.
 */
export function clipByGlobalNorm(grads: Tensor[], maxNorm: number, useNorm?: number): { grads: Tensor[]; globalNorm: number } {
  if (!(maxNorm > 0)) throw new Error(`clipByGlobalNorm: maxNorm must be positive, received ${maxNorm}`);
  const n = useNorm ?? globalNorm(grads);
  // a NaN or infinite norm makes every gradient NaN, as TensorFlow does, so the problem is visible
  const factor = Number.isFinite(n) ? maxNorm / Math.max(n, maxNorm) : NaN;
  return { grads: grads.map((g) => (factor === 1 ? g.clone() : T.mul(g, factor))), globalNorm: n };
}
