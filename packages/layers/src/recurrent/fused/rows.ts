/**
 * The time loops of the fused kernels over a band of batch rows [b0, b1): forward (the band's
 * step-major input copy, its input projection and the recurrence), and backward (BPTT and the
 * input gradient).
 *
 * Batch rows are independent through the whole recurrence (forward and BPTT), and every buffer is
 * step-major (row s·B + b, see common.ts), so one step's rows b0..b1 are a contiguous block: a
 * thread can run the whole time loop of its band on the shared buffers, with per-step GEMMs of
 * b1 - b0 rows entered at an offset, without touching another band's rows. With two threads the
 * calling thread runs [0, ⌈B/2⌉) and a pool worker the rest (common.ts `runRows`); with one,
 * the calling thread runs [0, B).
 *
 * Results do not depend on the split: each row of a GEMM is the same sum in the same order
 * whichever rows are computed with it (gemm.ts), and the elementwise work is per row. The weight
 * gradients sum over rows: they are computed afterwards, on the whole buffers, by the callers
 * (lstm.ts, ...). Weights are packed once per call (`packGemmB`), not once per step.
 *
 * This module is what pool workers `require` (compiled, from dist/): it imports only @seqlab/tensor
 * and ./activations. Per-step scratch is local to the call; what outlives it is in the job.
 */
import { DataArray, GemmArgs, PackedB, gemmNN, gemmNT, gemmSerial, packGemmB } from '@seqlab/tensor';
import { activateRange, scaleByDerivative } from './activations';

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
  /** [T·B]: a one-hot input's index per row (-1: all zeros), or null (common.ts `oneHotRows`). */
  hot: Int32Array | null;
  /**
   * [I, G·H] kernel, and the bias whose first G·H entries are the input bias (or null); a GRU
   * with resetAfter passes its whole [2, 3H] bias, row 1 the recurrent bias.
   */
  W: DataArray;
  bias: DataArray | null;
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

/** The band's rows of xs: xs[s·B + b] = x[b, t(s)] ⊙ idm[b] (not needed for a one-hot input). */
function buildXs(j: RowsJob): void {
  const { B, T, I, x, idm, xs } = j;
  if (j.hot !== null) return;
  for (let s = 0; s < T; s++) {
    const t = j.goBackwards ? T - 1 - s : s;
    for (let b = j.b0; b < j.b1; b++) {
      const src = (b * T + t) * I;
      const dst = (s * B + b) * I;
      if (idm === null) {
        for (let i = 0; i < I; i++) xs[dst + i] = x[src + i];
      } else {
        const mo = b * I;
        for (let i = 0; i < I; i++) xs[dst + i] = x[src + i] * idm[mo + i];
      }
    }
  }
}

/**
 * The input projection of step s for the band's rows: out[s·B + b] = xs[s·B + b]·W + bias
 * ([b1 - b0, I]·[I, cols], W packed once per call). Each row is the same sum as in one GEMM over
 * every step, so where the projection is computed does not change it.
 */
function project(j: RowsJob, s: number, pw: PackedB | null, out: DataArray, cols: number): void {
  const { B, b0, b1, bias, hot } = j;
  const r0 = s * B + b0;
  if (hot !== null) {
    // one-hot x_t: x_t·W + b is row hot[r] of W plus b (an all-zero row: b)
    const W = j.W;
    for (let r = r0; r < s * B + b1; r++) {
      const o = r * cols;
      const at = hot[r];
      if (at < 0) for (let k = 0; k < cols; k++) out[o + k] = bias === null ? 0 : bias[k];
      else if (bias === null) for (let k = 0; k < cols; k++) out[o + k] = W[at * cols + k];
      else for (let k = 0; k < cols; k++) out[o + k] = bias[k] + W[at * cols + k];
    }
    return;
  }
  if (bias !== null) {
    for (let r = r0; r < s * B + b1; r++) {
      const o = r * cols;
      for (let k = 0; k < cols; k++) out[o + k] = bias[k];
    }
  }
  mm(j.serial, 'NN', { m: b1 - b0, n: cols, k: j.I, a: j.xs, aOffset: r0 * j.I, b: j.W, packedB: pw ?? undefined, c: out, cOffset: r0 * cols, beta: bias === null ? 0 : 1 });
}

