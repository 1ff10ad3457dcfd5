/**
 * The fused GRU with resetAfter (the Keras default) over a band of batch rows, forward beside
 * backward (what gru/fused.ts runs on each thread; pool workers load this module compiled). Gate
 * blocks GRU_GATE z, r, h; b the input bias, b' the recurrent bias; hd = h_{t-1} ⊙ rdm:
 *
 *   forward                                   backward (dh = ∂L/∂h_t)
 *   q_t = hd·U + b'                           dz = dh ⊙ (h_{t-1} - ĥ),  dĥ = dh ⊙ (1 - z)
 *   z = σ(x·W_z + b_z + q_z)                  dz_h = dĥ ⊙ act'(ĥ),  dr = dz_h ⊙ q_h
 *   r = σ(x·W_r + b_r + q_r)                  dz_z = dz ⊙ σ'(z),  dz_r = dr ⊙ σ'(r)
 *   ĥ = act(x·W_h + b_h + r ⊙ q_h)            dq = [dz_z, dz_r, dz_h ⊙ r]
 *   h_t = z ⊙ h_{t-1} + (1 - z) ⊙ ĥ           dh_{t-1} = dh ⊙ z + (dq·Uᵀ) ⊙ rdm
 *
 * q_h is kept for backward. A masked step keeps h and passes dh through unchanged. Each line of
 * the math is one `lanes` primitive over a row's values (f32x4 on wasm memory, where the band runs:
 * fused/wasm_band.ts). Forward applies
 * each line to the band's rows of a step at once (`laneRows`, `activateRows`), then puts back the
 * masked rows' states.
 */
import { DataArray, laneRows, lanes, packGemmB, releasePackedB } from '@seqlab/tensor';
import { activateRows, scaleByDerivativeRows } from '../fused/activations';
import { BackJob, RowsJob, addOutputGradRows, buildXs, dropRows, inputGradRows, mm, packInput, project, putMaskedBack, recurrentGradRows, setMaskedAside } from '../fused/loop';
import { BandBuffers, runBandInWasm, scratch } from '../fused/wasm_band';
import { GRU_GATE, GRU_GATES } from './layout';

export interface GruAfterJob extends RowsJob {
  /** [T·B, 3H]: x·W + b on entry; z, r, ĥ once the step ran. */
  gates: DataArray;
  /** [T·B, H]: q_h = hd·U_h + b'_h for every step. */
  qh: DataArray;
  U: DataArray;
}

export interface GruAfterBackJob extends GruAfterJob, BackJob {
  /** [T·B, 3H]: ∂L/∂(x·W + b), the input side of the gates. */
  dGx: DataArray;
  /** [T·B, 3H]: ∂L/∂q, the recurrent side (differs in the h block: × r). */
  dGq: DataArray;
}

/** The buffers each loop reads and writes, and its GEMMs, for running a band in wasm memory. */
function forwardBuffers(j: GruAfterJob): BandBuffers {
  const { H, I } = j;
  const G3 = GRU_GATES * H;
  return {
    buffers: [
      { field: 'gates', layout: 'steps', width: G3, io: 'out' },
      { field: 'qh', layout: 'steps', width: H, io: 'out' },
    ],
    products: [{ layout: 'NN', n: G3, k: I, packed: true }, { layout: 'NN', n: G3, k: H, packed: true }],
    scratch: (j.b1 - j.b0) * G3,
  };
}

function backwardBuffers(j: GruAfterBackJob): BandBuffers {
  const { H, I } = j;
  const G3 = GRU_GATES * H;
  return {
    buffers: [
      { field: 'gates', layout: 'steps', width: G3, io: 'in' },
      { field: 'qh', layout: 'steps', width: H, io: 'in' },
      { field: 'dGx', layout: 'steps', width: G3, io: 'out' },
      { field: 'dGq', layout: 'steps', width: G3, io: 'out' },
    ],
    products: [{ layout: 'NT', n: H, k: G3, packed: true }, { layout: 'NT', n: I, k: G3, packed: true }],
    scratch: (j.b1 - j.b0) * (2 * H + I),
  };
}

export function gruAfterForwardRows(j: GruAfterJob): void {
  runBandInWasm(j, forwardBuffers(j), gruAfterForward);
}

export function gruAfterBackwardRows(j: GruAfterBackJob): void {
  runBandInWasm(j, backwardBuffers(j), gruAfterBackward);
}

