/**
 * Logits travel with the probabilities a softmax made of them, as Keras's `_keras_logits`: the
 * 'softmax' activation attaches its input to its output, and the cross-entropy losses
 * (training/losses.ts) compute from the logits when they find them, which is more exact (no
 * log of a rounded or clipped probability) and faster (one fused op).
 */
import { Tensor } from '@seqlab/tensor';

const logits = new WeakMap<Tensor, Tensor>();

/** Records `z` as the logits of the probabilities `p` = softmax(z) over the last axis; returns `p`. */
export function attachLogits(p: Tensor, z: Tensor): Tensor {
  logits.set(p, z);
  return p;
}

/** The logits `p` was computed from by a softmax over its last axis, or null. */
export function logitsOf(p: Tensor): Tensor | null {
  return logits.get(p) ?? null;
}
