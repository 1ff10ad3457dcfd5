/**
 * The contract between a recurrent layer and the code that runs a whole sequence.
 *
 * Two implementations take the same arguments and must give the same values and gradients:
 * - the reference scan (reference.ts): the cell's step equations written with autograd ops,
 *   one timestep at a time, to read and learn from;
 * - the fused kernel (fused/): the whole sequence as one tape node with hand-written BPTT, fast.
 *
 * Shapes: B batch, T time, I input features, H units, G gates (SimpleRNN 1; LSTM 4, order
 * i, f, c, o; GRU 3, order z, r, h).
 */
import { Tensor } from '@seqlab/tensor';

export type CellKind = 'simpleRNN' | 'lstm' | 'gru';

export interface SequenceArgs {
  kind: CellKind;
  /** [B, T, I] */
  x: Tensor;
  /** [I, G·H] */
  kernel: Tensor;
  /** [H, G·H] */
  recurrentKernel: Tensor;
  /** [G·H]; GRU with resetAfter: [2, 3H] (row 0 input bias, row 1 recurrent bias); null without bias. */
  bias: Tensor | null;
  /** [B, H] each: h (SimpleRNN, GRU) or h, c (LSTM). */
  initialStates: Tensor[];
  /** [B, T] of 0/1, or null. A masked step keeps the state and repeats the previous output. */
  mask: Tensor | null;
  /** Process time in reverse; with returnSequences the outputs stay in processing order (as Keras). */
  goBackwards: boolean;
  returnSequences: boolean;
  /** Activation names: 'tanh' | 'sigmoid' | 'hardSigmoid' | 'relu' | 'linear' | ... */
  activation: string;
  recurrentActivation: string;
  /** GRU only (Keras default true). */
  resetAfter?: boolean;
  /** Masked steps output zeros instead of repeating (Keras forces this inside Bidirectional with returnSequences). */
  zeroOutputForMask?: boolean;
  /** [B, I] inverted-dropout mask multiplied into x at every step (training only), or null. */
  inputDropoutMask?: Tensor | null;
  /** [B, H] mask multiplied into h_{t-1} before the recurrent kernel (training only), or null. */
  recurrentDropoutMask?: Tensor | null;
}

export interface SequenceResult {
  /** [B, T, H] with returnSequences, else [B, H] (the output of the last processed step). */
  output: Tensor;
  /** Final states, [B, H] each: [h] or [h, c]. */
  states: Tensor[];
}

export type SequenceRunner = (args: SequenceArgs) => SequenceResult;
