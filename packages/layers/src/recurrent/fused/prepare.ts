/**
 * What every fused kernel starts from: argument checks, the split decision, the step-major inputs,
 * the step masks and the initial states; and the buffers every time loop shares. No cell math.
 *
 * Layout. Every buffer a kernel keeps is step-major: row `s·B + b` is batch row b at processing
 * step s (s = 0 is the first step processed; with goBackwards that is the last timestep,
 * t = T-1-s). Step-major rows make one step a contiguous [B, ·] block, so the recurrent GEMM of a
 * step works on a slice of the buffer without copying (so does a band of its batch rows, which
 * is how threads share the loops), and the weight gradients over all steps are one GEMM each
 * (`Xsᵀ·dG`, `Hdᵀ·dG`) because X, H and dG share the same row order.
 *
 *   xs   [T·B, I]      x_t ⊙ inputDropoutMask, in processing order
 *   hs   [(T+1)·B, H]  hs[0] = h_0 (initial state), hs[s+1] = state after step s
 *   hd   [T·B, H]      h_{t-1} ⊙ recurrentDropoutMask, the left operand of U (= hs without dropout)
 *   run  [T·B]        1 where the step runs (mask true), 0 where it keeps the state (masks.ts)
 *   emit [T·B]        1 where output_s = hs[s+1], 0 where output_s = 0 (masks.ts)
 */
import { DType, DataArray, Tensor, allocLike, fmtShape, getKernels, giveBack, lendToStep, resultType, sharedBuffer, stepBuffer, takeBuffer, takeSharedCopy } from '@seqlab/tensor';
import type { SequenceArgs } from '../sequence';
import { stepMasks } from './masks';
import { oneHotRows } from './one_hot';
import { willRecord } from './tape';
import { Split, share, splitParts } from './threads';

/**
 * What the built-in fused kernels read (`KerasCell.kernelArgs`): the sequence's arguments with the
 * weights by role, the activations by name and the dropout masks by what they multiply.
 */
export interface KernelArgs extends Omit<SequenceArgs, 'cell' | 'weights' | 'dropout'> {
  /** The cell, for messages. */
  name: string;
  /** [I, G·H] */
  kernel: Tensor;
  /** [H, G·H] */
  recurrentKernel: Tensor;
  /** [G·H]; GRU with resetAfter: [2, 3H] (row 0 input bias, row 1 recurrent bias); null without bias. */
  bias: Tensor | null;
  /** Activation names: 'tanh' | 'sigmoid' | 'hardSigmoid' | 'relu' | 'linear'. */
  activation: string;
  recurrentActivation: string;
  /** GRU only (Keras default true). */
  resetAfter?: boolean;
  /** [B, I] inverted-dropout mask multiplied into x at every step, or null. */
  inputDropoutMask: Tensor | null;
  /** [B, H] mask multiplied into h_{t-1} before the recurrent kernel, or null. */
  recurrentDropoutMask: Tensor | null;
}

