/**
 * Fused recurrent kernels: a whole sequence as one tape node, the way cuDNN runs RNNs.
 *
 * Forward: each step does its input projection [B, I]·[I, G·H] and the recurrent GEMM
 * [B, H]·[H, G·H] (weights packed once per sequence) fused with the gate nonlinearities and the
 * state update, storing what backward needs. Backward: hand-written BPTT over the stored
 * activations, last step to first, with each step's input gradient, then one GEMM each for the
 * kernel and recurrent-kernel gradients over all steps. With threads > 1 (setThreads) the time
 * loops run on bands of batch rows in parallel (threads.ts); results are the same for any split.
 *
 * Each cell registers its kernel for its class (../kernels.ts); the built-in cells' kernels live
 * in their folders (../simple_rnn, ../lstm, ../gru: rows.ts the per-step math forward beside
 * backward, fused.ts the sequence); this folder holds what they share. Same contract as the
 * reference scan (../sequence.ts); tests hold the two to each other.
 *
 * @example
 *   const cell = new LSTMCell({ units: 4 });
 *   const { output, states } = fusedSequence({ cell, x, weights: [kernel, recurrentKernel, bias],
 *     initialStates: [h0, c0], mask: null, goBackwards: false, returnSequences: true });
 */
import { fusedKernelOf } from '../kernels';
import { SequenceArgs, SequenceResult } from '../sequence';
import { classNameOf } from '../../engine/registry';

/** True when a fused kernel is registered for the cell's class and implements its configuration. */
export function fusedSupports(args: SequenceArgs): boolean {
  const kernel = fusedKernelOf(args.cell);
  return kernel !== null && kernel.supports(args.cell);
}

/** Runs a whole sequence with the fused kernel of the cell's class (check `fusedSupports` first). */
export function fusedSequence(args: SequenceArgs): SequenceResult {
  const kernel = fusedKernelOf(args.cell);
  const label = `${classNameOf(args.cell)} '${args.cell.name}'`;
  if (kernel === null) throw new Error(`fusedSequence(${label}): no fused kernel is registered for the cell's class (registerFusedKernel); use the reference scan`);
  if (!kernel.supports(args.cell)) throw new Error(`fusedSequence(${label}): unsupported configuration for the fused kernel '${kernel.name}' (e.g. an activation it has no code for); use the reference scan`);
  return kernel.run(args.cell, args);
}
