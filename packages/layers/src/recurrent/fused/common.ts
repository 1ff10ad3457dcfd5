/**
 * Shared machinery of the fused sequence kernels (simple_rnn.ts, lstm.ts, gru.ts): argument
 * checks, masks, outputs, the split of the time loops (rows.ts) over threads, the weight
 * gradients, and the one tape entry per sequence.
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
 *   run  [T·B]        1 where the step runs (mask true), 0 where it keeps the state
 *   emit [T·B]        1 where output_s = hs[s+1], 0 where output_s = 0 (see `stepMasks`)
 */
import {
  DType, DataArray, Tensor, allocLike, allocShared, fmtShape, gemmTN, getThreads, poolServes, resultType, runOnPool, toShared,
} from '@seqlab/tensor';
import { recordMulti } from '@seqlab/autograd';
import { SequenceArgs, SequenceResult } from '../sequence';
import { BandsJob, ColumnSumsJob, RowFunction, RowsJob, columnSumsCols, runBands } from './rows';

export { TANH, SIGMOID, HARD_SIGMOID, RELU, LINEAR, activationCode, activateRange, scaleByDerivative } from './activations';

// ---------------------------------------------------------------------------------------------
// arguments

/** Sizes, precision and the step-major inputs every kernel starts from. */
export interface Prepared {
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
  /** [T·B]: for a one-hot input, the index of row s·B + b's 1 (-1: an all-zero row); else null (`oneHotRows`). */
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
   * Threads the time loops are split over, by bands of batch rows (`runRows`): 1, or the pool's
   * size when it is on and the batch is large enough (`splitParts`). With more than one, every
   * buffer the loops touch is on a SharedArrayBuffer: allocate them with `alloc`.
   */
  parts: number;
  /** A zeroed buffer of the kernel's dtype, shared when the loops are split. */
  alloc: (n: number) => DataArray;
}

// ---------------------------------------------------------------------------------------------
// splitting the time loops over threads by batch rows (rows.ts)

/**
 * Least batch rows and least per-sequence work (B·T·G·H·H multiply-adds of the recurrent
 * products, ~0.3 ms of loops) for which the time loops are split over threads. Not tuned on an
 * idle machine (none was available, bench/README.md); a split costs a worker round trip (~10 µs
 * measured) and the shared copies of the inputs and weights, so it pays well below this.
 */
let splitMinRows = 8;
let splitMinWork = 1 << 20;

/**
 * Sets the least batch rows and per-sequence work for a split (tests force splits of small
 * batches with `setFusedSplit(2, 0)`); returns the previous values.
 */
export function setFusedSplit(minRows: number, minWork: number): { minRows: number; minWork: number } {
  const prev = { minRows: splitMinRows, minWork: splitMinWork };
  splitMinRows = Math.max(2, minRows);
  splitMinWork = minWork;
  return prev;
}

/**
 * The module of rows.ts that pool workers run: in Node the path of the compiled rows.js (set by
 * the Node entry, node.ts; null when not built, and then the loops stay on the calling thread);
 * in a page, a name only (the worker script, `@seqlab/layers/worker`, serves rows.ts's functions).
 */
let rowsPath: string | null = 'rows';

/** Sets the module pool workers load rows.ts from (the Node entry gives the compiled file's path). */
export function setRowsModule(module: string | null): void {
  rowsPath = module;
}

export function rowsModule(): string | null {
  return rowsPath;
}

/** How many bands of batch rows a sequence of this size is split into (1 = not split). */
export function splitParts(B: number, T: number, G: number, H: number): number {
  const threads = getThreads();
  if (threads <= 1 || B < splitMinRows || B * T * G * H * H < splitMinWork) return 1;
  const module = rowsModule();
  if (module === null || !poolServes(module, 'runBands')) return 1;
  return Math.min(threads, B);
}

/**
 * Bands of batch rows for `parts` threads, as [b0, b1) pairs: about two per thread (so a thread
 * that the machine slows down takes fewer of them: the threads take bands from a shared counter),
 * multiples of 4 rows (the GEMM's tile height) plus a remainder band.
 */
export function rowBands(B: number, parts: number): Int32Array {
  const want = Math.min(2 * parts, Math.max(parts, Math.floor(B / 8)));
  let size = Math.floor(B / want / 4) * 4;
  if (size < 4) size = Math.ceil(B / want);
  const out: number[] = [];
  for (let b0 = 0; b0 < B; b0 += size) out.push(b0, Math.min(B, b0 + size));
  return Int32Array.from(out);
}

