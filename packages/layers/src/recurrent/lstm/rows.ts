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
 * A masked step keeps h and c (forward) and passes dh, dc through unchanged (backward).
 */
import { DataArray, packGemmB } from '@seqlab/tensor';
import { activateRange, scaleByDerivative } from '../fused/activations';
import { BackJob, RowsJob, addOutputGradRows, buildXs, dropRows, inputGradRows, mm, packInput, project, recurrentGradRows } from '../fused/loop';
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

export function lstmForwardRows(j: LstmJob): void {
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
    for (let b = b0; b < b1; b++) {
      const runs = run === null || run[s * B + b] === 1;
      const go = g0 + b * G4;
      const i = go + LSTM_GATE.i * H;
      const f = go + LSTM_GATE.f * H;
      const c = go + LSTM_GATE.c * H;
      const o = go + LSTM_GATE.o * H;
      const ho = prev + b * H; // this row's h_{t-1}, c_{t-1} (and + BH: h_t, c_t)
      activateRange(rec, gates, i, 2 * H); // i = σ(z_i), f = σ(z_f): adjacent blocks, one pass
      activateRange(act, gates, c, H); //     c̃ = act(z_c)
      activateRange(rec, gates, o, H); //     o = σ(z_o)
      for (let k = 0; k < H; k++) {
        const ct = gates[f + k] * cs[ho + k] + gates[i + k] * gates[c + k]; // c_t = f ⊙ c_{t-1} + i ⊙ c̃
        tc[ho + k] = ct;
        cs[ho + BH + k] = runs ? ct : cs[ho + k];
      }
      activateRange(act, tc, ho, H);
      for (let k = 0; k < H; k++) {
        hs[ho + BH + k] = runs ? gates[o + k] * tc[ho + k] : hs[ho + k]; // h_t = o ⊙ act(c_t)
      }
    }
  }
}

export function lstmBackwardRows(j: LstmBackJob): void {
  const { B, T, H, b0, b1, act, rec, gates, cs, tc, U, run, dh, dc, dG } = j;
  const BH = B * H;
  const G4 = LSTM_GATES * H;
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
      const i = go + LSTM_GATE.i * H;
      const f = go + LSTM_GATE.f * H;
      const c = go + LSTM_GATE.c * H;
      const o = go + LSTM_GATE.o * H;
      const ro = b * H; //     this row of dh, dc
      const ho = prev + ro; // this row's c_{t-1}, act(c_t)
      for (let k = 0; k < H; k++) dtc[k] = dh[ro + k] * gates[o + k]; // ∂L/∂act(c_t) = dh_t ⊙ o
      scaleByDerivative(act, dtc, 0, tc, ho, H);
      for (let k = 0; k < H; k++) {
        const dct = dc[ro + k] + dtc[k]; //         dc_t += dh_t ⊙ o ⊙ act'(c_t)
        dG[i + k] = dct * gates[c + k]; //          di = dc_t ⊙ c̃
        dG[f + k] = dct * cs[ho + k]; //            df = dc_t ⊙ c_{t-1}
        dG[c + k] = dct * gates[i + k]; //          dc̃ = dc_t ⊙ i
        dG[o + k] = dh[ro + k] * tc[ho + k]; //     do = dh_t ⊙ act(c_t)
        dc[ro + k] = dct * gates[f + k]; //         dc_{t-1} = dc_t ⊙ f
        dh[ro + k] = 0;
      }
      // through the gate nonlinearities (i and f adjacent: one pass)
      scaleByDerivative(rec, dG, i, gates, i, 2 * H);
      scaleByDerivative(act, dG, c, gates, c, H);
      scaleByDerivative(rec, dG, o, gates, o, H);
    }
    recurrentGradRows(j, dG, s, G4, U, put, scratch); // dh_{t-1} += (dz_t·Uᵀ) ⊙ rdm
    if (s > 0) addOutputGradRows(j, s - 1);
  }
  inputGradRows(j, dG, G4);
}
