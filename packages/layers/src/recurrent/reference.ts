/**
 * The reference scan: a recurrent layer's time loop, one cell step at a time, written with
 * autograd ops so that backpropagation through time is just the tape walked backwards.
 *
 *   for t = 0 .. T-1 (or T-1 .. 0 with goBackwards):
 *     y_t, s_t = step(x_t, s_{t-1})
 *     masked step (m_t = 0):  s_t = s_{t-1},  y_t = y_{t-1} (or 0 with zeroOutputForMask); y_{-1} = 0
 *   output = [y_0 .. y_{T-1}] in processing order (returnSequences), else the last y
 *
 * `referenceSequence` runs any cell over a SequenceArgs (the contract shared with the fused
 * kernels); `scan` runs any step function.
 */
import * as A from '@seqlab/autograd';
import { recordMulti } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor, fmtShape } from '@seqlab/tensor';
import { classNameOf } from '../engine/registry';
import { StepOutput, StepResult, asStepResult } from './cell';
import { SequenceArgs, SequenceResult } from './sequence';

/** One step as the scan calls it: the output and new states, as a pair or as { output, states }. */
export type StepFn = (x: Tensor, states: Tensor[]) => StepResult | StepOutput;

/** Options of `scan`: the mask, direction, whether to return every output, masked outputs as zeros. */
export interface ScanOptions {
  /** [B, T] of 0/1, or null. */
  mask?: Tensor | null;
  goBackwards?: boolean;
  returnSequences?: boolean;
  zeroOutputForMask?: boolean;
}

/**
 * [B, T, I] -> T tensors [B, I], as ONE tape entry: its backward writes each step's gradient
 * into one dx (slicing step by step would allocate a [B, T, I] gradient per step).
 */
export function unstackTime(x: Tensor): Tensor[] {
  const [B, T_, I] = x.shape;
  const steps: Tensor[] = [];
  for (let t = 0; t < T_; t++) steps.push(T.reshape(T.slice(x, [0, t, 0], [B, 1, I]), [B, I]));
  return recordMulti('unstackTime', [x], steps, (dys) => {
    const dx = T.zeros(x.shape, { dtype: x.dtype });
    dys.forEach((dy, t) => {
      if (!dy) return;
      for (let b = 0; b < B; b++) dx.data.set(dy.data.subarray(b * I, (b + 1) * I), (b * T_ + t) * I);
    });
    return [dx];
  });
}

/** Runs `step` over the time axis of x [B, T, I] from `initialStates`. */
export function scan(step: StepFn, x: Tensor, initialStates: Tensor[], options: ScanOptions = {}): SequenceResult {
  if (x.rank !== 3) throw new Error(`scan: expected x [batch, time, features], received ${fmtShape(x.shape)}`);
  const [B, steps] = x.shape;
  const mask = options.mask ?? null;
  if (mask && (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== steps)) {
    throw new Error(`scan: expected mask [${B}, ${steps}], received ${fmtShape(mask.shape)}`);
  }
  const xs = unstackTime(x);
  let states = initialStates;
  let prevOutput: Tensor | null = null;
  const outputs: Tensor[] = [];
  for (let k = 0; k < steps; k++) {
    const t = options.goBackwards ? steps - 1 - k : k;
    let [y, next] = asStepResult(step(xs[t], states), 'scan');
    if (mask) {
      const m = T.slice(mask, [0, t], [B, 1]); // [B, 1], broadcast over units
      // s_t = m ? s_t : s_{t-1}
      next = next.map((s, j) => A.where(m, s, states[j]));
      // y_t = m ? y_t : (zeroOutputForMask ? 0 : y_{t-1}), with y_{-1} = 0
      const fallback = options.zeroOutputForMask || prevOutput === null ? 0 : prevOutput;
      y = A.where(m, y, fallback);
    }
    outputs.push(y);
    prevOutput = y;
    states = next;
  }
  if (steps === 0) {
    // nothing to process: no output step exists; give zeros (and the initial states)
    const width = initialStates[0]?.shape[1] ?? 0;
    const zero = T.zeros(options.returnSequences ? [B, 0, width] : [B, width], { dtype: x.dtype });
    return { output: zero, states };
  }
  const output = options.returnSequences ? A.stack(outputs, 1) : outputs[outputs.length - 1];
  return { output, states };
}

/**
 * Any cell's sequence, the reference for every fused kernel (same arguments, same results): the
 * cell's step with `args.weights` (its own variables' values when the layer runs it; other tensors
 * through `cell.stepWith`, for tests and benchmarks).
 */
export function referenceSequence(args: SequenceArgs): SequenceResult {
  const { cell, weights, dropout } = args;
  const own = cell.weights;
  const label = `${classNameOf(cell)} '${cell.name}'`;
  const ownWeights = weights.length === own.length && weights.every((w, k) => w === own[k].value);
  let step: StepFn;
  if (ownWeights) step = (xt, states) => asStepResult(cell.step(xt, states, dropout), label);
  else if (cell.stepWith) {
    const stepWith = cell.stepWith.bind(cell);
    step = (xt, states) => asStepResult(stepWith(weights, xt, states, dropout), label);
  } else {
    throw new Error(`referenceSequence(${label}): the weights given are not the cell's own and the cell has no stepWith(weights, ...)`);
  }
  return scan(step, args.x, args.initialStates, {
    mask: args.mask,
    goBackwards: args.goBackwards,
    returnSequences: args.returnSequences,
    zeroOutputForMask: args.zeroOutputForMask,
  });
}
