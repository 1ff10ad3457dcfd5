/**
 * The fused LSTM's time loop over a band of batch rows, forward beside backward (what lstm/fused.ts
 * runs on each thread; pool workers load this module compiled). The math, per step, on the gate
 * row z_t = [z_i z_f z_c z_o] (LSTM_GATE blocks; σ the recurrent activation, act the activation):
 *
 *   forward                                      backward (dh = ∂L/∂h_t, dc = ∂L/∂c_t)
 *   z_t = x_t·W + b + (h_{t-1} ⊙ rdm)·U          dc_t += dh ⊙ o ⊙ act'(c_t)
 *   i = σ(z_i)  f = σ(z_f)  c̃ = act(z_c)  o = σ(z_o)   di = dc_t ⊙ c̃  df = dc_t ⊙ c_{t-1}  dc̃ = dc_t ⊙ i  do = dh ⊙ act(c_t)
 *   c_t = f ⊙ c_{t-1} + i ⊙ c̃                    dz = [di ⊙ σ'(i), df ⊙ σ'(f), dc̃ ⊙ act'(c̃), do ⊙ σ'(o)]
 *   h_t = o ⊙ act(c_t)                           dc_{t-1} = dc_t ⊙ f,  dh_{t-1} = (dz·Uᵀ) ⊙ rdm
 *
 * A masked step keeps h and c (forward) and passes dh, dc through unchanged (backward). Each line
 * of the math is one `lanes` primitive over a row's H values (f32x4 on wasm memory, where the band
 * runs: fused/wasm_band.ts); forward applies each line to the band's rows of a step at once
 * (`laneRows`, `activateRows`: one call per line and step, not per row), then puts back the
 * states of the masked rows.
 */
import { DataArray, laneRows, lanes, packGemmB, releasePackedB } from '@seqlab/tensor';
import { activateRange, activateRows, scaleByDerivativeRows } from '../fused/activations';
import { BackJob, RowsJob, addOutputGradRows, buildXs, dropRows, inputGradRows, mm, packInput, project, putMaskedBack, recurrentGradRows, setMaskedAside } from '../fused/loop';
import { BandBuffers, runBandInWasm, scratch } from '../fused/wasm_band';
import { LSTM_GATE, LSTM_GATES } from './layout';

export interface LstmJob extends RowsJob {
  /** [T·B, 4H]: x·W + b on entry; the gate activations i, f, c̃, o once the step ran. */
  gates: DataArray;
  /** [(T+1)·B, H] cell states. */
  cs: DataArray;
  /** [T·B, H] act(c_t). */
  tc: DataArray;
  U: DataArray;
}

export interface LstmBackJob extends LstmJob, BackJob {
  /** [B, H]: ∂L/∂c through c_{t+1}; holds ∂L/∂c_0 at the end. */
  dc: DataArray;
  /** [T·B, 4H]: ∂L/∂z_t. */
  dG: DataArray;
}

/** The buffers each loop reads and writes, and its GEMMs, for running a band in wasm memory. */
function forwardBuffers(j: LstmJob): BandBuffers {
  const { H, I } = j;
  return {
    buffers: [
      { field: 'gates', layout: 'steps', width: LSTM_GATES * H, io: 'out' },
      { field: 'cs', layout: 'states', width: H, io: 'inout' },
      { field: 'tc', layout: 'steps', width: H, io: 'out' },
    ],
    products: [
      { layout: 'NN', n: LSTM_GATES * H, k: I, packed: true },
      { layout: 'NN', n: LSTM_GATES * H, k: H, packed: true },
    ],
    scratch: 0,
  };
}

function backwardBuffers(j: LstmBackJob): BandBuffers {
  const { H, I } = j;
  const nb = j.b1 - j.b0;
  return {
    buffers: [
      { field: 'gates', layout: 'steps', width: LSTM_GATES * H, io: 'in' },
      { field: 'cs', layout: 'states', width: H, io: 'in' },
      { field: 'tc', layout: 'steps', width: H, io: 'in' },
      { field: 'dc', layout: 'rows', width: H, io: 'inout' },
      { field: 'dG', layout: 'steps', width: LSTM_GATES * H, io: 'out' },
    ],
    products: [
      { layout: 'NT', n: H, k: LSTM_GATES * H, packed: true },
      { layout: 'NT', n: I, k: LSTM_GATES * H, packed: true },
    ],
    scratch: 5 * nb * H + nb * I,
  };
}

export function lstmForwardRows(j: LstmJob): void {
  runBandInWasm(j, forwardBuffers(j), lstmForward);
}

export function lstmBackwardRows(j: LstmBackJob): void {
  runBandInWasm(j, backwardBuffers(j), lstmBackward);
}

