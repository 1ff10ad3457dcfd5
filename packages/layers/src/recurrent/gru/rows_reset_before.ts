/**
 * The fused GRU without resetAfter (the original GRU) over a band of batch rows, forward beside
 * backward (what gru/fused.ts runs on each thread; pool workers load this module compiled). Gate
 * blocks GRU_GATE z, r, h; hd = h_{t-1} ⊙ rdm. The reset gate acts before the recurrent product,
 * so each step's recurrent GEMM is split: U_zr = [U_z U_r] first, then U_h once r is known:
 *
 *   forward                                   backward (dh = ∂L/∂h_t)
 *   z = σ(x·W_z + b_z + hd·U_z)               dz = dh ⊙ (h_{t-1} - ĥ),  dĥ = dh ⊙ (1 - z)
 *   r = σ(x·W_r + b_r + hd·U_r)               dz_z = dz ⊙ σ'(z),  dz_h = dĥ ⊙ act'(ĥ)
 *   ĥ = act(x·W_h + b_h + (r ⊙ hd)·U_h)       d(r ⊙ hd) = dz_h·U_hᵀ,  dz_r = (d(r ⊙ hd) ⊙ hd) ⊙ σ'(r)
 *   h_t = z ⊙ h_{t-1} + (1 - z) ⊙ ĥ           dh_{t-1} = dh ⊙ z + (d(r ⊙ hd) ⊙ r + [dz_z dz_r]·U_zrᵀ) ⊙ rdm
 *
 * r ⊙ hd is kept for backward and dU_h. A masked step keeps h and passes dh through unchanged.
 * Each line of the math is one `lanes` primitive over a row's values (f32x4 on wasm memory, where
 * the band runs: fused/wasm_band.ts). Forward applies
 * each line to the band's rows of a step at once (`laneRows`, `activateRows`), then puts back the
 * masked rows' states.
 */
import { DataArray, laneRows, lanes, packGemmB, releasePackedB } from '@seqlab/tensor';
import { activateRows, scaleByDerivativeRows } from '../fused/activations';
import { BackJob, RowsJob, addOutputGradRows, buildXs, dropRows, inputGradRows, mm, packInput, project, putMaskedBack, setMaskedAside } from '../fused/loop';
import { BandBuffers, runBandInWasm, scratch } from '../fused/wasm_band';
import { GRU_GATE, GRU_GATES } from './layout';

export interface GruBeforeJob extends RowsJob {
  /** [T·B, 3H]: x·W + b on entry; z, r, ĥ once the step ran. */
  gates: DataArray;
  /** [T·B, H]: r ⊙ hd for every step. */
  rhd: DataArray;
  /** [H, 2H] = [U_z U_r] and [H, H] = U_h, contiguous. */
  Uzr: DataArray;
  Uh: DataArray;
}

export interface GruBeforeBackJob extends GruBeforeJob, BackJob {
  /** [T·B, 3H]: ∂L/∂(gate pre-activations), all three blocks. */
  dGx: DataArray;
  /** [T·B, 2H]: the z, r blocks again, contiguous for dU_zr. */
  dGzr: DataArray;
  /** [T·B, H]: the h block again, contiguous for dU_h. */
  dGh: DataArray;
}

/** The buffers each loop reads and writes, and its GEMMs, for running a band in wasm memory. */
function forwardBuffers(j: GruBeforeJob): BandBuffers {
  const { H, I } = j;
  const G3 = GRU_GATES * H;
  return {
    buffers: [
      { field: 'gates', layout: 'steps', width: G3, io: 'out' },
      { field: 'rhd', layout: 'steps', width: H, io: 'out' },
    ],
    products: [{ layout: 'NN', n: G3, k: I, packed: true }, { layout: 'NN', n: 2 * H, k: H, packed: true }, { layout: 'NN', n: H, k: H, packed: true }],
    scratch: (j.b1 - j.b0) * G3,
  };
}