/** W [I, cols] packed once per call for `project`; null for a one-hot input, which copies rows of W instead. */
function packInput(j: RowsJob, cols: number): PackedB | null {
  return j.hot === null ? packGemmB(j.W, j.I, cols, false) : null;
}

/**
 * dx for the band's rows: dx[b, t(s)] = (dG[s·B + b]·Wᵀ) ⊙ idm[b], one [b1 - b0, cols]·[cols, I]
 * product per step, scattered back to the input's [B, T, I]. `dx` null: not needed.
 */
function inputGradRows(j: RowsJob & BackJob, dG: DataArray, cols: number): void {
  const { B, T, I, b0, b1, idm, dx } = j;
  if (dx === null) return;
  const nb = b1 - b0;
  const pwt = packGemmB(j.W, cols, I, true);
  const step = new (dG.constructor as new (n: number) => DataArray)(nb * I);
  for (let s = 0; s < T; s++) {
    const t = j.goBackwards ? T - 1 - s : s;
    mm(j.serial, 'NT', { m: nb, n: I, k: cols, a: dG, aOffset: (s * B + b0) * cols, b: j.W, packedB: pwt, c: step });
    for (let b = b0; b < b1; b++) {
      const src = (b - b0) * I;
      const dst = (b * T + t) * I;
      if (idm === null) {
        for (let i = 0; i < I; i++) dx[dst + i] = step[src + i];
      } else {
        const mo = b * I;
        for (let i = 0; i < I; i++) dx[dst + i] = step[src + i] * idm[mo + i];
      }
    }
  }
}

function mm(serial: boolean, layout: 'NN' | 'NT', args: GemmArgs): void {
  if (serial) gemmSerial(layout, args);
  else if (layout === 'NN') gemmNN(args);
  else gemmNT(args);
}

/** hd[s] = hs[s] ⊙ rdm over the band's rows (a no-op without the mask). */
function dropRows(j: RowsJob, s: number): void {
  const rdm = j.rdm;
  if (rdm === null) return;
  const { hs, hd } = j;
  const o = s * j.B * j.H;
  const end = j.b1 * j.H;
  for (let k = j.b0 * j.H; k < end; k++) hd[o + k] = hs[o + k] * rdm[k];
}

/** dh += emit_s ⊙ dOutput_s over the band's rows (common.ts `addOutputGrad`, restricted). */
function addOutputGradRows(j: RowsJob & BackJob, s: number): void {
  const { dOut, dh, emit, B, T, H } = j;
  if (dOut === null || s < 0) return;
  if (!j.returnSequences) {
    if (s !== T - 1) return;
    for (let b = j.b0; b < j.b1; b++) {
      if (emit !== null && emit[s * B + b] === 0) continue;
      const o = b * H;
      for (let k = 0; k < H; k++) dh[o + k] += dOut[o + k];
    }
    return;
  }
  for (let b = j.b0; b < j.b1; b++) {
    if (emit !== null && emit[s * B + b] === 0) continue;
    const src = (b * T + s) * H;
    const o = b * H;
    for (let k = 0; k < H; k++) dh[o + k] += dOut[src + k];
  }
}

/** dh_{t-1} += (dR_t·Uᵀ) ⊙ rdm over the band's rows (put = U packed transposed); `scratch` holds (b1 - b0)·H. */
function recurrentGradRows(j: RowsJob & BackJob, dR: DataArray, s: number, cols: number, U: DataArray, put: PackedB, scratch: DataArray): void {
  const { B, H, b0, dh } = j;
  const nb = j.b1 - b0;
  const rdm = j.rdm;
  if (rdm === null) {
    mm(j.serial, 'NT', { m: nb, n: H, k: cols, a: dR, aOffset: (s * B + b0) * cols, b: U, packedB: put, c: dh, cOffset: b0 * H, beta: 1 });
    return;
  }
  mm(j.serial, 'NT', { m: nb, n: H, k: cols, a: dR, aOffset: (s * B + b0) * cols, b: U, packedB: put, c: scratch, beta: 0 });
  const n = nb * H;
  const o = b0 * H;
  for (let k = 0; k < n; k++) dh[o + k] += scratch[k] * rdm[o + k];
}