/** Sizes, precision and the step-major inputs every kernel starts from. */
export interface Prepared extends Split {
  name: string;
  B: number;
  T: number;
  I: number;
  H: number;
  /** Gate blocks: SimpleRNN 1, LSTM 4, GRU 3. */
  G: number;
  dtype: DType;
  /** [T·B, I]: x ⊙ inputDropoutMask in processing order (written by the forward loops). */
  xs: DataArray;
  /** [T·B]: for a one-hot input, the index of row s·B + b's 1 (-1: an all-zero row); else null (one_hot.ts). */
  hot: Int32Array | null;
  /** [T·B]: 1 where the step runs, or null without a mask (every step runs). */
  run: Uint8Array | null;
  /** [T·B]: 1 where the step's output is the state, 0 where it is zeros; null when always 1. */
  emit: Uint8Array | null;
  /** [B, H] recurrent dropout mask, or null. */
  rdm: DataArray | null;
  /** [B, H] each: initial states (zeros when none were given). */
  h0: DataArray[];
  /**
   * Threads the time loops are split over, by bands of batch rows (threads.ts `runRows`): 1, or
   * the pool's size when it is on and the batch is large enough. With more than one, every buffer
   * the loops touch is on a SharedArrayBuffer: allocate them with `alloc`.
   */
  parts: number;
  /**
   * A zeroed buffer of the kernel's dtype for a result the loops write (a gradient returned as a
   * tensor): a `stepBuffer` on one thread (a new array outside a training step); when the loops
   * are split, a shared `temp` buffer, which `result` lends to the step or copies out (a buffer
   * made per call and handed to the pool's workers would stay alive until their collector runs:
   * buffer_pool.ts).
   */
  alloc: (n: number) => DataArray;
  /**
   * What a returned tensor may hold of `a`: `a` itself, or a plain copy when `a` lies in a buffer
   * that goes back to the pool (`done`); inside a training step, such a buffer itself when `a` is
   * all of it, lent to the step (step_buffers.ts `lendToStep`) instead of going back with `done`.
   * tape.ts `recordSequence` applies it to every gradient.
   */
  result: (a: DataArray) => DataArray;
  /**
   * A zeroed buffer like `alloc`'s that lives only until the sequence is done with it (`done`): the
   * step buffers and states. It comes from the buffer pool, and goes back there (buffer_pool.ts).
   */
  temp: (n: number) => DataArray;
  /**
   * A step buffer [T·B, ·] the forward loops write and only backward reads: `loopOutput(n)`, or an
   * empty array when nothing will differentiate the sequence and the loops run in wasm memory
   * (float32 on the 'wasm' kernels), which keep it there (wasm_band.ts).
   */
  forBackward: (n: number) => DataArray;
  /**
   * A `temp` buffer that a loop writes whole, every row of every step (an 'out' buffer of the cell's
   * `BandBuffers`): when the loops run in wasm memory, each band's rows are computed in a zeroed
   * workspace and copied back whole (wasm_band.ts), so the buffer is not zeroed first (a 16 MB
   * fill is ~1.3 ms, a pass over memory that no thread can share). Zeroed otherwise.
   */
  loopOutput: (n: number) => DataArray;
  /**
   * Gives every `temp` buffer back to the pool: after backward, or after the forward pass when
   * nothing records it (tape.ts `recordSequence`). Nothing may use them afterwards; the outputs
   * are copies.
   */
  done: () => void;
}

function expectShape(name: string, what: string, t: Tensor, shape: number[]): void {
  const ok = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
  if (!ok) throw new Error(`${name}: expected ${what} ${fmtShape(shape)}, received ${fmtShape(t.shape)}`);
}

/**
 * Checks every shape against x [B, T, I] and kernel [I, G·H], decides the split over threads
 * (`rows`: the compiled module of the cell's rows, null: never split), allocates the step-major
 * input (the forward loops fill it), and builds the step masks and the initial states.
 * `biasShape` is the bias shape the cell expects.
 */
