/**
 * A seam for diagnostics: while a watch is set, every recurrent layer hands the run of its sequence
 * to it (`RNN.call`), so that the watch can see the layer, its input and its outputs, and record
 * what backward sends through them. training/nonfinite.ts sets one only to re-run a training step
 * whose gradients were not finite; training itself never does, so the time loops are untouched.
 */
import type { Tensor } from '@seqlab/tensor';
import type { SequenceResult } from './sequence';
import type { RNN } from './rnn';

/** Runs `run` (the layer's sequence on the given input) and returns its result, watching both. */
export type SequenceWatch = (layer: RNN, x: Tensor, run: (x: Tensor) => SequenceResult) => SequenceResult;

let current: SequenceWatch | null = null;

/** The watch set by `withSequenceWatch`, or null (always, outside diagnostics). */
export function activeSequenceWatch(): SequenceWatch | null {
  return current;
}

/** Runs `fn` with `watch` seeing every recurrent layer's run, then removes it. */
export function withSequenceWatch<R>(watch: SequenceWatch, fn: () => R): R {
  const saved = current;
  current = watch;
  try {
    return fn();
  } finally {
    current = saved;
  }
}