// ---------------------------------------------------------------------------------------------
// SimpleRNN

export interface RnnJob extends RowsJob {
  /** [T·B, H]: x·W + b on entry; a_t and then h_t = act(a_t) once the step ran. */
  a: DataArray;
  U: DataArray;
}

export function simpleRnnForwardRows(j: RnnJob): void {
  const { B, T, H, b0, b1, act, a, hs, hd, U, run } = j;
  const BH = B * H;
  const nb = b1 - b0;
  buildXs(j);
  const pw = packInput(j, H);
  const pu = packGemmB(U, H, H, false);
  for (let s = 0; s < T; s++) {
    const prev = s * BH;
    project(j, s, pw, a, H); // a_t = x_t·W + b
    dropRows(j, s);
    // a_t += (h_{t-1} ⊙ rdm)·U
    mm(j.serial, 'NN', { m: nb, n: H, k: H, a: hd, aOffset: prev + b0 * H, b: U, packedB: pu, c: a, cOffset: prev + b0 * H, beta: 1 });
    // h_t = act(a_t), kept in a for backward
    activateRange(act, a, prev + b0 * H, nb * H);
    for (let b = b0; b < b1; b++) {
      const runs = run === null || run[s * B + b] === 1;
      const o = prev + b * H;
      for (let k = 0; k < H; k++) hs[o + BH + k] = runs ? a[o + k] : hs[o + k];
    }
  }
}

export interface RnnBackJob extends RnnJob, BackJob {
  /** [T·B, H]: ∂L/∂a_t. */
  dA: DataArray;
}

export function simpleRnnBackwardRows(j: RnnBackJob): void {
  const { B, T, H, b0, b1, act, a, U, run, dh, dA } = j;
  const BH = B * H;
  const scratch = new (dA.constructor as new (n: number) => DataArray)((b1 - b0) * H);
  const put = packGemmB(U, H, H, true);
  addOutputGradRows(j, T - 1);
  for (let s = T - 1; s >= 0; s--) {
    const o0 = s * BH;
    for (let b = b0; b < b1; b++) {
      // a masked step passes dh_t to h_{t-1} unchanged, and its dA row stays 0
      if (run !== null && run[s * B + b] === 0) continue;
      const o = b * H;
      for (let k = 0; k < H; k++) {
        dA[o0 + o + k] = dh[o + k];
        dh[o + k] = 0;
      }
      // da_t = dh_t ⊙ act'(a_t)
      scaleByDerivative(act, dA, o0 + o, a, o0 + o, H);
    }
    // dh_{t-1} += (da_t·Uᵀ) ⊙ rdm
    recurrentGradRows(j, dA, s, H, U, put, scratch);
    if (s > 0) addOutputGradRows(j, s - 1);
  }
  inputGradRows(j, dA, H);
}

// ---------------------------------------------------------------------------------------------
// LSTM

export interface LstmJob extends RowsJob {
  /** [T·B, 4H]: x·W + b on entry; the gate activations i, f, g, o once the step ran. */
  gates: DataArray;
  /** [(T+1)·B, H] cell states. */
  cs: DataArray;
  /** [T·B, H] act(c_t). */
  tc: DataArray;
  U: DataArray;
}

