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
 * Each cell's kernel lives in its folder (../simple_rnn, ../lstm, ../gru: rows.ts the per-step
 * math forward beside backward, fused.ts the sequence); this folder holds what they share.
 *
 * Same contract as the reference scan (../sequence.ts); tests hold the two to each other.
 *
 * @example
 *   const { output, states } = fusedSequence({ kind: 'lstm', x, kernel, recurrentKernel, bias,
 *     initialStates: [h0, c0], mask: null, goBackwards: false, returnSequences: true,
 *     activation: 'tanh', recurrentActivation: 'sigmoid' });
 */
import { SequenceArgs, SequenceResult } from '../sequence';
import { activationCode } from './activations';
import { simpleRnnSequence } from '../simple_rnn/fused';
import { lstmSequence } from '../lstm/fused';
import { gruSequence } from '../gru/fused';

/** True when the fused kernel implements this configuration (its activations are built in). */
export function fusedSupports(args: SequenceArgs): boolean {
  if (activationCode(args.activation) < 0) return false;
  switch (args.kind) {
    case 'simpleRNN':
      return true;
    case 'lstm':
    case 'gru':
      return activationCode(args.recurrentActivation) >= 0;
    default:
      return false;
  }
}

/** Runs a whole sequence with the fused kernel of `args.kind` (check `fusedSupports` first). */
export function fusedSequence(args: SequenceArgs): SequenceResult {
  if (!fusedSupports(args)) {
    throw new Error(`fusedSequence(${args.kind}): unsupported configuration (activation '${args.activation}', recurrentActivation '${args.recurrentActivation}'); use the reference scan`);
  }
  switch (args.kind) {
    case 'simpleRNN':
      return simpleRnnSequence(args);
    case 'lstm':
      return lstmSequence(args);
    case 'gru':
      return gruSequence(args);
  }
  throw new Error(`fusedSequence: unknown cell kind '${(args as SequenceArgs).kind}'`);
}
