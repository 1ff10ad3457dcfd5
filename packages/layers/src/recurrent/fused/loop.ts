/**
 * What every cell's fused time loop does around its gate math, for a band of batch rows [b0, b1):
 * the step-major input copy and its projection, the recurrent dropout of h_{t-1}, the output
 * gradient entering each step, the recurrent gradient leaving it, and the input gradient. No cell
 * math here: the cells' rows (simple_rnn/rows.ts, lstm/rows.ts, gru/rows_*.ts) call these.
 *
 * Batch rows are independent through the whole recurrence (forward and BPTT), and every buffer is
 * step-major (row s·B + b, see prepare.ts), so one step's rows b0..b1 are a contiguous block: a
 * thread can run the whole time loop of its band on the shared buffers, with per-step GEMMs of
 * b1 - b0 rows entered at an offset, without touching another band's rows (threads.ts).
 *
 * Results do not depend on the split: each row of a GEMM is the same sum in the same order
 * whichever rows are computed with it (gemm.ts), and the elementwise work is per row. The weight
 * gradients sum over rows: the cells' sequence functions compute them afterwards, on the whole
 * buffers. Weights are packed once per call (`packGemmB`), not once per step.
 *
 * Pool workers load this module (compiled, from dist/): it imports only @seqlab/tensor, ./one_hot
 * and ./wasm_band. Per-step scratch comes from `scratch` (wasm_band.ts: in the band's wasm memory
 * when the band runs there); what outlives the call is in the job.
 */
import { DataArray, GemmArgs, PackedB, gemmNN, gemmNT, gemmSerial, laneRows, lanes, packGemmB, releasePackedB } from '@seqlab/tensor';
import { oneHotProjectRows } from './one_hot';
import { scratch } from './wasm_band';

/** What every row job carries. */
export interface RowsJob {
  b0: number;
  b1: number;
  B: number;
  T: number;
  H: number;
  /** Activation codes (activations.ts). */
  act: number;
  rec: number;
  /** True inside a split: per-step GEMMs on this thread only (the pool is busy with the other bands). */
  serial: boolean;
  /** [T·B]: 1 where the step runs, or null (every step runs). */
  run: Uint8Array | null;
  /** [B, H] recurrent dropout mask, or null. */
  rdm: DataArray | null;
  /** [(T+1)·B, H] states, hs[0] = h_0. */
  hs: DataArray;
  /** [T·B, H] h_{t-1} ⊙ rdm, or hs itself without recurrent dropout. */
  hd: DataArray;
  /** Input features. */
  I: number;
  /** [B, T, I] the input and [B, I] its dropout mask (or null). */
  x: DataArray;
  idm: DataArray | null;
  goBackwards: boolean;
  /** [T·B, I]: x ⊙ idm in processing order, written by the forward pass (dW = xsᵀ·dG reads it). */
  xs: DataArray;
  /** [T·B]: a one-hot input's index per row (-1: all zeros), or null (one_hot.ts `oneHotRows`). */
  hot: Int32Array | null;
  /**
   * [I, G·H] kernel, and the bias whose first G·H entries are the input bias (or null); a GRU
   * with resetAfter passes its whole [2, 3H] bias, row 1 the recurrent bias.
   */
  W: DataArray;
  bias: DataArray | null;
  /**
   * Whether a backward pass will read the step buffers the forward loop writes (false: nothing
   * records the sequence; a band run in wasm memory then copies back only the states).
   */
  keep?: boolean;
}

/** What backward adds: the upstream gradient of the outputs and the running dh accumulator. */
export interface BackJob {
  /** [B, T, H] (returnSequences) or [B, H], or null. */
  dOut: DataArray | null;
  returnSequences: boolean;
  /** [T·B]: 1 where output_s = h_s, or null. */
  emit: Uint8Array | null;
  /** [B, H]: ∂L/∂h, holds ∂L/∂h_0 at the end. */
  dh: DataArray;
  /** [B, T, I]: ∂L/∂x, written by the band's rows; null when not needed. */
  dx: DataArray | null;
}