/**
 * Runs `f` (the function of rows.ts exported as `fn`) over every band of batch rows: on the
 * calling thread alone when `p.parts` is 1, else on the calling thread and the pool's workers,
 * each taking the next band from a shared counter until none is left (rows.ts `runBands`).
 */
export function runRows<J extends Omit<RowsJob, 'b0' | 'b1' | 'serial'>>(p: Prepared, fn: RowFunction, f: (j: J & RowsJob) => void, job: J): void {
  if (p.parts <= 1) {
    f({ ...job, b0: 0, b1: p.B, serial: false });
    return;
  }
  const plain = rowBands(p.B, p.parts);
  const bands = new Int32Array(new SharedArrayBuffer(plain.byteLength));
  bands.set(plain);
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const shared = { ...job, fn, bands, counter, b0: 0, b1: 0, serial: true } as unknown as BandsJob;
  const others = Array.from({ length: p.parts - 1 }, () => shared as unknown as Record<string, unknown>);
  runOnPool(rowsModule() as string, 'runBands', others, () => runBands(shared));
}

/** `a` itself on one thread, a shared copy (unless it is one already) when the loops are split. */
export function share<A extends DataArray | Uint8Array>(p: Prepared, a: A): A;
export function share<A extends DataArray | Uint8Array>(p: Prepared, a: A | null): A | null;
export function share<A extends DataArray | Uint8Array>(p: Prepared, a: A | null): A | null {
  return a === null || p.parts <= 1 ? a : toShared(a);
}

function expectShape(name: string, what: string, t: Tensor, shape: number[]): void {
  const ok = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
  if (!ok) throw new Error(`${name}: expected ${what} ${fmtShape(shape)}, received ${fmtShape(t.shape)}`);
}

/**
 * Checks every shape against x [B, T, I] and kernel [I, G·H], decides the split over threads,
 * allocates the step-major input (the forward loops fill it), and builds the step masks and the
 * initial states. `biasShape` is the bias shape the cell expects.
 */
export function prepare(args: SequenceArgs, G: number, nStates: number, biasShape: (H: number) => number[]): Prepared {
  const name = `fusedSequence(${args.kind})`;
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
  const parts = splitParts(B, T, G, H);
  const alloc = parts > 1 ? (n: number) => allocShared(dtype, n) : (n: number) => allocLike(dtype, n);

  // a one-hot input is projected by copying rows of W; any other input through
  // xs[s·B + b] = x[b, t(s)] ⊙ inputDropoutMask[b], written by the forward loops (rows.ts)
  let hot = idm ? null : oneHotRows(x.data, B, T, I, args.goBackwards);
  if (hot !== null && parts > 1) {
    const shared = new Int32Array(new SharedArrayBuffer(hot.byteLength));
    shared.set(hot);
    hot = shared;
  }
  const xs = alloc(hot === null ? T * B * I : 0);

  let { run, emit } = stepMasks(args, B, T);
  if (parts > 1) {
    run = run === null ? null : toShared(run);
    emit = emit === null ? null : toShared(emit);
  }

  const h0: DataArray[] = [];
  for (let k = 0; k < nStates; k++) {
    const s = allocLike(dtype, B * H);
    if (states.length) s.set(states[k].data);
    h0.push(s);
  }
  let rdmData: DataArray | null = null;
  if (rdm) {
    rdmData = alloc(B * H);
    rdmData.set(rdm.data);
  }
  return { name, B, T, I, H, G, dtype, xs, hot, run, emit, rdm: rdmData, h0, parts, alloc };
}

/** Least input features for which a one-hot input takes the gather path (a floor chosen, not measured: with few features the GEMM is small anyway). */
export const ONE_HOT_MIN_FEATURES = 16;

/**
 * One-hot inputs (a character model's): when every row x[b, t] of [B, T, I] is all zeros but
 * for a single 1 (or all zeros: padding), returns the 1's index per row in processing order
 * (s·B + b; -1 for an all-zero row), else null. Then the input projection x_t·W is row
 * hot[s·B + b] of W, a copy instead of a GEMM (the same value: every other term of the sum is an
 * exact zero), and dW = Xsᵀ·dG adds each row of dG to row hot[·] of dW. The scan stops at the first
 * value that is neither 0 nor 1, so real-valued inputs cost next to nothing.
 */
export function oneHotRows(x: DataArray, B: number, T: number, I: number, goBackwards: boolean): Int32Array | null {
  if (I < ONE_HOT_MIN_FEATURES) return null;
  const hot = new Int32Array(T * B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * I;
      let at = -1;
      for (let i = 0; i < I; i++) {
        const v = x[o + i];
        if (v === 0) continue;
        if (v !== 1 || at >= 0) return null;
        at = i;
      }
      hot[(goBackwards ? T - 1 - t : t) * B + b] = at;
    }
  }
  return hot;
}