export function lstmForwardRows(j: LstmJob): void {
  const { B, T, H, b0, b1, act, rec, gates, hs, cs, tc, hd, U, run } = j;
  const BH = B * H;
  const G4 = 4 * H;
  const nb = b1 - b0;
  buildXs(j);
  const pw = packInput(j, G4);
  const pu = packGemmB(U, H, G4, false);
  for (let s = 0; s < T; s++) {
    const prev = s * BH;
    const g0 = s * B * G4;
    project(j, s, pw, gates, G4); // z_t = x_t·W + b
    dropRows(j, s);
    // z_t += (h_{t-1} ⊙ rdm)·U
    mm(j.serial, 'NN', { m: nb, n: G4, k: H, a: hd, aOffset: prev + b0 * H, b: U, packedB: pu, c: gates, cOffset: g0 + b0 * G4, beta: 1 });
    for (let b = b0; b < b1; b++) {
      const runs = run === null || run[s * B + b] === 1;
      const go = g0 + b * G4;
      const o = prev + b * H;
      activateRange(rec, gates, go, 2 * H); //     i = σ(x·W_i + h·U_i + b_i),  f = σ(x·W_f + h·U_f + b_f)
      activateRange(act, gates, go + 2 * H, H); // g = act(x·W_c + h·U_c + b_c)
      activateRange(rec, gates, go + 3 * H, H); // o = σ(x·W_o + h·U_o + b_o)
      for (let k = 0; k < H; k++) {
        // c_t = f ⊙ c_{t-1} + i ⊙ g
        const c = gates[go + H + k] * cs[o + k] + gates[go + k] * gates[go + 2 * H + k];
        tc[o + k] = c;
        cs[o + BH + k] = runs ? c : cs[o + k];
      }
      activateRange(act, tc, o, H);
      for (let k = 0; k < H; k++) {
        // h_t = o ⊙ act(c_t)
        hs[o + BH + k] = runs ? gates[go + 3 * H + k] * tc[o + k] : hs[o + k];
      }
    }
  }
}

export interface LstmBackJob extends LstmJob, BackJob {
  /** [B, H]: ∂L/∂c through c_{t+1}; holds ∂L/∂c_0 at the end. */
  dc: DataArray;
  /** [T·B, 4H]: ∂L/∂z_t. */
  dG: DataArray;
}

export function lstmBackwardRows(j: LstmBackJob): void {
  const { B, T, H, b0, b1, act, rec, gates, cs, tc, U, run, dh, dc, dG } = j;
  const BH = B * H;
  const G4 = 4 * H;
  const make = dG.constructor as new (n: number) => DataArray;
  const scratch = new make((b1 - b0) * H);
  const dtc = new make(H); // one row's ∂L/∂act(c_t)
  const put = packGemmB(U, G4, H, true);
  addOutputGradRows(j, T - 1);
  for (let s = T - 1; s >= 0; s--) {
    const prev = s * BH;
    const g0 = s * B * G4;
    for (let b = b0; b < b1; b++) {
      // masked step: dh_{t-1} = dh_t, dc_{t-1} = dc_t, no gate gradient
      if (run !== null && run[s * B + b] === 0) continue;
      const go = g0 + b * G4;
      const o = b * H;
      const to = prev + o;
      for (let k = 0; k < H; k++) {
        dtc[k] = dh[o + k] * gates[go + 3 * H + k]; //  ∂L/∂act(c_t) = dh_t ⊙ o
      }
      scaleByDerivative(act, dtc, 0, tc, to, H);
      for (let k = 0; k < H; k++) {
        const dct = dc[o + k] + dtc[k]; //                  dc_t += dh_t ⊙ o ⊙ act'(c_t)
        dG[go + k] = dct * gates[go + 2 * H + k]; //        di = dc_t ⊙ g
        dG[go + H + k] = dct * cs[to + k]; //               df = dc_t ⊙ c_{t-1}
        dG[go + 2 * H + k] = dct * gates[go + k]; //        dg = dc_t ⊙ i
        dG[go + 3 * H + k] = dh[o + k] * tc[to + k]; //     do = dh_t ⊙ act(c_t)
        dc[o + k] = dct * gates[go + H + k]; //             dc_{t-1} = dc_t ⊙ f
        dh[o + k] = 0;
      }
      // through the gate nonlinearities: dz_i = di ⊙ σ'(i), dz_f = df ⊙ σ'(f), dz_c = dg ⊙ act'(g), dz_o = do ⊙ σ'(o)
      scaleByDerivative(rec, dG, go, gates, go, 2 * H);
      scaleByDerivative(act, dG, go + 2 * H, gates, go + 2 * H, H);
      scaleByDerivative(rec, dG, go + 3 * H, gates, go + 3 * H, H);
    }
    // dh_{t-1} += (dz_t·Uᵀ) ⊙ rdm
    recurrentGradRows(j, dG, s, G4, U, put, scratch);
    if (s > 0) addOutputGradRows(j, s - 1);
  }
  inputGradRows(j, dG, G4);
}

