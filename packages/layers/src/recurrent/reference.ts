/**
 * The reference scan: a recurrent layer's time loop, one cell step at a time, written with
 * autograd ops so that backpropagation through time is just the tape walked backwards.
 *
 *   for t = 0 .. T-1 (or T-1 .. 0 with goBackwards):
 *     y_t, s_t = step(x_t, s_{t-1})
 *     masked step (m_t = 0):  s_t = s_{t-1},  y_t = y_{t-1} (or 0 with zeroOutputForMask); y_{-1} = 0
 *   output = [y_0 .. y_{T-1}] in processing order (returnSequences), else the last y
 *
 * `referenceSequence` runs the built-in cells (SequenceArgs, the contract shared with the fused
 * kernel); `scan` runs any step function (custom cells in `RNN({ cell })`).
 */
import * as A from '@seqlab/autograd';
import { recordMulti } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor, fmtShape } from '@seqlab/tensor';
import { getActivation } from '../activations';
import { StepDropout, StepResult, StepWeights } from './cells';
import { CellKind, SequenceArgs, SequenceResult } from './sequence';
import { simpleRNNStep } from './simple_rnn/cell';
import { lstmStep } from './lstm/cell';
import { gruStep } from './gru/cell';

export type StepFn = (x: Tensor, states: Tensor[]) => StepResult;

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
    let [y, next] = step(xs[t], states);
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

/** The built-in cells' step equations by kind. */
export const stepFunctions: Record<CellKind, (w: StepWeights, x: Tensor, states: Tensor[], dropout?: StepDropout) => StepResult> = {
  simpleRNN: simpleRNNStep,
  lstm: lstmStep,
  gru: gruStep,
};

/** Gates per cell kind (G in the weight shapes). */
export const gateCount: Record<CellKind, number> = { simpleRNN: 1, lstm: 4, gru: 3 };

/** The built-in cells' sequence, as the fused kernel computes it (same arguments, same results). */
export function referenceSequence(args: SequenceArgs): SequenceResult {
  const weights = {
    kernel: args.kernel,
    recurrentKernel: args.recurrentKernel,
    bias: args.bias,
    activation: getActivation(args.activation),
    recurrentActivation: getActivation(args.recurrentActivation),
    resetAfter: args.resetAfter ?? (args.kind === 'gru' ? true : undefined),
  };
  const stepOf = stepFunctions[args.kind];
  if (!stepOf) throw new Error(`referenceSequence: unknown cell kind '${String(args.kind)}'`);
  const dropout: StepDropout = { input: args.inputDropoutMask ?? null, recurrent: args.recurrentDropoutMask ?? null };
  return scan((xt, states) => stepOf(weights, xt, states, dropout), args.x, args.initialStates, {
    mask: args.mask,
    goBackwards: args.goBackwards,
    returnSequences: args.returnSequences,
    zeroOutputForMask: args.zeroOutputForMask,
  });
}