function backwardBuffers(j: GruBeforeBackJob): BandBuffers {
  const { H, I } = j;
  const G3 = GRU_GATES * H;
  return {
    buffers: [
      { field: 'gates', layout: 'steps', width: G3, io: 'in' },
      { field: 'dGx', layout: 'steps', width: G3, io: 'out' },
      { field: 'dGzr', layout: 'steps', width: 2 * H, io: 'out' },
      { field: 'dGh', layout: 'steps', width: H, io: 'out' },
    ],
    products: [{ layout: 'NT', n: H, k: H, packed: true }, { layout: 'NT', n: H, k: 2 * H, packed: true }, { layout: 'NT', n: I, k: G3, packed: true }],
    scratch: (j.b1 - j.b0) * (3 * H + I),
  };
}

export function gruBeforeForwardRows(j: GruBeforeJob): void {
  runBandInWasm(j, forwardBuffers(j), gruBeforeForward);
}

export function gruBeforeBackwardRows(j: GruBeforeBackJob): void {
  runBandInWasm(j, backwardBuffers(j), gruBeforeBackward);
}

function gruBeforeForward(j: GruBeforeJob): void {
  const { B, T, H, b0, b1, act, rec, gates, rhd, hs, hd, Uzr, Uh, run } = j;
  const BH = B * H;
  const G3 = GRU_GATES * H;
  const nb = b1 - b0;
  const qzr = scratch(j, nb * 2 * H, gates); // one step's hd·U_zr
  const qh = scratch(j, nb * H, gates); //      one step's (r ⊙ hd)·U_h
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
    // each line over the band's rows at once: gate rows 3H apart, state rows H
    const go = g0 + b0 * G3;
    const z = go + GRU_GATE.z * H;
    const r = go + GRU_GATE.r * H;
    const h = go + GRU_GATE.h * H;
    const ho = prev + b0 * H;
    // z = σ(x·W_z + b_z + hd·U_z),  r = σ(x·W_r + b_r + hd·U_r): adjacent blocks, one pass
    laneRows('add', nb, 2 * H, gates, z, G3, gates, z, G3, qzr, 0, 2 * H);
    activateRows(rec, gates, z, 2 * H, nb, G3);
    laneRows('mul', nb, H, rhd, ho, H, gates, r, G3, hd, ho, H); // r ⊙ hd
    // q_h = (r ⊙ hd)·U_h
    mm(j.serial, 'NN', { m: nb, n: H, k: H, a: rhd, aOffset: ho, b: Uh, packedB: ph, c: qh });
    // ĥ = act(x·W_h + b_h + (r ⊙ hd)·U_h)
    laneRows('add', nb, H, gates, h, G3, gates, h, G3, qh, 0, H);
    activateRows(act, gates, h, H, nb, G3);
    laneRows('lerp', nb, H, hs, ho + BH, H, gates, z, G3, hs, ho, H, gates, h, G3); // h_t = z ⊙ h_{t-1} + (1 - z) ⊙ ĥ
    if (run === null) continue;
    for (let b = b0; b < b1; b++) {
      if (run[s * B + b] === 0) lanes.copy(hs, prev + b * H + BH, hs, prev + b * H, H); // masked: h_t = h_{t-1}
    }
  }
  releasePackedB(pw, pzr, ph); // their memory goes to the next packs (buffer_pool.ts)
}

