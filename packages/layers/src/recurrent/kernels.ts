/**
 * Fused kernels by cell class: a cell may register a kernel that runs a whole sequence as one tape
 * node (hand-written forward and BPTT), which `RNN` then uses in place of the reference scan
 * whenever the kernel supports the cell's configuration. The built-in cells register theirs here
 * the same way (simple_rnn/cell.ts, lstm/cell.ts, gru/cell.ts). A kernel is held to its cell's
 * step equations by tests (values and gradients, masks, goBackwards, initial states, dropout).
 */
import type { RecurrentCell } from './cell';
import type { SequenceArgs, SequenceResult } from './sequence';

/**
 * A fused kernel for the cells of one class. Only that exact class: a subclass may change the step
 * math, so it runs the reference scan unless it registers a kernel of its own.
 */
export interface FusedKernel<C extends RecurrentCell = RecurrentCell> {
  /** What the kernel is called in messages and on the tape, e.g. 'lstmSequence'. */
  name: string;
  /** Whether the kernel implements this cell's configuration (e.g. activations it has code for). */
  supports(cell: C): boolean;
  /**
   * Runs the sequence: the same contract and results as the reference scan of `args` (sequence.ts),
   * `args.weights` in the order of `cell.weights`, recorded on the tape as one node.
   */
  run(cell: C, args: SequenceArgs): SequenceResult;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type CellClass<C> = abstract new (...args: any[]) => C;

const kernels = new Map<Function, FusedKernel>();

/**
 * Registers `kernel` as the fused kernel of the cells of `cellClass`. Registering again replaces
 * the kernel (for this class only).
 */
export function registerFusedKernel<C extends RecurrentCell>(cellClass: CellClass<C>, kernel: FusedKernel<C>): void {
  if (typeof cellClass !== 'function') throw new Error(`registerFusedKernel: expected a cell class, received ${typeof cellClass}`);
  if (!kernel || typeof kernel.run !== 'function' || typeof kernel.supports !== 'function') {
    throw new Error(`registerFusedKernel(${cellClass.name}): expected a kernel with supports(cell) and run(cell, args)`);
  }
  kernels.set(cellClass, kernel as unknown as FusedKernel);
}

/** The fused kernel registered for this cell's class, or null. */
export function fusedKernelOf(cell: RecurrentCell): FusedKernel | null {
  return kernels.get(cell.constructor) ?? null;
}
