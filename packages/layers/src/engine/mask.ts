/**
 * Masks travel with the tensors they describe, as Keras's `_keras_mask`: a layer that produces a
 * mask (Embedding with maskZero, Masking) attaches it to its output; the next layer reads it.
 * A mask is a [batch, time] tensor of 0/1.
 */
import { Tensor } from '@seqlab/tensor';

const masks = new WeakMap<Tensor, Tensor>();

/** Attaches a [batch, time] 0/1 mask to `t` (nothing when the mask is null); returns `t`. */
export function attachMask(t: Tensor, mask: Tensor | null | undefined): Tensor {
  if (mask) masks.set(t, mask);
  return t;
}

/** The mask attached to `t`, or null. */
export function maskOf(t: Tensor): Tensor | null {
  return masks.get(t) ?? null;
}