function gruBeforeBackward(j: GruBeforeBackJob): void {
  const { B, T, H, b0, b1, act, rec, gates, hs, hd, Uzr, Uh, run, rdm, dh, dGx, dGzr, dGh } = j;
  const BH = B * H;
  const G3 = GRU_GATES * H;
  const nb = b1 - b0;
  const drhd = scratch(j, nb * H, dGx); //                     one step's ∂L/∂(r ⊙ hd)
  const dhd = scratch(j, nb * H, dGx); //                      one step's ∂L/∂hd
  const kept = run === null ? null : scratch(j, nb * H, dGx); // masked rows' dh, put back after the step
  const pht = packGemmB(Uh, H, H, true);
  const pzrt = packGemmB(Uzr, 2 * H, H, true);
  const [states, zeroed, cols, none] = [[dh], [dGx, dGzr, dGh], [G3, 2 * H, H], [] as DataArray[]];
  addOutputGradRows(j, T - 1);
  for (let s = T - 1; s >= 0; s--) {
    const prev = s * BH;
    // each line over the band's rows at once: gate rows 3H apart, [dz_z dz_r] rows 2H, state rows H
    const go = (s * B + b0) * G3;
    const z = go + GRU_GATE.z * H;
    const r = go + GRU_GATE.r * H;
    const h = go + GRU_GATE.h * H;
    const ro = b0 * H;
    const zr = (s * B + b0) * 2 * H;
    if (kept !== null) setMaskedAside(j, s, kept, states); // a masked step: dh_{t-1} = dh_t, no gate gradient
    laneRows('mulDiff', nb, H, dGx, z, G3, dh, ro, H, hs, prev + ro, H, gates, h, G3); // dz = dh ⊙ (h_{t-1} - ĥ)
    laneRows('mulCompl', nb, H, dGx, h, G3, dh, ro, H, gates, z, G3); //                 dĥ = dh ⊙ (1 - z)
    laneRows('mul', nb, H, dh, ro, H, dh, ro, H, gates, z, G3); //                        dh_{t-1} = dh ⊙ z + ...
    scaleByDerivativeRows(rec, dGx, z, G3, gates, z, G3, H, nb); //                      dz_z = dz ⊙ σ'(z)
    scaleByDerivativeRows(act, dGx, h, G3, gates, h, G3, H, nb); //                      dz_h = dĥ ⊙ act'(ĥ)
    laneRows('copy', nb, H, dGzr, zr + GRU_GATE.z * H, 2 * H, dGx, z, G3);
    laneRows('copy', nb, H, dGh, prev + ro, H, dGx, h, G3);
    if (kept !== null) putMaskedBack(j, s, kept, states, zeroed, cols);
    // d(r ⊙ hd) = dz_h·U_hᵀ
    mm(j.serial, 'NT', { m: nb, n: H, k: H, a: dGh, aOffset: prev + ro, b: Uh, packedB: pht, c: drhd });
    laneRows('mul', nb, H, dGx, r, G3, drhd, 0, H, hd, prev + ro, H); //    dr = d(r ⊙ hd) ⊙ hd
    laneRows('mul', nb, H, dhd, 0, H, drhd, 0, H, gates, r, G3); //         dhd = d(r ⊙ hd) ⊙ r + ...
    scaleByDerivativeRows(rec, dGx, r, G3, gates, r, G3, H, nb); //         dz_r = dr ⊙ σ'(r)
    laneRows('copy', nb, H, dGzr, zr + GRU_GATE.r * H, 2 * H, dGx, r, G3);
    if (kept !== null) {
      // a masked row: no dr, no dhd
      putMaskedBack(j, s, kept, none, zeroed, cols);
      for (let b = b0; b < b1; b++) if ((run as Uint8Array)[s * B + b] === 0) dhd.fill(0, (b - b0) * H, (b - b0 + 1) * H);
    }
    // ... + [dz_z dz_r]·[U_z U_r]ᵀ
    mm(j.serial, 'NT', { m: nb, n: H, k: 2 * H, a: dGzr, aOffset: zr, b: Uzr, packedB: pzrt, c: dhd, beta: 1 });
    // dh_{t-1} += dhd ⊙ rdm
    if (rdm === null) lanes.add(dh, ro, dh, ro, dhd, 0, nb * H);
    else lanes.madd(dh, ro, dhd, 0, rdm, ro, dh, ro, nb * H);
    if (s > 0) addOutputGradRows(j, s - 1);
  }
  inputGradRows(j, dGx, G3);
  releasePackedB(pht, pzrt); // their memory goes to the next packs (buffer_pool.ts)
}
