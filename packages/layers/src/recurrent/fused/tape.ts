/**
 * A fused sequence as ONE tape entry, and the weight gradients over all steps (one GEMM each).
 * No cell math: the cells' sequence functions say which buffers hold which gradient.
 */
import { DataArray, Tensor, gemmTN, stepBuffer } from '@seqlab/tensor';
import { isRecording, isTracked, recordMulti } from '@seqlab/autograd';
import type { SequenceResult } from '../sequence';
import type { KernelArgs, Prepared } from './prepare';
import { oneHotKernelGradSplit } from './threads';

export interface GradNeeds {
  x: boolean;
  kernel: boolean;
  recurrentKernel: boolean;
  bias: boolean;
  states: boolean[];
}

export interface SequenceGrads {
  x: Tensor | null;
  kernel: Tensor | null;
  recurrentKernel: Tensor | null;
  bias: Tensor | null;
  /** One per given initial state. */
  states: (Tensor | null)[];
}

/** Backward of a whole sequence: upstream gradients of output and final states -> input gradients. */
export type SequenceBackward = (dOutput: DataArray | null, dStates: (DataArray | null)[], needs: GradNeeds) => SequenceGrads;

/**
 * Whether `recordSequence` will record this sequence (a gradient computation is on and watches one
 * of its inputs), so that backward will read what the forward loops keep.
 */
export function willRecord(args: KernelArgs): boolean {
  if (!isRecording()) return false;
  const inputs = [args.x, args.kernel, args.recurrentKernel, ...(args.bias ? [args.bias] : []), ...(args.initialStates ?? [])];
  return inputs.some((t) => isTracked(t));
}

/**
 * Records the sequence as ONE tape entry: inputs [x, kernel, recurrentKernel, bias?, ...initialStates],
 * outputs [output, ...finalStates]. The sequence's `temp` buffers go back to the pool when backward
 * has run, or now when nothing records the sequence (`p.done`).
 */
export function recordSequence(name: string, args: KernelArgs, result: SequenceResult, p: Prepared, backward: SequenceBackward): SequenceResult {
  if (!willRecord(args)) {
    p.done();
    return result;
  }
  const hasBias = args.bias !== null && args.bias !== undefined;
  const states = args.initialStates ?? [];
  const inputs: Tensor[] = [args.x, args.kernel, args.recurrentKernel];
  if (hasBias) inputs.push(args.bias as Tensor);
  const s0 = inputs.length;
  inputs.push(...states);
  recordMulti(name, inputs, [result.output, ...result.states], (dys, needs) => {
    let out: (Tensor | null)[];
    try {
      const g = backward(
        dys[0] ? dys[0].data : null,
        dys.slice(1).map((d) => (d ? d.data : null)),
        {
          x: needs[0],
          kernel: needs[1],
          recurrentKernel: needs[2],
          bias: hasBias && needs[3],
          states: states.map((_, k) => needs[s0 + k]),
        },
      );
      const grads = [g.x, g.kernel, g.recurrentKernel, ...(hasBias ? [g.bias] : []), ...states.map((_, k) => g.states[k] ?? null)];
      // a gradient written in a buffer that goes back to the pool is copied out first
      out = grads.map((t) => (t === null ? null : keptOut(p, t)));
    } finally {
      p.done();
    }
    return out;
  });
  return result;
}

/** `t`, or a tensor of a plain copy of its values when they lie in one of the sequence's pooled buffers. */
function keptOut(p: Prepared, t: Tensor): Tensor {
  const d = p.result(t.data);
  return d === t.data ? t : new Tensor(d, t.shape);
}

/** Whether any of `needs` asks for a gradient that needs the backward-through-time loop. */
export function anyNeed(n: GradNeeds): boolean {
  return n.x || n.kernel || n.recurrentKernel || n.bias || n.states.some((v) => v);
}

/**
 * dW = Xsᵀ·dG [I, cols]: the kernel gradient of every step in one GEMM; with `db`, also
 * db += Σ_rows dG, the bias gradient, summed while the GEMM packs dG (gemm's `bColumnSums`).
 */
export function kernelGrad(p: Prepared, dG: DataArray, cols: number, db: DataArray | null = null): Tensor {
  // a weight gradient lives for the training step (tensor's step_buffers.ts)
  const dW = stepBuffer(p.dtype, p.I * cols);
  if (p.hot !== null) oneHotKernelGradSplit(p, p.hot, dG, cols, dW, db);
  else gemmTN({ m: p.I, n: cols, k: p.T * p.B, a: p.xs, b: dG, c: dW, ...(db ? { bColumnSums: db } : {}) });
  return new Tensor(dW, [p.I, cols]);
}

/**
 * [rows, n] = Aᵀ·dG over all steps (A [T·B, rows]): a recurrent-kernel gradient in one GEMM; with
 * `db`, also db += Σ_rows dG (as `kernelGrad`). With `into`, written as the columns
 * [offset, offset + n) of `into.c` (rows `into.ldc` apart) instead of a new array, which is returned.
 */
export function stepsTN(p: Prepared, a: DataArray, rowsA: number, dG: DataArray, cols: number, db: DataArray | null = null, into: { c: DataArray; offset: number; ldc: number } | null = null): DataArray {
  const out = into === null ? stepBuffer(p.dtype, rowsA * cols) : into.c;
  const at = into === null ? {} : { cOffset: into.offset, ldc: into.ldc };
  gemmTN({ m: rowsA, n: cols, k: p.T * p.B, a, b: dG, c: out, ...at, ...(db ? { bColumnSums: db } : {}) });
  return out;
}