// ---------------------------------------------------------------------------------------------
// GRU, resetAfter = true

export interface GruAfterJob extends RowsJob {
  /** [T·B, 3H]: x·W + b on entry; z, r, ĥ once the step ran. */
  gates: DataArray;
  /** [T·B, H]: q_h = hd·U_h + b_rh for every step. */
  qh: DataArray;
  U: DataArray;
}

export function gruAfterForwardRows(j: GruAfterJob): void {
  const { B, T, H, b0, b1, act, rec, gates, qh, hs, hd, U, run, bias } = j;
  const BH = B * H;
  const G3 = 3 * H;
  const nb = b1 - b0;
  const q = new (gates.constructor as new (n: number) => DataArray)(nb * G3); // one step's hd·U
  buildXs(j);
  const pw = packInput(j, G3);
  const pu = packGemmB(U, H, G3, false);
  for (let s = 0; s < T; s++) {
    const prev = s * BH;
    const g0 = s * B * G3;
    project(j, s, pw, gates, G3); // x_t·W + b (the input bias: the bias's first row)
    dropRows(j, s);
    // q_t = hd·U (the recurrent bias is added below)
    mm(j.serial, 'NN', { m: nb, n: G3, k: H, a: hd, aOffset: prev + b0 * H, b: U, packedB: pu, c: q });
    for (let b = b0; b < b1; b++) {
      const runs = run === null || run[s * B + b] === 1;
      const go = g0 + b * G3;
      const qo = (b - b0) * G3;
      const o = prev + b * H;
      // z = σ(x·W_z + b_z + hd·U_z + b_rz),  r = σ(x·W_r + b_r + hd·U_r + b_rr)
      for (let k = 0; k < 2 * H; k++) gates[go + k] += q[qo + k] + (bias === null ? 0 : bias[G3 + k]);
      activateRange(rec, gates, go, 2 * H);
      // ĥ = act(x·W_h + b_h + r ⊙ q_h),  q_h = hd·U_h + b_rh
      for (let k = 0; k < H; k++) {
        const qhk = q[qo + 2 * H + k] + (bias === null ? 0 : bias[G3 + 2 * H + k]);
        qh[o + k] = qhk;
        gates[go + 2 * H + k] += gates[go + H + k] * qhk;
      }
      activateRange(act, gates, go + 2 * H, H);
      for (let k = 0; k < H; k++) {
        // h_t = z ⊙ h_{t-1} + (1 - z) ⊙ ĥ
        const zg = gates[go + k];
        const hp = hs[o + k];
        hs[o + BH + k] = runs ? zg * hp + (1 - zg) * gates[go + 2 * H + k] : hp;
      }
    }
  }
}

export interface GruAfterBackJob extends GruAfterJob, BackJob {
  /** [T·B, 3H]: ∂L/∂(x·W + b), the input side of the gates. */
  dGx: DataArray;
  /** [T·B, 3H]: ∂L/∂q, the recurrent side (differs in the h block: × r). */
  dGq: DataArray;
}