/**
 * Step masks in processing order.
 *   run_s  = mask[b, t(s)]:  h_s = run ? cell(x_t, h_{s-1}) : h_{s-1}
 *   output_s = run ? h_s : (zeroOutputForMask ? 0 : output_{s-1}), output_{-1} = 0 (Keras)
 * Since a masked step keeps the state, output_{s-1} is h_s itself once some earlier step has run,
 * and 0 before: output_s = emit_s · h_s with emit_s = run_s or (not zeroOutputForMask and some
 * step ≤ s ran). The gradient is the same too: it reaches the last step that ran through the
 * identity of the masked steps in between.
 */
export function stepMasks(args: SequenceArgs, B: number, T: number): { run: Uint8Array | null; emit: Uint8Array | null } {
  if (!args.mask) return { run: null, emit: null };
  const m = args.mask.data;
  const run = new Uint8Array(T * B);
  const emit = new Uint8Array(T * B);
  const repeat = !args.zeroOutputForMask;
  for (let b = 0; b < B; b++) {
    let seen = false;
    for (let s = 0; s < T; s++) {
      const t = args.goBackwards ? T - 1 - s : s;
      const r = m[b * T + t] !== 0;
      seen = seen || r;
      run[s * B + b] = r ? 1 : 0;
      emit[s * B + b] = r || (repeat && seen) ? 1 : 0;
    }
  }
  return { run, emit };
}

// ---------------------------------------------------------------------------------------------
// forward helpers

/**
 * What the forward loops of every kernel read besides their own buffers: the input and its
 * dropout mask (shared copies when split), the kernel and bias, and where xs goes.
 */