export function prepare(args: KernelArgs, G: number, nStates: number, biasShape: (H: number) => number[], rows: string | null): Prepared {
  const name = `fusedSequence(${args.name})`;
  const { x, kernel, recurrentKernel, bias } = args;
  if (x.rank !== 3) throw new Error(`${name}: expected input [batch, time, features], received ${fmtShape(x.shape)}`);
  const [B, T, I] = x.shape;
  if (kernel.rank !== 2 || kernel.shape[1] % G !== 0) {
    throw new Error(`${name}: expected kernel [${I}, ${G}·units], received ${fmtShape(kernel.shape)}`);
  }
  const H = kernel.shape[1] / G;
  expectShape(name, 'kernel', kernel, [I, G * H]);
  expectShape(name, 'recurrentKernel', recurrentKernel, [H, G * H]);
  if (bias) expectShape(name, 'bias', bias, biasShape(H));
  const states = args.initialStates ?? [];
  if (states.length !== 0 && states.length !== nStates) {
    throw new Error(`${name}: expected ${nStates} initial state(s), received ${states.length}`);
  }
  states.forEach((s, k) => expectShape(name, `initial state ${k}`, s, [B, H]));
  if (args.mask) expectShape(name, 'mask', args.mask, [B, T]);
  const idm = args.inputDropoutMask ?? null;
  const rdm = args.recurrentDropoutMask ?? null;
  if (idm) expectShape(name, 'inputDropoutMask', idm, [B, I]);
  if (rdm) expectShape(name, 'recurrentDropoutMask', rdm, [B, H]);

  const dtype = resultType(...[x, kernel, recurrentKernel, ...(bias ? [bias] : []), ...states]);
  const parts = splitParts(B, T, G, H, rows);
  const taken = new Set<DataArray | Uint8Array | Int32Array>();
  const inWasm = dtype === 'float32' && getKernels() === 'wasm'; // the loops run in wasm memory (wasm_band.ts)
  const take = (n: number, zeroed: boolean) => {
    const a = takeBuffer(dtype, n, parts > 1 ? sharedBuffer : null, zeroed);
    taken.add(a);
    return a;
  };
  const temp = (n: number) => take(n, true);
  const loopOutput = (n: number) => take(n, !inWasm);
  // a gradient returned in a training step lives for the step: a step buffer (step_buffers.ts)
  const alloc = parts > 1 ? temp : (n: number) => stepBuffer(dtype, n);
  const result = (a: DataArray) => {
    for (const t of taken) {
      if (t.buffer !== a.buffer) continue;
      // the whole buffer, in a step: lent to the step instead of copied out (and not given back by `done`)
      if (t === a && lendToStep(t)) {
        taken.delete(t);
        return a;
      }
      const out = allocLike(dtype, a.length);
      out.set(a);
      return out;
    }
    return a;
  };
  const done = () => {
    giveBack(...taken);
    taken.clear();
  };
  // what the split loops read of plain arrays (inputs, weights, masks), copied to shared memory from the pool
  const sharedCopy = <A extends DataArray | Uint8Array | Int32Array>(a: A): A => {
    const t = takeSharedCopy(a, sharedBuffer);
    taken.add(t);
    return t;
  };
  const split = { B, parts, rows, sharedCopy };
  const unused = !willRecord(args) && inWasm;
  const forBackward = unused ? () => alloc(0) : loopOutput;

  // a one-hot input is projected by copying rows of W; any other input through
  // xs[s·B + b] = x[b, t(s)] ⊙ inputDropoutMask[b], written by the forward loops (loop.ts)
  const hot = share(split, idm ? null : oneHotRows(x.data, B, T, I, args.goBackwards));
  const xs = forBackward(hot === null ? T * B * I : 0);

  const masks = stepMasks(args, B, T);
  const run = share(split, masks.run);
  const emit = share(split, masks.emit);

  const h0: DataArray[] = [];
  for (let k = 0; k < nStates; k++) {
    const s = allocLike(dtype, B * H);
    if (states.length) s.set(states[k].data);
    h0.push(s);
  }
  // in the kernel's dtype (shared when split)
  const rdmData = rdm ? alloc(B * H) : null;
  if (rdm) (rdmData as DataArray).set(rdm.data);
  return { name, B, T, I, H, G, dtype, xs, hot, run, emit, rdm: rdmData, h0, parts, rows, sharedCopy, alloc, result, temp, forBackward, loopOutput, done };
}

/**
 * What the forward loops of every kernel read besides their own buffers: the input and its
 * dropout mask (shared copies when split), the kernel and bias, and where xs goes.
 */
export function rowsInputs(args: KernelArgs, p: Prepared): {
  I: number; x: DataArray; idm: DataArray | null; goBackwards: boolean; xs: DataArray; hot: Int32Array | null; W: DataArray; bias: DataArray | null; keep: boolean;
} {
  return {
    keep: willRecord(args),
    I: p.I,
    hot: p.hot,
    x: share(p, args.x.data),
    idm: share(p, args.inputDropoutMask ? args.inputDropoutMask.data : null),
    goBackwards: args.goBackwards,
    xs: p.xs,
    W: share(p, args.kernel.data),
    bias: share(p, args.bias ? args.bias.data : null),
  };
}

/**
 * States buffer [(T+1)·B, H] with the initial state in its first block (a `temp` buffer: outputs
 * are copied out of it). The loops write every later block, masked steps included (they carry the
 * state on), so it is a `loopOutput`: not zeroed first where the loops run in wasm memory.
 */
export function stateBuffer(p: Prepared, h0: DataArray): DataArray {
  const hs = p.loopOutput((p.T + 1) * p.B * p.H);
  hs.set(h0);
  return hs;
}

/** The left operand of U for every step: a separate [T·B, H] buffer with recurrent dropout, else hs itself. */
export function droppedStates(p: Prepared, hs: DataArray): DataArray {
  return p.rdm === null ? hs : p.forBackward(p.T * p.B * p.H);
}

/** A copy of an upstream state gradient into a [B, H] `alloc` accumulator (zeros when null). */
export function gradAccumulator(p: Prepared, d: DataArray | null): DataArray {
  const a = p.alloc(p.B * p.H);
  if (d !== null) for (let k = 0; k < a.length; k++) a[k] = d[k];
  return a;
}