export function gruAfterBackwardRows(j: GruAfterBackJob): void {
  const { B, T, H, b0, b1, act, rec, gates, qh, hs, U, run, dh, dGx, dGq } = j;
  const BH = B * H;
  const G3 = 3 * H;
  const scratch = new (dGx.constructor as new (n: number) => DataArray)((b1 - b0) * H);
  const put = packGemmB(U, G3, H, true);
  addOutputGradRows(j, T - 1);
  for (let s = T - 1; s >= 0; s--) {
    const prev = s * BH;
    const g0 = s * B * G3;
    for (let b = b0; b < b1; b++) {
      if (run !== null && run[s * B + b] === 0) continue; // dh_{t-1} = dh_t
      const go = g0 + b * G3;
      const o = b * H;
      for (let k = 0; k < H; k++) {
        const zg = gates[go + k];
        const dht = dh[o + k];
        dGx[go + k] = dht * (hs[prev + o + k] - gates[go + 2 * H + k]); // dz = dh ⊙ (h_{t-1} - ĥ)
        dGx[go + 2 * H + k] = dht * (1 - zg); //                          dĥ = dh ⊙ (1 - z)
        dh[o + k] = dht * zg; //                                          dh_{t-1} = dh ⊙ z + ...
      }
      scaleByDerivative(act, dGx, go + 2 * H, gates, go + 2 * H, H); //   dz_h = dĥ ⊙ act'(ĥ)
      for (let k = 0; k < H; k++) {
        dGx[go + H + k] = dGx[go + 2 * H + k] * qh[prev + o + k]; //      dr = dz_h ⊙ q_h
      }
      scaleByDerivative(rec, dGx, go, gates, go, 2 * H); //               dz_z = dz ⊙ σ'(z), dz_r = dr ⊙ σ'(r)
      for (let k = 0; k < 2 * H; k++) dGq[go + k] = dGx[go + k];
      for (let k = 0; k < H; k++) dGq[go + 2 * H + k] = dGx[go + 2 * H + k] * gates[go + H + k]; // dq_h = dz_h ⊙ r
    }
    // ... + (dq_t·Uᵀ) ⊙ rdm
    recurrentGradRows(j, dGq, s, G3, U, put, scratch);
    if (s > 0) addOutputGradRows(j, s - 1);
  }
  inputGradRows(j, dGx, G3);
}

// ---------------------------------------------------------------------------------------------
// GRU, resetAfter = false

export interface GruBeforeJob extends RowsJob {
  /** [T·B, 3H]: x·W + b on entry; z, r, ĥ once the step ran. */
  gates: DataArray;
  /** [T·B, H]: r ⊙ hd for every step. */
  rhd: DataArray;
  /** [H, 2H] = [U_z U_r] and [H, H] = U_h, contiguous. */
  Uzr: DataArray;
  Uh: DataArray;
}