/**
 * The band's rows of xs: xs[s·B + b] = x[b, t(s)] ⊙ idm[b] (not needed for a one-hot input). A step's
 * rows are I apart in xs and T·I apart in x: one `laneRows` call a step (in wasm memory when the
 * band runs there, wasm_band.ts places x beside xs).
 */
export function buildXs(j: RowsJob): void {
  const { B, T, I, x, idm, xs, b0 } = j;
  if (j.hot !== null) return;
  const nb = j.b1 - b0;
  for (let s = 0; s < T; s++) {
    const t = j.goBackwards ? T - 1 - s : s;
    const [dst, src] = [(s * B + b0) * I, (b0 * T + t) * I];
    if (idm === null) laneRows('copy', nb, I, xs, dst, I, x, src, T * I);
    else laneRows('mul', nb, I, xs, dst, I, x, src, T * I, idm, b0 * I, I);
  }
}

/**
 * The input projection of step s for the band's rows: out[s·B + b] = xs[s·B + b]·W + bias
 * ([b1 - b0, I]·[I, cols], W packed once per call). Each row is the same sum as in one GEMM over
 * every step, so where the projection is computed does not change it.
 */
export function project(j: RowsJob, s: number, pw: PackedB | null, out: DataArray, cols: number): void {
  const { B, b0, b1, bias, hot } = j;
  const r0 = s * B + b0;
  if (hot !== null) {
    // rows of W, then + bias (W[hot] + bias, the GEMM's sum with its zero terms left out)
    oneHotProjectRows(hot, j.W, bias, out, r0, s * B + b1, cols);
    if (bias !== null) for (let r = r0; r < s * B + b1; r++) if (hot[r] >= 0) lanes.add(out, r * cols, out, r * cols, bias, 0, cols);
    return;
  }
  // every row of the band starts as the bias (one call: the bias is read at stride 0)
  if (bias !== null) laneRows('copy', b1 - b0, cols, out, r0 * cols, cols, bias, 0, 0);
  mm(j.serial, 'NN', { m: b1 - b0, n: cols, k: j.I, a: j.xs, aOffset: r0 * j.I, b: j.W, packedB: pw ?? undefined, c: out, cOffset: r0 * cols, beta: bias === null ? 0 : 1 });
}

/** W [I, cols] packed once per call for `project`; null for a one-hot input, which copies rows of W instead. */
export function packInput(j: RowsJob, cols: number): PackedB | null {
  return j.hot === null ? packGemmB(j.W, j.I, cols, false) : null;
}

/**
 * dx for the band's rows: dx[b, t(s)] = (dG[s·B + b]·Wᵀ) ⊙ idm[b], one [b1 - b0, cols]·[cols, I]
 * product per step, scattered back to the input's [B, T, I]. `dx` null: not needed.
 */
export function inputGradRows(j: RowsJob & BackJob, dG: DataArray, cols: number): void {
  const { B, T, I, b0, b1, idm, dx } = j;
  if (dx === null) return;
  const nb = b1 - b0;
  const pwt = packGemmB(j.W, cols, I, true);
  const step = idm === null ? null : scratch(j, nb * I, dG);
  for (let s = 0; s < T; s++) {
    const t = j.goBackwards ? T - 1 - s : s;
    const a = { m: nb, n: I, k: cols, a: dG, aOffset: (s * B + b0) * cols, b: j.W, packedB: pwt };
    // the band's rows of dx[·, t] are T·I apart: the product writes them there (ldc), or the mask's product does
    if (step === null) mm(j.serial, 'NT', { ...a, c: dx, cOffset: (b0 * T + t) * I, ldc: T * I });
    else {
      mm(j.serial, 'NT', { ...a, c: step });
      laneRows('mul', nb, I, dx, (b0 * T + t) * I, T * I, step, 0, I, idm as DataArray, b0 * I, I);
    }
  }
  releasePackedB(pwt); // their memory goes to the next packs (buffer_pool.ts)
}

/** One GEMM: on this thread only inside a split (`serial`), else free to use the pool. */
export function mm(serial: boolean, layout: 'NN' | 'NT', args: GemmArgs): void {
  if (serial) gemmSerial(layout, args);
  else if (layout === 'NN') gemmNN(args);
  else gemmNT(args);
}

