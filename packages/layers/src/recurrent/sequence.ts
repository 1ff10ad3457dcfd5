/**
 * The contract between a recurrent layer and the code that runs a whole sequence.
 *
 * Two implementations take the same arguments and must give the same values and gradients:
 * - the reference scan (reference.ts): the cell's step equations written with autograd ops,
 *   one timestep at a time, to read and learn from;
 * - a fused kernel registered for the cell's class (kernels.ts; the built-in cells' in their
 *   folders): the whole sequence as one tape node with hand-written BPTT, fast.
 *
 * Shapes: B batch, T time, I input features, H units.
 */
import { Tensor } from '@seqlab/tensor';
import type { RecurrentCell, StepDropout } from './cell';

/** Everything needed to run a whole sequence, the same for the fused kernel and the reference scan. */
export interface SequenceArgs {
  /** The cell whose step runs at every timestep (its configuration: activations, sizes). */
  cell: RecurrentCell;
  /** [B, T, I] */
  x: Tensor;
  /**
   * The weights, in the order of `cell.weights` (the built-in cells: kernel [I, G·H],
   * recurrentKernel [H, G·H], bias if the cell has one); gradients flow to these tensors.
   */
  weights: Tensor[];
  /** [B, size] each, one per entry of `cell.stateSize`. */
  initialStates: Tensor[];
  /** [B, T] of 0/1, or null. A masked step keeps the state and repeats the previous output. */
  mask: Tensor | null;
  /** Process time in reverse; with returnSequences the outputs stay in processing order (as Keras). */
  goBackwards: boolean;
  returnSequences: boolean;
  /** Masked steps output zeros instead of repeating (Keras forces this inside Bidirectional with returnSequences). */
  zeroOutputForMask?: boolean;
  /**
   * The dropout masks every step receives (training only; drawn once per sequence by
   * `cell.dropoutMasks`): for the built-in cells `input` [B, I] multiplied into x_t and `recurrent`
   * [B, H] into h_{t-1} before the recurrent kernel.
   */
  dropout?: StepDropout;
}

/** What running a sequence gives: the output (every step's or the last) and the final states. */
export interface SequenceResult {
  /** [B, T, H] with returnSequences, else [B, H] (the output of the last processed step). */
  output: Tensor;
  /** Final states, [B, size] each. */
  states: Tensor[];
}

/** Runs a whole sequence: the reference scan, or a fused kernel. */
export type SequenceRunner = (args: SequenceArgs) => SequenceResult;