function lstmForward(j: LstmJob): void {
  const { B, T, H, b0, b1, act, rec, gates, hs, cs, tc, hd, U, run } = j;
  const BH = B * H;
  const G4 = LSTM_GATES * H;
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
    // each line over the band's rows at once: gate blocks 4H apart, state rows H apart
    const go = g0 + b0 * G4;
    const i = go + LSTM_GATE.i * H;
    const f = go + LSTM_GATE.f * H;
    const c = go + LSTM_GATE.c * H;
    const o = go + LSTM_GATE.o * H;
    const ho = prev + b0 * H; // the band's h_{t-1}, c_{t-1}; ho + BH: h_t, c_t
    activateRows(rec, gates, i, 2 * H, nb, G4); //                i = σ(z_i), f = σ(z_f): adjacent blocks, one pass
    activateRows(act, gates, c, H, nb, G4); //                    c̃ = act(z_c)
    activateRows(rec, gates, o, H, nb, G4); //                    o = σ(z_o)
    laneRows('mul2add', nb, H, tc, ho, H, gates, f, G4, cs, ho, H, gates, i, G4, gates, c, G4); // c_t = f ⊙ c_{t-1} + i ⊙ c̃  (in tc for now)
    lanes.copy(cs, ho + BH, tc, ho, nb * H);
    activateRange(act, tc, ho, nb * H); //                        act(c_t)
    laneRows('mul', nb, H, hs, ho + BH, H, gates, o, G4, tc, ho, H); // h_t = o ⊙ act(c_t)
    if (run === null) continue;
    for (let b = b0; b < b1; b++) {
      if (run[s * B + b] === 1) continue;
      const r = prev + b * H; // masked: c_t = c_{t-1}, h_t = h_{t-1}
      lanes.copy(cs, r + BH, cs, r, H);
      lanes.copy(hs, r + BH, hs, r, H);
    }
  }
  releasePackedB(pw, pu); // their memory goes to the next packs (buffer_pool.ts)
}

function lstmBackward(j: LstmBackJob): void {
  const { B, T, H, b0, b1, act, rec, gates, cs, tc, U, run, dh, dc, dG } = j;
  const BH = B * H;
  const G4 = LSTM_GATES * H;
  const nb = b1 - b0;
  const grads = scratch(j, nb * H, dG); //                     (dz·Uᵀ) before ⊙ rdm
  const dtc = scratch(j, nb * H, dG); //                       the band's ∂L/∂act(c_t)
  const kept = run === null ? null : scratch(j, 2 * nb * H, dG); // masked rows' dh, dc, put back after the step
  const put = packGemmB(U, G4, H, true);
  const [states, zeroed, cols] = [[dh, dc], [dG], [G4]];
  addOutputGradRows(j, T - 1);
  for (let s = T - 1; s >= 0; s--) {
    const prev = s * BH;
    const g0 = s * B * G4;
    // each line over the band's rows at once: gate rows 4H apart, state rows H apart
    const go = g0 + b0 * G4;
    const i = go + LSTM_GATE.i * H;
    const f = go + LSTM_GATE.f * H;
    const c = go + LSTM_GATE.c * H;
    const o = go + LSTM_GATE.o * H;
    const ro = b0 * H; //    the band's rows of dh, dc
    const ho = prev + ro; // the band's c_{t-1}, act(c_t)
    if (kept !== null) setMaskedAside(j, s, kept, states); // a masked step: dh_{t-1} = dh_t, dc_{t-1} = dc_t, no dz
    laneRows('mul', nb, H, dtc, 0, H, dh, ro, H, gates, o, G4); //  ∂L/∂act(c_t) = dh_t ⊙ o
    scaleByDerivativeRows(act, dtc, 0, H, tc, ho, H, H, nb); //     ⊙ act'(c_t)
    lanes.add(dc, ro, dc, ro, dtc, 0, nb * H); //                    dc_t += dh_t ⊙ o ⊙ act'(c_t)
    laneRows('mul', nb, H, dG, i, G4, dc, ro, H, gates, c, G4); //  di = dc_t ⊙ c̃
    laneRows('mul', nb, H, dG, f, G4, dc, ro, H, cs, ho, H); //     df = dc_t ⊙ c_{t-1}
    laneRows('mul', nb, H, dG, c, G4, dc, ro, H, gates, i, G4); //  dc̃ = dc_t ⊙ i
    laneRows('mul', nb, H, dG, o, G4, dh, ro, H, tc, ho, H); //     do = dh_t ⊙ act(c_t)
    laneRows('mul', nb, H, dc, ro, H, dc, ro, H, gates, f, G4); //  dc_{t-1} = dc_t ⊙ f
    dh.fill(0, ro, ro + nb * H);
    // through the gate nonlinearities (i and f adjacent: one pass)
    scaleByDerivativeRows(rec, dG, i, G4, gates, i, G4, 2 * H, nb);
    scaleByDerivativeRows(act, dG, c, G4, gates, c, G4, H, nb);
    scaleByDerivativeRows(rec, dG, o, G4, gates, o, G4, H, nb);
    if (kept !== null) putMaskedBack(j, s, kept, states, zeroed, cols);
    recurrentGradRows(j, dG, s, G4, U, put, grads); // dh_{t-1} += (dz_t·Uᵀ) ⊙ rdm
    if (s > 0) addOutputGradRows(j, s - 1);
  }
  inputGradRows(j, dG, G4);
  releasePackedB(put); // their memory goes to the next packs (buffer_pool.ts)
}