export function gruBeforeForwardRows(j: GruBeforeJob): void {
  const { B, T, H, b0, b1, act, rec, gates, rhd, hs, hd, Uzr, Uh, run } = j;
  const BH = B * H;
  const G3 = 3 * H;
  const nb = b1 - b0;
  const make = gates.constructor as new (n: number) => DataArray;
  const qzr = new make(nb * 2 * H); // one step's hd·U_zr
  const qh = new make(nb * H); //      one step's (r ⊙ hd)·U_h
  buildXs(j);
  const pw = packInput(j, G3);
  const pzr = packGemmB(Uzr, H, 2 * H, false);
  const ph = packGemmB(Uh, H, H, false);
  for (let s = 0; s < T; s++) {
    const prev = s * BH;
    const g0 = s * B * G3;
    project(j, s, pw, gates, G3); // x_t·W + b
    dropRows(j, s);
    // [q_z q_r] = hd·[U_z U_r]
    mm(j.serial, 'NN', { m: nb, n: 2 * H, k: H, a: hd, aOffset: prev + b0 * H, b: Uzr, packedB: pzr, c: qzr });
    for (let b = b0; b < b1; b++) {
      const go = g0 + b * G3;
      const qo = (b - b0) * 2 * H;
      const o = prev + b * H;
      // z = σ(x·W_z + b_z + hd·U_z),  r = σ(x·W_r + b_r + hd·U_r)
      for (let k = 0; k < 2 * H; k++) gates[go + k] += qzr[qo + k];
      activateRange(rec, gates, go, 2 * H);
      for (let k = 0; k < H; k++) rhd[o + k] = gates[go + H + k] * hd[o + k];
    }
    // q_h = (r ⊙ hd)·U_h
    mm(j.serial, 'NN', { m: nb, n: H, k: H, a: rhd, aOffset: prev + b0 * H, b: Uh, packedB: ph, c: qh });
    for (let b = b0; b < b1; b++) {
      const runs = run === null || run[s * B + b] === 1;
      const go = g0 + b * G3;
      const o = b * H;
      const ql = (b - b0) * H;
      // ĥ = act(x·W_h + b_h + (r ⊙ hd)·U_h)
      for (let k = 0; k < H; k++) gates[go + 2 * H + k] += qh[ql + k];
      activateRange(act, gates, go + 2 * H, H);
      for (let k = 0; k < H; k++) {
        // h_t = z ⊙ h_{t-1} + (1 - z) ⊙ ĥ
        const zg = gates[go + k];
        const hp = hs[prev + o + k];
        hs[prev + BH + o + k] = runs ? zg * hp + (1 - zg) * gates[go + 2 * H + k] : hp;
      }
    }
  }
}

export interface GruBeforeBackJob extends GruBeforeJob, BackJob {
  /** [T·B, 3H]: ∂L/∂(gate pre-activations), all three blocks. */
  dGx: DataArray;
  /** [T·B, 2H]: the z, r blocks again, contiguous for dU_zr. */
  dGzr: DataArray;
  /** [T·B, H]: the h block again, contiguous for dU_h. */
  dGh: DataArray;
}

export function gruBeforeBackwardRows(j: GruBeforeBackJob): void {
  const { B, T, H, b0, b1, act, rec, gates, hs, hd, Uzr, Uh, run, rdm, dh, dGx, dGzr, dGh } = j;
  const BH = B * H;
  const G3 = 3 * H;
  const nb = b1 - b0;
  const make = dGx.constructor as new (n: number) => DataArray;
  const drhd = new make(nb * H); // one step's ∂L/∂(r ⊙ hd)
  const dhd = new make(nb * H); //  one step's ∂L/∂hd
  const pht = packGemmB(Uh, H, H, true);
  const pzrt = packGemmB(Uzr, 2 * H, H, true);
  addOutputGradRows(j, T - 1);
  for (let s = T - 1; s >= 0; s--) {
    const prev = s * BH;
    const g0 = s * B * G3;
    for (let b = b0; b < b1; b++) {
      if (run !== null && run[s * B + b] === 0) continue; // dh_{t-1} = dh_t
      const go = g0 + b * G3;
      const o = b * H;
      const zro = (s * B + b) * 2 * H;
      for (let k = 0; k < H; k++) {
        const zg = gates[go + k];
        const dht = dh[o + k];
        dGx[go + k] = dht * (hs[prev + o + k] - gates[go + 2 * H + k]); // dz = dh ⊙ (h_{t-1} - ĥ)
        dGx[go + 2 * H + k] = dht * (1 - zg); //                          dĥ = dh ⊙ (1 - z)
        dh[o + k] = dht * zg; //                                          dh_{t-1} = dh ⊙ z + ...
      }
      scaleByDerivative(rec, dGx, go, gates, go, H); //                   dz_z = dz ⊙ σ'(z)
      scaleByDerivative(act, dGx, go + 2 * H, gates, go + 2 * H, H); //   dz_h = dĥ ⊙ act'(ĥ)
      for (let k = 0; k < H; k++) {
        dGzr[zro + k] = dGx[go + k];
        dGh[prev + o + k] = dGx[go + 2 * H + k];
      }
    }
    // d(r ⊙ hd) = dz_h·U_hᵀ
    mm(j.serial, 'NT', { m: nb, n: H, k: H, a: dGh, aOffset: prev + b0 * H, b: Uh, packedB: pht, c: drhd });
    for (let b = b0; b < b1; b++) {
      const ol = (b - b0) * H;
      if (run !== null && run[s * B + b] === 0) {
        for (let k = 0; k < H; k++) dhd[ol + k] = 0;
        continue;
      }
      const go = g0 + b * G3;
      const o = b * H;
      const zro = (s * B + b) * 2 * H;
      for (let k = 0; k < H; k++) {
        const d = drhd[ol + k];
        dGx[go + H + k] = d * hd[prev + o + k]; //  dr = d(r ⊙ hd) ⊙ hd
        dhd[ol + k] = d * gates[go + H + k]; //      dhd = d(r ⊙ hd) ⊙ r + ...
      }
      scaleByDerivative(rec, dGx, go + H, gates, go + H, H); // dz_r = dr ⊙ σ'(r)
      for (let k = 0; k < H; k++) dGzr[zro + H + k] = dGx[go + H + k];
    }
    // ... + [dz_z dz_r]·[U_z U_r]ᵀ
    mm(j.serial, 'NT', { m: nb, n: H, k: 2 * H, a: dGzr, aOffset: (s * B + b0) * 2 * H, b: Uzr, packedB: pzrt, c: dhd, beta: 1 });
    // dh_{t-1} += dhd ⊙ rdm
    const o = b0 * H;
    if (rdm === null) for (let k = 0; k < nb * H; k++) dh[o + k] += dhd[k];
    else for (let k = 0; k < nb * H; k++) dh[o + k] += dhd[k] * rdm[o + k];
    if (s > 0) addOutputGradRows(j, s - 1);
  }
  inputGradRows(j, dGx, G3);
}

