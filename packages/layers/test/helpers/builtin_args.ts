/**
 * The built-in cells' sequence arguments by role (kernel, recurrentKernel, bias, activation names),
 * as the fused kernels' tests write them, and the library's runners taking them: each builds the
 * cell the arguments describe (SimpleRNNCell, LSTMCell or GRUCell with those activations, bias and
 * resetAfter) and passes the weights in the cell's order (SequenceArgs).
 */
import { Tensor } from '@seqlab/tensor';
import { fusedSequence as fusedOf, fusedSupports as supportsOf } from '../../src/recurrent/fused';
import { referenceSequence as referenceOf } from '../../src/recurrent/reference';
import type { SequenceArgs, SequenceResult } from '../../src/recurrent/sequence';
import type { KerasCell } from '../../src/recurrent/cells';
import { SimpleRNNCell } from '../../src/recurrent/simple_rnn/cell';
import { LSTMCell } from '../../src/recurrent/lstm/cell';
import { GRUCell } from '../../src/recurrent/gru/cell';

export interface BuiltinArgs {
  kind: 'simpleRNN' | 'lstm' | 'gru';
  /** [B, T, I] */
  x: Tensor;
  /** [I, G·H] */
  kernel: Tensor;
  /** [H, G·H] */
  recurrentKernel: Tensor;
  /** [G·H]; GRU with resetAfter: [2, 3H]; null without bias. */
  bias: Tensor | null;
  initialStates: Tensor[];
  mask: Tensor | null;
  goBackwards: boolean;
  returnSequences: boolean;
  activation: string;
  recurrentActivation: string;
  /** GRU only (default true). */
  resetAfter?: boolean;
  zeroOutputForMask?: boolean;
  inputDropoutMask?: Tensor | null;
  recurrentDropoutMask?: Tensor | null;
}

export type BuiltinRunner = (args: BuiltinArgs) => SequenceResult;

/** The cell these arguments describe (unbuilt: the weights come with the arguments). */
export function cellOf(a: BuiltinArgs): KerasCell {
  const options = { units: a.recurrentKernel.shape[0], activation: a.activation, recurrentActivation: a.recurrentActivation, useBias: a.bias !== null };
  if (a.kind === 'simpleRNN') return new SimpleRNNCell(options);
  if (a.kind === 'lstm') return new LSTMCell(options);
  return new GRUCell({ ...options, resetAfter: a.resetAfter ?? true });
}

export function sequenceArgs(a: BuiltinArgs): SequenceArgs {
  return {
    cell: cellOf(a),
    x: a.x,
    weights: a.bias === null ? [a.kernel, a.recurrentKernel] : [a.kernel, a.recurrentKernel, a.bias],
    initialStates: a.initialStates,
    mask: a.mask,
    goBackwards: a.goBackwards,
    returnSequences: a.returnSequences,
    zeroOutputForMask: a.zeroOutputForMask,
    dropout: { input: a.inputDropoutMask ?? null, recurrent: a.recurrentDropoutMask ?? null },
  };
}

export const fusedSequence: BuiltinRunner = (a) => fusedOf(sequenceArgs(a));
export const referenceSequence: BuiltinRunner = (a) => referenceOf(sequenceArgs(a));
export const fusedSupports = (a: BuiltinArgs): boolean => supportsOf(sequenceArgs(a));
