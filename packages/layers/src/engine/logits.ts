/**
 * Logits travel with the probabilities a softmax made of them, as Keras's `_keras_logits`: the
 * 'softmax' activation attaches its input to its output, and the cross-entropy losses
 * (training/losses.ts) compute from the logits when they find them, which is more exact (no
 * log of a rounded or clipped probability) and faster (one fused op). The activation also keeps
 * each row's log-sum-exp, so that the loss uses the probabilities and log-sum-exps the activation
 * computed instead of computing the softmax a second time.
 */
import * as A from '@seqlab/autograd';
import { Tensor } from '@seqlab/tensor';

interface Attached {
  logits: Tensor;
  /** log Σ exp of each row of the logits, when the softmax kept it. */
  lse: Float64Array | null;
}

const attached = new WeakMap<Tensor, Attached>();

/**
 * Records `z` as the logits of the probabilities `p` = softmax(z) over the last axis; returns `p`.
 * `lse`: each row's log Σ exp(z), as the softmax that made `p` computed it (`T.softmax`'s `lse`).
 */
export function attachLogits(p: Tensor, z: Tensor, lse: Float64Array | null = null): Tensor {
  attached.set(p, { logits: z, lse });
  return p;
}

/** The logits `p` was computed from by a softmax over its last axis, or null. */
export function logitsOf(p: Tensor): Tensor | null {
  return attached.get(p)?.logits ?? null;
}

/**
 * The softmax that made `p` from its logits, for a cross-entropy from those logits: `p` itself
 * and the log-sum-exps kept with it; null when none were kept.
 */
export function softmaxOf(p: Tensor): A.SoftmaxOfLogits | null {
  const lse = attached.get(p)?.lse ?? null;
  return lse === null ? null : { probabilities: p, logSumExp: lse };
}

/**
 * softmax(x) over the last axis, its logits attached (with the log-sum-exps of its rows): the
 * 'softmax' activation.
 */
export function softmaxWithLogits(x: Tensor): Tensor {
  const rows = x.rank === 0 || x.shape[x.rank - 1] === 0 ? 0 : x.size / x.shape[x.rank - 1];
  const lse = new Float64Array(rows);
  return attachLogits(A.softmax(x, -1, lse), x, lse);
}