function gruAfterForward(j: GruAfterJob): void {
  const { B, T, H, b0, b1, act, rec, gates, qh, hs, hd, U, run, bias } = j;
  const BH = B * H;
  const G3 = GRU_GATES * H;
  const nb = b1 - b0;
  const q = scratch(j, nb * G3, gates); // one step's hd·U + b'
  buildXs(j);
  const pw = packInput(j, G3);
  const pu = packGemmB(U, H, G3, false);
  for (let s = 0; s < T; s++) {
    const prev = s * BH;
    const g0 = s * B * G3;
    project(j, s, pw, gates, G3); // x_t·W + b (the input bias: the bias's first row)
    dropRows(j, s);
    // q_t = hd·U + b' (the recurrent bias b': the bias's second row)
    mm(j.serial, 'NN', { m: nb, n: G3, k: H, a: hd, aOffset: prev + b0 * H, b: U, packedB: pu, c: q });
    // each line over the band's rows at once: gate rows 3H apart, q rows 3H, state rows H
    const go = g0 + b0 * G3;
    const z = go + GRU_GATE.z * H;
    const r = go + GRU_GATE.r * H;
    const h = go + GRU_GATE.h * H;
    const ho = prev + b0 * H;
    if (bias !== null) laneRows('add', nb, G3, q, 0, G3, q, 0, G3, bias, G3, 0); // q += b'
    // z = σ(x·W_z + b_z + q_z),  r = σ(x·W_r + b_r + q_r): adjacent blocks, one pass
    laneRows('add', nb, 2 * H, gates, z, G3, gates, z, G3, q, GRU_GATE.z * H, G3);
    activateRows(rec, gates, z, 2 * H, nb, G3);
    // ĥ = act(x·W_h + b_h + r ⊙ q_h)
    laneRows('copy', nb, H, qh, ho, H, q, GRU_GATE.h * H, G3);
    laneRows('madd', nb, H, gates, h, G3, gates, r, G3, qh, ho, H, gates, h, G3);
    activateRows(act, gates, h, H, nb, G3);
    laneRows('lerp', nb, H, hs, ho + BH, H, gates, z, G3, hs, ho, H, gates, h, G3); // h_t = z ⊙ h_{t-1} + (1 - z) ⊙ ĥ
    if (run === null) continue;
    for (let b = b0; b < b1; b++) {
      if (run[s * B + b] === 0) lanes.copy(hs, prev + b * H + BH, hs, prev + b * H, H); // masked: h_t = h_{t-1}
    }
  }
  releasePackedB(pw, pu); // their memory goes to the next packs (buffer_pool.ts)
}

function gruAfterBackward(j: GruAfterBackJob): void {
  const { B, T, H, b0, b1, act, rec, gates, qh, hs, U, run, dh, dGx, dGq } = j;
  const BH = B * H;
  const G3 = GRU_GATES * H;
  const nb = b1 - b0;
  const grads = scratch(j, nb * H, dGx); //                    (dq·Uᵀ) before ⊙ rdm
  const kept = run === null ? null : scratch(j, nb * H, dGx); // masked rows' dh, put back after the step
  const put = packGemmB(U, G3, H, true);
  const [states, zeroed, cols] = [[dh], [dGx, dGq], [G3, G3]];
  addOutputGradRows(j, T - 1);
  for (let s = T - 1; s >= 0; s--) {
    const prev = s * BH;
    const g0 = s * B * G3;
    // each line over the band's rows at once: gate rows 3H apart, state rows H apart
    const go = g0 + b0 * G3;
    const z = go + GRU_GATE.z * H;
    const r = go + GRU_GATE.r * H;
    const h = go + GRU_GATE.h * H;
    const ro = b0 * H;
    if (kept !== null) setMaskedAside(j, s, kept, states); // a masked step: dh_{t-1} = dh_t, no dz, dq
    laneRows('mulDiff', nb, H, dGx, z, G3, dh, ro, H, hs, prev + ro, H, gates, h, G3); // dz = dh ⊙ (h_{t-1} - ĥ)
    laneRows('mulCompl', nb, H, dGx, h, G3, dh, ro, H, gates, z, G3); //                 dĥ = dh ⊙ (1 - z)
    laneRows('mul', nb, H, dh, ro, H, dh, ro, H, gates, z, G3); //                        dh_{t-1} = dh ⊙ z + ...
    scaleByDerivativeRows(act, dGx, h, G3, gates, h, G3, H, nb); //                      dz_h = dĥ ⊙ act'(ĥ)
    laneRows('mul', nb, H, dGx, r, G3, dGx, h, G3, qh, prev + ro, H); //                 dr = dz_h ⊙ q_h
    scaleByDerivativeRows(rec, dGx, z, G3, gates, z, G3, 2 * H, nb); //                  dz_z = dz ⊙ σ'(z), dz_r = dr ⊙ σ'(r)
    laneRows('copy', nb, 2 * H, dGq, z, G3, dGx, z, G3); //                              dq_z = dz_z, dq_r = dz_r
    laneRows('mul', nb, H, dGq, h, G3, dGx, h, G3, gates, r, G3); //                     dq_h = dz_h ⊙ r
    if (kept !== null) putMaskedBack(j, s, kept, states, zeroed, cols);
    recurrentGradRows(j, dGq, s, G3, U, put, grads); // ... + (dq_t·Uᵀ) ⊙ rdm
    if (s > 0) addOutputGradRows(j, s - 1);
  }
  inputGradRows(j, dGx, G3);
  releasePackedB(put); // their memory goes to the next packs (buffer_pool.ts)
}
