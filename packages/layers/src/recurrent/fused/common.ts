/**
 * Shared machinery of the fused sequence kernels (simple_rnn.ts, lstm.ts, gru.ts): activations
 * and their derivatives by name, argument checks, the step-major input copy, masks, outputs,
 * and the one tape entry per sequence.
 *
 * Layout. Every buffer a kernel keeps is step-major: row `s·B + b` is batch row b at processing
 * step s (s = 0 is the first step processed; with goBackwards that is the last timestep,
 * t = T-1-s). Step-major rows make one step a contiguous [B, ·] block, so the recurrent GEMM of a
 * step works on a slice of the buffer without copying, and the weight gradients over all steps
 * are one GEMM each (`Xsᵀ·dG`, `Hdᵀ·dG`) because X, H and dG share the same row order.
 *
 *   xs   [T·B, I]      x_t ⊙ inputDropoutMask, in processing order
 *   hs   [(T+1)·B, H]  hs[0] = h_0 (initial state), hs[s+1] = state after step s
 *   hd   [T·B, H]      h_{t-1} ⊙ recurrentDropoutMask, the left operand of U (= hs without dropout)
 *   run  [T·B]        1 where the step runs (mask true), 0 where it keeps the state
 *   emit [T·B]        1 where output_s = hs[s+1], 0 where output_s = 0 (see `stepMasks`)
 */
import { DType, DataArray, Tensor, allocLike, fmtShape, gemmNN, gemmNT, gemmTN, resultType } from '@seqlab/tensor';
import { recordMulti } from '@seqlab/autograd';
import { SequenceArgs, SequenceResult } from '../sequence';

// ---------------------------------------------------------------------------------------------
// activations, by code, so the hot loops switch on a small integer (no closure per element)

export const TANH = 0;
export const SIGMOID = 1;
export const HARD_SIGMOID = 2;
export const RELU = 3;
export const LINEAR = 4;

const codes: Record<string, number> = {
  tanh: TANH,
  sigmoid: SIGMOID,
  hardsigmoid: HARD_SIGMOID,
  relu: RELU,
  linear: LINEAR,
};

/** The kernel's code for an activation name (camelCase or snake_case), or -1 if not implemented. */
export function activationCode(name: string | null | undefined): number {
  if (name === null || name === undefined) return LINEAR;
  const code = codes[name.replace(/_/g, '').toLowerCase()];
  return code === undefined ? -1 : code;
}

// ---------------------------------------------------------------------------------------------
// exp for float32 buffers
//
// Math.exp costs ~10 ns and Math.tanh ~16 ns here, a quarter of an LSTM's forward time at H = 32.
// Where the result is stored as float32 (relative rounding 6e-8), exp can be computed to float32
// accuracy more cheaply: e^x = 2^n · e^r with n = round(x·log2 e) and r = x - n·ln 2 in
// [-ln2/2, ln2/2], e^r by its Taylor polynomial of degree 7 (relative error < 1e-8 over the
// clamped range, measured), 2^n from a table. ~6 ns for σ or tanh. Float64 buffers (gradient
// checks) keep Math.exp / Math.tanh, whose derivative the checks hold the kernels to exactly.

const LOG2E = 1.4426950408889634;
const LN2 = 0.6931471805599453;
/** POW2[n + 128] = 2^n for n in [-128, 127]. */
const POW2 = new Float64Array(256).map((_, i) => Math.pow(2, i - 128));

/** e^x to float32 accuracy for x in [-80, 80] (callers clamp: beyond, σ and tanh are saturated). */
function exp32(x: number): number {
  const n = Math.floor(x * LOG2E + 0.5);
  const r = x - n * LN2;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040)))))));
  return p * POW2[n + 128];
}

const clamp80 = (x: number): number => (x > 80 ? 80 : x < -80 ? -80 : x);

/**
 * buf[o .. o+n) = f(buf[o .. o+n)) in place: one gate block of one batch row. The switch is
 * outside the loop, so each loop is monomorphic and inlines its math.
 */
export function activateRange(code: number, buf: DataArray, o: number, n: number): void {
  const end = o + n;
  const f32 = buf instanceof Float32Array;
  switch (code) {
    case TANH:
      // tanh x = 1 - 2/(e^{2x} + 1)
      if (f32) for (let k = o; k < end; k++) buf[k] = 1 - 2 / (exp32(clamp80(2 * buf[k])) + 1);
      else for (let k = o; k < end; k++) buf[k] = Math.tanh(buf[k]);
      return;
    case SIGMOID:
      if (f32) {
        for (let k = o; k < end; k++) buf[k] = 1 / (1 + exp32(clamp80(-buf[k])));
        return;
      }
      // σ(x) = 1/(1 + e⁻ˣ), written so that e^|x| never overflows
      for (let k = o; k < end; k++) {
        const x = buf[k];
        if (x >= 0) {
          buf[k] = 1 / (1 + Math.exp(-x));
        } else {
          const e = Math.exp(x);
          buf[k] = e / (1 + e);
        }
      }
      return;
    case HARD_SIGMOID:
      // Keras 3: clip(x/6 + 1/2, 0, 1)
      for (let k = o; k < end; k++) buf[k] = Math.min(1, Math.max(0, buf[k] / 6 + 0.5));
      return;
    case RELU:
      for (let k = o; k < end; k++) {
        const x = buf[k];
        buf[k] = x > 0 ? x : x === x ? 0 : x;
      }
      return;
    default:
  }
}