export function rowsInputs(args: SequenceArgs, p: Prepared): {
  I: number; x: DataArray; idm: DataArray | null; goBackwards: boolean; xs: DataArray; hot: Int32Array | null; W: DataArray; bias: DataArray | null;
} {
  return {
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

/** States buffer [(T+1)·B, H] with the initial state in its first block. */
export function stateBuffer(p: Prepared, h0: DataArray): DataArray {
  const hs = p.alloc((p.T + 1) * p.B * p.H);
  hs.set(h0);
  return hs;
}

/** The layer's output from the states: [B, T, H] (processing order) or [B, H] (last step). */
export function emitOutputs(args: SequenceArgs, p: Prepared, hs: DataArray): Tensor {
  const { B, T, H } = p;
  const emit = p.emit;
  if (args.returnSequences) {
    const out = allocLike(p.dtype, B * T * H);
    for (let s = 0; s < T; s++) {
      for (let b = 0; b < B; b++) {
        if (emit !== null && emit[s * B + b] === 0) continue;
        const src = ((s + 1) * B + b) * H;
        const dst = (b * T + s) * H;
        for (let j = 0; j < H; j++) out[dst + j] = hs[src + j];
      }
    }
    return new Tensor(out, [B, T, H]);
  }
  const out = allocLike(p.dtype, B * H);
  if (T === 0) return new Tensor(out, [B, H]); // no step, no output: zeros (as the reference scan)
  for (let b = 0; b < B; b++) {
    if (emit !== null && emit[(T - 1) * B + b] === 0) continue;
    const src = (T * B + b) * H;
    for (let j = 0; j < H; j++) out[b * H + j] = hs[src + j];
  }
  return new Tensor(out, [B, H]);
}

/** The last block of a states buffer as a [B, H] tensor (a copy). */
export function finalState(p: Prepared, hs: DataArray): Tensor {
  const n = p.B * p.H;
  return new Tensor(hs.slice(p.T * n, (p.T + 1) * n), [p.B, p.H]);
}

// ---------------------------------------------------------------------------------------------
// backward helpers

/**
 * out[j] (+offset) += Σ_r g[r, j]: the bias gradient, summing over batch and time, when no weight
 * GEMM sums it on the way (`kernelGrad`'s db). Split over threads by bands of columns when the
 * loops are (each column summed in the same order), so `out` is then allocated with `p.alloc`.
 */
export function columnSums(p: Prepared, g: DataArray, rows: number, cols: number, out: DataArray, offset: number): void {
  if (p.parts <= 1 || cols < 2 * p.parts) {
    columnSumsCols({ g, rows, cols, out, offset, c0: 0, c1: cols });
    return;
  }
  const band = Math.ceil(cols / p.parts);
  const others: ColumnSumsJob[] = [];
  for (let k = 1; k < p.parts; k++) {
    const c0 = Math.min(cols, k * band);
    const c1 = Math.min(cols, c0 + band);
    if (c1 > c0) others.push({ g, rows, cols, out, offset, c0, c1 });
  }
  runOnPool(rowsModule() as string, 'columnSumsCols', others as unknown as Record<string, unknown>[], () => columnSumsCols({ g, rows, cols, out, offset, c0: 0, c1: band }));
}

/**
 * dW = Xsᵀ·dG [I, cols]: the kernel gradient of every step in one GEMM; with `db`, also
 * db += Σ_rows dG, the bias gradient, summed while the GEMM packs dG (gemm's `bColumnSums`).
 */
export function kernelGrad(p: Prepared, dG: DataArray, cols: number, db: DataArray | null = null): Tensor {
  const dW = allocLike(p.dtype, p.I * cols);
  if (p.hot !== null) oneHotKernelGrad(p.hot, dG, cols, dW, db);
  else gemmTN({ m: p.I, n: cols, k: p.T * p.B, a: p.xs, b: dG, c: dW, ...(db ? { bColumnSums: db } : {}) });
  return new Tensor(dW, [p.I, cols]);
}

/**
 * dW = Xsᵀ·dG for a one-hot Xs: dW[hot[r]] += dG[r] over the rows r in order (and db += Σ_r dG[r]),
 * summed in float64, on the calling thread (the same sums for any number of threads).
 */
function oneHotKernelGrad(hot: Int32Array, dG: DataArray, cols: number, dW: DataArray, db: DataArray | null): void {
  const acc = new Float64Array(dW.length);
  const sums = db === null ? null : new Float64Array(cols);
  for (let r = 0; r < hot.length; r++) {
    const g = r * cols;
    if (sums !== null) for (let k = 0; k < cols; k++) sums[k] += dG[g + k];
    const j = hot[r];
    if (j < 0) continue;
    const o = j * cols;
    for (let k = 0; k < cols; k++) acc[o + k] += dG[g + k];
  }
  dW.set(acc);
  if (db !== null && sums !== null) for (let k = 0; k < cols; k++) db[k] += sums[k];
}

/**
 * [rows, n] = Aᵀ·dG over all steps (A [T·B, rows]): a recurrent-kernel gradient in one GEMM; with
 * `db`, also db += Σ_rows dG (as `kernelGrad`).
 */
export function stepsTN(p: Prepared, a: DataArray, rowsA: number, dG: DataArray, cols: number, db: DataArray | null = null): DataArray {
  const out = allocLike(p.dtype, rowsA * cols);
  gemmTN({ m: rowsA, n: cols, k: p.T * p.B, a, b: dG, c: out, ...(db ? { bColumnSums: db } : {}) });
  return out;
}

// ---------------------------------------------------------------------------------------------
// the tape entry

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
 * Records the sequence as ONE tape entry: inputs [x, kernel, recurrentKernel, bias?, ...initialStates],
 * outputs [output, ...finalStates].
 */
export function recordSequence(name: string, args: SequenceArgs, result: SequenceResult, backward: SequenceBackward): SequenceResult {
  const hasBias = args.bias !== null && args.bias !== undefined;
  const states = args.initialStates ?? [];
  const inputs: Tensor[] = [args.x, args.kernel, args.recurrentKernel];
  if (hasBias) inputs.push(args.bias as Tensor);
  const s0 = inputs.length;
  inputs.push(...states);
  recordMulti(name, inputs, [result.output, ...result.states], (dys, needs) => {
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
    const out: (Tensor | null)[] = [g.x, g.kernel, g.recurrentKernel];
    if (hasBias) out.push(g.bias);
    for (let k = 0; k < states.length; k++) out.push(g.states[k] ?? null);
    return out;
  });
  return result;
}

/** Whether any of `needs` asks for a gradient that needs the backward-through-time loop. */
export function anyNeed(n: GradNeeds): boolean {
  return n.x || n.kernel || n.recurrentKernel || n.bias || n.states.some((v) => v);
}

/** A copy of an upstream state gradient into a fresh [B, H] accumulator (zeros when null). */
export function gradAccumulator(p: Prepared, d: DataArray | null): DataArray {
  const a = p.alloc(p.B * p.H);
  if (d !== null) for (let k = 0; k < a.length; k++) a[k] = d[k];
  return a;
}

/** The left operand of U for every step: a separate [T·B, H] buffer with recurrent dropout, else hs itself. */
export function droppedStates(p: Prepared, hs: DataArray): DataArray {
  return p.rdm === null ? hs : p.alloc(p.T * p.B * p.H);
}