/** hd[s] = hs[s] ⊙ rdm over the band's rows (a no-op without the mask). */
export function dropRows(j: RowsJob, s: number): void {
  const rdm = j.rdm;
  if (rdm === null) return;
  const o = j.b0 * j.H;
  const at = s * j.B * j.H + o;
  lanes.mul(j.hd, at, j.hs, at, rdm, o, (j.b1 - j.b0) * j.H);
}

/**
 * dh += emit_s ⊙ dOutput_s over the band's rows (the gradient of the outputs stepMasks emits): one
 * `laneRows` call a step, the rows H apart in dh and T·H (or H) apart in dOut; row by row under a mask.
 */
export function addOutputGradRows(j: RowsJob & BackJob, s: number): void {
  const { dOut, dh, emit, B, T, H, b0 } = j;
  if (dOut === null || s < 0 || (!j.returnSequences && s !== T - 1)) return;
  const [src, stride] = j.returnSequences ? [(b0 * T + s) * H, T * H] : [b0 * H, H];
  if (emit === null) {
    laneRows('add', j.b1 - b0, H, dh, b0 * H, H, dh, b0 * H, H, dOut, src, stride);
    return;
  }
  for (let b = b0; b < j.b1; b++) {
    if (emit[s * B + b] !== 0) lanes.add(dh, b * H, dh, b * H, dOut, src + (b - b0) * stride, H);
  }
}

/** dh_{t-1} += (dR_t·Uᵀ) ⊙ rdm over the band's rows (put = U packed transposed); `tmp` holds (b1 - b0)·H. */
export function recurrentGradRows(j: RowsJob & BackJob, dR: DataArray, s: number, cols: number, U: DataArray, put: PackedB, tmp: DataArray): void {
  const { B, H, b0, dh } = j;
  const nb = j.b1 - b0;
  const rdm = j.rdm;
  if (rdm === null) {
    mm(j.serial, 'NT', { m: nb, n: H, k: cols, a: dR, aOffset: (s * B + b0) * cols, b: U, packedB: put, c: dh, cOffset: b0 * H, beta: 1 });
    return;
  }
  mm(j.serial, 'NT', { m: nb, n: H, k: cols, a: dR, aOffset: (s * B + b0) * cols, b: U, packedB: put, c: tmp, beta: 0 });
  lanes.madd(dh, b0 * H, tmp, 0, rdm, b0 * H, dh, b0 * H, nb * H);
}

/**
 * A masked step passes the state gradients through unchanged and has no gate gradient. The
 * backward lines of a cell run on every row of the band at once; around them, a masked row's
 * state gradients ([B, H] each, `states`) are set aside in `kept` ([states.length · nb · H]) ...
 */
export function setMaskedAside(j: RowsJob, s: number, kept: DataArray, states: DataArray[]): void {
  maskedRows(j, s, kept, states, null, null);
}

/**
 * ... and put back after them, with the row's gate gradients zeroed (`gateGrads[k]`: [T·B, cols[k]],
 * or with `states` empty, only that).
 */
export function putMaskedBack(j: RowsJob, s: number, kept: DataArray, states: DataArray[], gateGrads: DataArray[], cols: number[]): void {
  maskedRows(j, s, kept, states, gateGrads, cols);
}

function maskedRows(j: RowsJob, s: number, kept: DataArray, states: DataArray[], gateGrads: DataArray[] | null, cols: number[] | null): void {
  const { B, H, b0, b1, run } = j;
  if (run === null) return;
  const nb = b1 - b0;
  for (let b = b0; b < b1; b++) {
    if (run[s * B + b] === 1) continue;
    for (let k = 0; k < states.length; k++) {
      const ko = k * nb * H + (b - b0) * H;
      if (gateGrads === null) lanes.copy(kept, ko, states[k], b * H, H);
      else lanes.copy(states[k], b * H, kept, ko, H);
    }
    if (gateGrads === null || cols === null) continue;
    for (let k = 0; k < gateGrads.length; k++) gateGrads[k].fill(0, (s * B + b) * cols[k], (s * B + b + 1) * cols[k]);
  }
}