/**
 * d[o .. o+n) ⊙= f'(x) written through the stored outputs y[yo .. yo+n) = f(x), so backward needs
 * only the activations kept by the forward pass:
 *   d tanh = 1 - y²,  d σ = y(1 - y),  d hardSigmoid = 1/6 where 0 < y < 1,  d relu = [y > 0],  d linear = 1
 */
export function scaleByDerivative(code: number, d: DataArray, o: number, y: DataArray, yo: number, n: number): void {
  const shift = yo - o;
  const end = o + n;
  switch (code) {
    case TANH:
      for (let k = o; k < end; k++) {
        const v = y[k + shift];
        d[k] *= 1 - v * v;
      }
      return;
    case SIGMOID:
      for (let k = o; k < end; k++) {
        const v = y[k + shift];
        d[k] *= v * (1 - v);
      }
      return;
    case HARD_SIGMOID:
      for (let k = o; k < end; k++) {
        const v = y[k + shift];
        d[k] = v > 0 && v < 1 ? d[k] * (1 / 6) : 0;
      }
      return;
    case RELU:
      for (let k = o; k < end; k++) if (!(y[k + shift] > 0)) d[k] = 0;
      return;
    default:
  }
}

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
  /** [T·B, I]: x ⊙ inputDropoutMask in processing order. */
  xs: DataArray;
  /** [T·B]: 1 where the step runs, or null without a mask (every step runs). */
  run: Uint8Array | null;
  /** [T·B]: 1 where the step's output is the state, 0 where it is zeros; null when always 1. */
  emit: Uint8Array | null;
  /** [B, H] recurrent dropout mask, or null. */
  rdm: DataArray | null;
  /** [B, H] each: initial states (zeros when none were given). */
  h0: DataArray[];
}

function expectShape(name: string, what: string, t: Tensor, shape: number[]): void {
  const ok = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
  if (!ok) throw new Error(`${name}: expected ${what} ${fmtShape(shape)}, received ${fmtShape(t.shape)}`);
}

/**
 * Checks every shape against x [B, T, I] and kernel [I, G·H], and builds the step-major input,
 * the step masks and the initial states. `biasShape` is the bias shape the cell expects.
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

  // xs[s·B + b] = x[b, t(s)] ⊙ inputDropoutMask[b]: the operand of the one input-projection GEMM
  const xs = allocLike(dtype, T * B * I);
  const xd = x.data;
  const md = idm ? idm.data : null;
  for (let s = 0; s < T; s++) {
    const t = args.goBackwards ? T - 1 - s : s;
    for (let b = 0; b < B; b++) {
      const src = (b * T + t) * I;
      const dst = (s * B + b) * I;
      if (md === null) {
        for (let i = 0; i < I; i++) xs[dst + i] = xd[src + i];
      } else {
        const mo = b * I;
        for (let i = 0; i < I; i++) xs[dst + i] = xd[src + i] * md[mo + i];
      }
    }
  }

  const { run, emit } = stepMasks(args, B, T);

  const h0: DataArray[] = [];
  for (let k = 0; k < nStates; k++) {
    const s = allocLike(dtype, B * H);
    if (states.length) s.set(states[k].data);
    h0.push(s);
  }
  let rdmData: DataArray | null = null;
  if (rdm) {
    rdmData = allocLike(dtype, B * H);
    rdmData.set(rdm.data);
  }
  return { name, B, T, I, H, G, dtype, xs, run, emit, rdm: rdmData, h0 };
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

/** XW[T·B, cols] = xs·W (+ bias row): the input projection of every step in one GEMM. */
export function inputProjection(p: Prepared, kernel: DataArray, bias: DataArray | null, biasOffset: number): DataArray {
  const rows = p.T * p.B;
  const cols = p.G * p.H;
  const out = allocLike(p.dtype, rows * cols);
  if (bias !== null) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let j = 0; j < cols; j++) out[o + j] = bias[biasOffset + j];
    }
  }
  gemmNN({ m: rows, n: cols, k: p.I, a: p.xs, b: kernel, c: out, beta: bias === null ? 0 : 1 });
  return out;
}

/** States buffer [(T+1)·B, H] with the initial state in its first block. */
export function stateBuffer(p: Prepared, h0: DataArray): DataArray {
  const hs = allocLike(p.dtype, (p.T + 1) * p.B * p.H);
  hs.set(h0);
  return hs;
}