// ---------------------------------------------------------------------------------------------
// bias gradients, split by columns

export interface ColumnSumsJob {
  /** [rows, cols] */
  g: DataArray;
  rows: number;
  cols: number;
  /** out[offset + k] += Σ_r g[r, k] for k in [c0, c1) */
  out: DataArray;
  offset: number;
  c0: number;
  c1: number;
}

/**
 * Column sums over a band of columns: every column summed in float64 over the rows in order and
 * added to out once, whoever sums it (the same sums as a GEMM's `bColumnSums`).
 */
export function columnSumsCols(j: ColumnSumsJob): void {
  const { g, rows, cols, out, offset, c0, c1 } = j;
  const acc = new Float64Array(c1 - c0);
  for (let r = 0; r < rows; r++) {
    const o = r * cols + c0;
    for (let k = 0; k < c1 - c0; k++) acc[k] += g[o + k];
  }
  for (let k = 0; k < c1 - c0; k++) out[offset + c0 + k] += acc[k];
}

// ---------------------------------------------------------------------------------------------
// dynamic bands: what each thread of a split runs

const rowFunctions = {
  simpleRnnForwardRows, simpleRnnBackwardRows, lstmForwardRows, lstmBackwardRows,
  gruAfterForwardRows, gruAfterBackwardRows, gruBeforeForwardRows, gruBeforeBackwardRows,
};
export type RowFunction = keyof typeof rowFunctions;

export interface BandsJob extends RowsJob {
  fn: RowFunction;
  /** [b0, b1) pairs. */
  bands: Int32Array;
  /** [1]: the next band to take. */
  counter: Int32Array;
}

/**
 * Takes bands from the shared counter and runs `fn` on each until none is left: the calling
 * thread and every worker of a split run this, so a thread slowed by other load takes fewer bands.
 */
export function runBands(j: BandsJob): void {
  const f = rowFunctions[j.fn] as (job: RowsJob) => void;
  const n = j.bands.length >> 1;
  for (;;) {
    const k = Atomics.add(j.counter, 0, 1);
    if (k >= n) return;
    f({ ...j, b0: j.bands[2 * k], b1: j.bands[2 * k + 1] });
  }
}
