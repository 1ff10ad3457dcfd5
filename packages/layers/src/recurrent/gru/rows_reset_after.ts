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
 * q_h is kept for backward. A masked step keeps h and passes dh through unchanged.
 */
import { DataArray, packGemmB } from '@seqlab/tensor';
import { activateRange, scaleByDerivative } from '../fused/activations';
import { BackJob, RowsJob, addOutputGradRows, buildXs, dropRows, inputGradRows, mm, packInput, project, recurrentGradRows } from '../fused/loop';
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

export function gruAfterForwardRows(j: GruAfterJob): void {
  const { B, T, H, b0, b1, act, rec, gates, qh, hs, hd, U, run, bias } = j;
  const BH = B * H;
  const G3 = GRU_GATES * H;
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
    // q_t = hd·U (the recurrent bias b', the bias's second row, is added below)
    mm(j.serial, 'NN', { m: nb, n: G3, k: H, a: hd, aOffset: prev + b0 * H, b: U, packedB: pu, c: q });
    for (let b = b0; b < b1; b++) {
      const runs = run === null || run[s * B + b] === 1;
      const go = g0 + b * G3;
      const qo = (b - b0) * G3;
      const z = GRU_GATE.z * H; // block offsets within a row of gates, q and b'
      const r = GRU_GATE.r * H;
      const h = GRU_GATE.h * H;
      const ho = prev + b * H;
      // z = σ(x·W_z + b_z + q_z + b'_z),  r = σ(x·W_r + b_r + q_r + b'_r): adjacent blocks, one pass
      for (let k = 0; k < 2 * H; k++) gates[go + z + k] += q[qo + z + k] + (bias === null ? 0 : bias[G3 + z + k]);
      activateRange(rec, gates, go + z, 2 * H);
      // ĥ = act(x·W_h + b_h + r ⊙ q_h),  q_h = hd·U_h + b'_h
      for (let k = 0; k < H; k++) {
        const qhk = q[qo + h + k] + (bias === null ? 0 : bias[G3 + h + k]);
        qh[ho + k] = qhk;
        gates[go + h + k] += gates[go + r + k] * qhk;
      }
      activateRange(act, gates, go + h, H);
      for (let k = 0; k < H; k++) {
        // h_t = z ⊙ h_{t-1} + (1 - z) ⊙ ĥ
        const zk = gates[go + z + k];
        const hp = hs[ho + k];
        hs[ho + BH + k] = runs ? zk * hp + (1 - zk) * gates[go + h + k] : hp;
      }
    }
  }
}

export function gruAfterBackwardRows(j: GruAfterBackJob): void {
  const { B, T, H, b0, b1, act, rec, gates, qh, hs, U, run, dh, dGx, dGq } = j;
  const BH = B * H;
  const G3 = GRU_GATES * H;
  const scratch = new (dGx.constructor as new (n: number) => DataArray)((b1 - b0) * H);
  const put = packGemmB(U, G3, H, true);
  addOutputGradRows(j, T - 1);
  for (let s = T - 1; s >= 0; s--) {
    const prev = s * BH;
    const g0 = s * B * G3;
    for (let b = b0; b < b1; b++) {
      if (run !== null && run[s * B + b] === 0) continue; // dh_{t-1} = dh_t
      const go = g0 + b * G3;
      const z = go + GRU_GATE.z * H;
      const r = go + GRU_GATE.r * H;
      const h = go + GRU_GATE.h * H;
      const ro = b * H;
      for (let k = 0; k < H; k++) {
        const zk = gates[z + k];
        const dht = dh[ro + k];
        dGx[z + k] = dht * (hs[prev + ro + k] - gates[h + k]); // dz = dh ⊙ (h_{t-1} - ĥ)
        dGx[h + k] = dht * (1 - zk); //                         dĥ = dh ⊙ (1 - z)
        dh[ro + k] = dht * zk; //                               dh_{t-1} = dh ⊙ z + ...
      }
      scaleByDerivative(act, dGx, h, gates, h, H); //            dz_h = dĥ ⊙ act'(ĥ)
      for (let k = 0; k < H; k++) dGx[r + k] = dGx[h + k] * qh[prev + ro + k]; // dr = dz_h ⊙ q_h
      scaleByDerivative(rec, dGx, z, gates, z, 2 * H); //        dz_z = dz ⊙ σ'(z), dz_r = dr ⊙ σ'(r)
      for (let k = 0; k < 2 * H; k++) dGq[z + k] = dGx[z + k];
      for (let k = 0; k < H; k++) dGq[h + k] = dGx[h + k] * gates[r + k]; // dq_h = dz_h ⊙ r
    }
    recurrentGradRows(j, dGq, s, G3, U, put, scratch); // ... + (dq_t·Uᵀ) ⊙ rdm
    if (s > 0) addOutputGradRows(j, s - 1);
  }
  inputGradRows(j, dGx, G3);
}