/** hd[s] = hs[s] ⊙ recurrentDropoutMask (one step's block; a no-op without the mask). */
export function dropRecurrent(p: Prepared, hs: DataArray, hd: DataArray, s: number): void {
  const rdm = p.rdm;
  if (rdm === null) return;
  const n = p.B * p.H;
  const o = s * n;
  for (let k = 0; k < n; k++) hd[o + k] = hs[o + k] * rdm[k];
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

/** dh_s += emit_s ⊙ dOutput_s: the upstream gradient of step s's output reaches its state. */
export function addOutputGrad(args: SequenceArgs, p: Prepared, dOut: DataArray | null, s: number, dh: DataArray): void {
  if (dOut === null || s < 0) return;
  const { B, T, H } = p;
  const emit = p.emit;
  if (!args.returnSequences) {
    if (s !== T - 1) return;
    for (let b = 0; b < B; b++) {
      if (emit !== null && emit[s * B + b] === 0) continue;
      const o = b * H;
      for (let j = 0; j < H; j++) dh[o + j] += dOut[o + j];
    }
    return;
  }
  for (let b = 0; b < B; b++) {
    if (emit !== null && emit[s * B + b] === 0) continue;
    const src = (b * T + s) * H;
    const o = b * H;
    for (let j = 0; j < H; j++) dh[o + j] += dOut[src + j];
  }
}

/**
 * dh_{t-1} += (dR_t·Uᵀ) ⊙ recurrentDropoutMask for one step, dR_t = dR[s] [B, cols] (rows of
 * masked steps are zero, so they add nothing). `scratch` is a [B, H] buffer for the masked case.
 */
export function recurrentGrad(p: Prepared, dR: DataArray, s: number, cols: number, U: DataArray, dh: DataArray, scratch: DataArray): void {
  const { B, H } = p;
  const rdm = p.rdm;
  if (rdm === null) {
    gemmNT({ m: B, n: H, k: cols, a: dR, aOffset: s * B * cols, b: U, c: dh, beta: 1 });
    return;
  }
  gemmNT({ m: B, n: H, k: cols, a: dR, aOffset: s * B * cols, b: U, c: scratch, beta: 0 });
  const n = B * H;
  for (let k = 0; k < n; k++) dh[k] += scratch[k] * rdm[k];
}

/** out[j] (+offset) = Σ_r g[r, j]: the bias gradient, summing over batch and time. */
export function columnSums(g: DataArray, rows: number, cols: number, out: DataArray, offset: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) out[offset + j] += g[o + j];
  }
}

/** dW = Xsᵀ·dG [I, cols]: the kernel gradient of every step in one GEMM. */
export function kernelGrad(p: Prepared, dG: DataArray, cols: number): Tensor {
  const dW = allocLike(p.dtype, p.I * cols);
  gemmTN({ m: p.I, n: cols, k: p.T * p.B, a: p.xs, b: dG, c: dW });
  return new Tensor(dW, [p.I, cols]);
}

/** [rows, n] = Aᵀ·dG over all steps (A [T·B, rows]): a recurrent-kernel gradient in one GEMM. */
export function stepsTN(p: Prepared, a: DataArray, rowsA: number, dG: DataArray, cols: number): DataArray {
  const out = allocLike(p.dtype, rowsA * cols);
  gemmTN({ m: rowsA, n: cols, k: p.T * p.B, a, b: dG, c: out });
  return out;
}

/**
 * dx = (dG·Wᵀ) ⊙ inputDropoutMask, one GEMM over all steps, scattered back from processing order
 * to the input's [B, T, I].
 */
export function inputGrad(args: SequenceArgs, p: Prepared, dG: DataArray, kernel: DataArray): Tensor {
  const { B, T, I } = p;
  const cols = p.G * p.H;
  const dxs = allocLike(p.dtype, T * B * I);
  gemmNT({ m: T * B, n: I, k: cols, a: dG, b: kernel, c: dxs });
  const dx = allocLike(p.dtype, B * T * I);
  const idm = args.inputDropoutMask ? args.inputDropoutMask.data : null;
  for (let s = 0; s < T; s++) {
    const t = args.goBackwards ? T - 1 - s : s;
    for (let b = 0; b < B; b++) {
      const src = (s * B + b) * I;
      const dst = (b * T + t) * I;
      if (idm === null) {
        for (let i = 0; i < I; i++) dx[dst + i] = dxs[src + i];
      } else {
        const mo = b * I;
        for (let i = 0; i < I; i++) dx[dst + i] = dxs[src + i] * idm[mo + i];
      }
    }
  }
  return new Tensor(dx, [B, T, I]);
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
  const a = allocLike(p.dtype, p.B * p.H);
  if (d !== null) for (let k = 0; k < a.length; k++) a[k] = d[k];
  return a;
}

/** The left operand of U for every step: a separate [T·B, H] buffer with recurrent dropout, else hs itself. */
export function droppedStates(p: Prepared, hs: DataArray): DataArray {
  return p.rdm === null ? hs : allocLike(p.dtype, p.T * p.B * p.H);
}
