/**
 * Fused GRU over a whole sequence (see common.ts for the buffers' layout). Gate blocks in Keras
 * order z, r, h; σ is the recurrent activation, act the activation; hd = h_{t-1} ⊙ rdm.
 *
 * resetAfter = true (Keras default; bias [2, 3H] = [input bias b, recurrent bias b_r]):
 *   q_t = hd·U + b_r                                [B, 3H], one GEMM per step
 *   z = σ(x·W_z + b_z + q_z)   r = σ(x·W_r + b_r + q_r)
 *   ĥ = act(x·W_h + b_h + r ⊙ q_h)                 (q_h kept for backward)
 * resetAfter = false (bias [3H]): the reset gate acts before the recurrent product, so the step's
 * recurrent GEMM is split: the z, r part first, then the h part once r is known:
 *   z = σ(x·W_z + b_z + hd·U_z)   r = σ(x·W_r + b_r + hd·U_r)
 *   ĥ = act(x·W_h + b_h + (r ⊙ hd)·U_h)            (r ⊙ hd kept for backward and dU_h)
 * both:
 *   h_t = z ⊙ h_{t-1} + (1 - z) ⊙ ĥ                 (masked step: h_t = h_{t-1})
 */
import { DataArray, Tensor, allocLike, gemmNN, gemmNT } from '@seqlab/tensor';
import { SequenceArgs, SequenceResult } from '../sequence';
import {
  activateRange, activationCode, addOutputGrad, anyNeed, columnSums, dropRecurrent, droppedStates,
  emitOutputs, finalState, gradAccumulator, inputGrad, inputProjection, kernelGrad, prepare, Prepared,
  recordSequence, recurrentGrad, scaleByDerivative, SequenceGrads, stateBuffer, stepsTN,
} from './common';

export function gruSequence(args: SequenceArgs): SequenceResult {
  const resetAfter = args.resetAfter ?? true;
  return resetAfter ? gruResetAfter(args) : gruResetBefore(args);
}

function gruResetAfter(args: SequenceArgs): SequenceResult {
  const p = prepare(args, 3, 1, (H) => [2, 3 * H]);
  const { B, T, H } = p;
  const act = activationCode(args.activation);
  const rec = activationCode(args.recurrentActivation);
  const W = args.kernel.data;
  const U = args.recurrentKernel.data;
  const run = p.run;
  const BH = B * H;
  const G3 = 3 * H;
  const bias = args.bias ? args.bias.data : null;

  // gates: x·W + b for all steps; each step overwrites them with z, r, ĥ
  const gates = inputProjection(p, W, bias, 0);
  const q = allocLike(p.dtype, B * G3); //     one step's hd·U
  const qh = allocLike(p.dtype, T * BH); //    q_h = hd·U_h + b_rh for every step
  const hs = stateBuffer(p, p.h0[0]);
  const hd = droppedStates(p, hs);
  for (let s = 0; s < T; s++) {
    const prev = s * BH;
    const g0 = s * B * G3;
    dropRecurrent(p, hs, hd, s);
    // q_t = hd·U (the recurrent bias is added below)
    gemmNN({ m: B, n: G3, k: H, a: hd, aOffset: prev, b: U, c: q });
    for (let b = 0; b < B; b++) {
      const runs = run === null || run[s * B + b] === 1;
      const go = g0 + b * G3;
      const qo = b * G3;
      const o = prev + b * H;
      // z = σ(x·W_z + b_z + hd·U_z + b_rz),  r = σ(x·W_r + b_r + hd·U_r + b_rr)
      for (let j = 0; j < 2 * H; j++) gates[go + j] += q[qo + j] + (bias === null ? 0 : bias[G3 + j]);
      activateRange(rec, gates, go, 2 * H);
      // ĥ = act(x·W_h + b_h + r ⊙ q_h),  q_h = hd·U_h + b_rh
      for (let j = 0; j < H; j++) {
        const qhj = q[qo + 2 * H + j] + (bias === null ? 0 : bias[G3 + 2 * H + j]);
        qh[o + j] = qhj;
        gates[go + 2 * H + j] += gates[go + H + j] * qhj;
      }
      activateRange(act, gates, go + 2 * H, H);
      for (let j = 0; j < H; j++) {
        // h_t = z ⊙ h_{t-1} + (1 - z) ⊙ ĥ
        const zg = gates[go + j];
        const hp = hs[o + j];
        hs[o + BH + j] = runs ? zg * hp + (1 - zg) * gates[go + 2 * H + j] : hp;
      }
    }
  }

  const result: SequenceResult = { output: emitOutputs(args, p, hs), states: [finalState(p, hs)] };
  return recordSequence('gruSequence', args, result, (dOut, dStates, needs) => {
    const grads: SequenceGrads = { x: null, kernel: null, recurrentKernel: null, bias: null, states: [null] };
    if (!anyNeed(needs)) return grads;
    const dh = gradAccumulator(p, dStates[0] ?? null);
    const dGx = allocLike(p.dtype, T * B * G3); // ∂L/∂(x·W + b): input side of the gates
    const dGq = allocLike(p.dtype, T * B * G3); // ∂L/∂q: recurrent side (differs in the h block: × r)
    const scratch = allocLike(p.dtype, BH);
    addOutputGrad(args, p, dOut, T - 1, dh);
    for (let s = T - 1; s >= 0; s--) {
      const prev = s * BH;
      const g0 = s * B * G3;
      for (let b = 0; b < B; b++) {
        if (run !== null && run[s * B + b] === 0) continue; // dh_{t-1} = dh_t
        const go = g0 + b * G3;
        const o = b * H;
        for (let j = 0; j < H; j++) {
          const zg = gates[go + j];
          const dht = dh[o + j];
          dGx[go + j] = dht * (hs[prev + o + j] - gates[go + 2 * H + j]); // dz = dh ⊙ (h_{t-1} - ĥ)
          dGx[go + 2 * H + j] = dht * (1 - zg); //                          dĥ = dh ⊙ (1 - z)
          dh[o + j] = dht * zg; //                                          dh_{t-1} = dh ⊙ z + ...
        }
        scaleByDerivative(act, dGx, go + 2 * H, gates, go + 2 * H, H); //   dz_h = dĥ ⊙ act'(ĥ)
        for (let j = 0; j < H; j++) {
          dGx[go + H + j] = dGx[go + 2 * H + j] * qh[prev + o + j]; //      dr = dz_h ⊙ q_h
        }
        scaleByDerivative(rec, dGx, go, gates, go, 2 * H); //               dz_z = dz ⊙ σ'(z), dz_r = dr ⊙ σ'(r)
        for (let j = 0; j < 2 * H; j++) dGq[go + j] = dGx[go + j];
        for (let j = 0; j < H; j++) dGq[go + 2 * H + j] = dGx[go + 2 * H + j] * gates[go + H + j]; // dq_h = dz_h ⊙ r
      }
      // ... + (dq_t·Uᵀ) ⊙ rdm
      recurrentGrad(p, dGq, s, G3, U, dh, scratch);
      if (s > 0) addOutputGrad(args, p, dOut, s - 1, dh);
    }
    // dW = xsᵀ·dGx, dU = hdᵀ·dGq, db = [Σ dGx, Σ dGq], dx = dGx·Wᵀ
    if (needs.kernel) grads.kernel = kernelGrad(p, dGx, G3);
    if (needs.recurrentKernel) grads.recurrentKernel = new Tensor(stepsTN(p, hd, H, dGq, G3), [H, G3]);
    if (needs.bias) {
      const db = allocLike(p.dtype, 2 * G3);
      columnSums(dGx, T * B, G3, db, 0);
      columnSums(dGq, T * B, G3, db, G3);
      grads.bias = new Tensor(db, [2, G3]);
    }
    if (needs.x) grads.x = inputGrad(args, p, dGx, W);
    if (needs.states[0]) grads.states[0] = new Tensor(dh, [B, H]);
    return grads;
  });
}

/** Columns [c0, c0 + n) of a row-major [rows, cols] matrix, as a contiguous [rows, n] copy. */
function columns(p: Prepared, a: DataArray, rows: number, cols: number, c0: number, n: number): DataArray {
  const out = allocLike(p.dtype, rows * n);
  for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) out[r * n + j] = a[r * cols + c0 + j];
  return out;
}

function gruResetBefore(args: SequenceArgs): SequenceResult {
  const p = prepare(args, 3, 1, (H) => [3 * H]);
  const { B, T, H } = p;
  const act = activationCode(args.activation);
  const rec = activationCode(args.recurrentActivation);
  const W = args.kernel.data;
  const run = p.run;
  const BH = B * H;
  const G3 = 3 * H;
  // U = [U_z U_r | U_h]: the two halves of the split recurrent GEMM, made contiguous once per call
  const Uzr = columns(p, args.recurrentKernel.data, H, G3, 0, 2 * H);
  const Uh = columns(p, args.recurrentKernel.data, H, G3, 2 * H, H);

  const gates = inputProjection(p, W, args.bias ? args.bias.data : null, 0);
  const qzr = allocLike(p.dtype, B * 2 * H); //  one step's hd·U_zr
  const qh = allocLike(p.dtype, BH); //          one step's (r ⊙ hd)·U_h
  const rhd = allocLike(p.dtype, T * BH); //     r ⊙ hd for every step
  const hs = stateBuffer(p, p.h0[0]);
  const hd = droppedStates(p, hs);
  for (let s = 0; s < T; s++) {
    const prev = s * BH;
    const g0 = s * B * G3;
    dropRecurrent(p, hs, hd, s);
    // [q_z q_r] = hd·[U_z U_r]
    gemmNN({ m: B, n: 2 * H, k: H, a: hd, aOffset: prev, b: Uzr, c: qzr });
    for (let b = 0; b < B; b++) {
      const go = g0 + b * G3;
      const qo = b * 2 * H;
      const o = prev + b * H;
      // z = σ(x·W_z + b_z + hd·U_z),  r = σ(x·W_r + b_r + hd·U_r)
      for (let j = 0; j < 2 * H; j++) gates[go + j] += qzr[qo + j];
      activateRange(rec, gates, go, 2 * H);
      for (let j = 0; j < H; j++) rhd[o + j] = gates[go + H + j] * hd[o + j];
    }
    // q_h = (r ⊙ hd)·U_h
    gemmNN({ m: B, n: H, k: H, a: rhd, aOffset: prev, b: Uh, c: qh });
    for (let b = 0; b < B; b++) {
      const runs = run === null || run[s * B + b] === 1;
      const go = g0 + b * G3;
      const o = b * H;
      // ĥ = act(x·W_h + b_h + (r ⊙ hd)·U_h)
      for (let j = 0; j < H; j++) gates[go + 2 * H + j] += qh[o + j];
      activateRange(act, gates, go + 2 * H, H);
      for (let j = 0; j < H; j++) {
        // h_t = z ⊙ h_{t-1} + (1 - z) ⊙ ĥ
        const zg = gates[go + j];
        const hp = hs[prev + o + j];
        hs[prev + BH + o + j] = runs ? zg * hp + (1 - zg) * gates[go + 2 * H + j] : hp;
      }
    }
  }

  const result: SequenceResult = { output: emitOutputs(args, p, hs), states: [finalState(p, hs)] };
  return recordSequence('gruSequence', args, result, (dOut, dStates, needs) => {
    const grads: SequenceGrads = { x: null, kernel: null, recurrentKernel: null, bias: null, states: [null] };
    if (!anyNeed(needs)) return grads;
    const dh = gradAccumulator(p, dStates[0] ?? null);
    const dGx = allocLike(p.dtype, T * B * G3); //   ∂L/∂(gate pre-activations), all three blocks
    const dGzr = allocLike(p.dtype, T * B * 2 * H); // the z, r blocks again, contiguous for dU_zr
    const dGh = allocLike(p.dtype, T * BH); //         the h block again, contiguous for dU_h
    const drhd = allocLike(p.dtype, BH); //            one step's ∂L/∂(r ⊙ hd)
    const dhd = allocLike(p.dtype, BH); //             one step's ∂L/∂hd
    addOutputGrad(args, p, dOut, T - 1, dh);
    const rdm = p.rdm;
    for (let s = T - 1; s >= 0; s--) {
      const prev = s * BH;
      const g0 = s * B * G3;
      for (let b = 0; b < B; b++) {
        if (run !== null && run[s * B + b] === 0) continue; // dh_{t-1} = dh_t
        const go = g0 + b * G3;
        const o = b * H;
        const zro = (s * B + b) * 2 * H;
        for (let j = 0; j < H; j++) {
          const zg = gates[go + j];
          const dht = dh[o + j];
          dGx[go + j] = dht * (hs[prev + o + j] - gates[go + 2 * H + j]); // dz = dh ⊙ (h_{t-1} - ĥ)
          dGx[go + 2 * H + j] = dht * (1 - zg); //                          dĥ = dh ⊙ (1 - z)
          dh[o + j] = dht * zg; //                                          dh_{t-1} = dh ⊙ z + ...
        }
        scaleByDerivative(rec, dGx, go, gates, go, H); //                   dz_z = dz ⊙ σ'(z)
        scaleByDerivative(act, dGx, go + 2 * H, gates, go + 2 * H, H); //   dz_h = dĥ ⊙ act'(ĥ)
        for (let j = 0; j < H; j++) {
          dGzr[zro + j] = dGx[go + j];
          dGh[prev + o + j] = dGx[go + 2 * H + j];
        }
      }
      // d(r ⊙ hd) = dz_h·U_hᵀ
      gemmNT({ m: B, n: H, k: H, a: dGh, aOffset: prev, b: Uh, c: drhd });
      for (let b = 0; b < B; b++) {
        const o = b * H;
        if (run !== null && run[s * B + b] === 0) {
          for (let j = 0; j < H; j++) dhd[o + j] = 0;
          continue;
        }
        const go = g0 + b * G3;
        const zro = (s * B + b) * 2 * H;
        for (let j = 0; j < H; j++) {
          const d = drhd[o + j];
          dGx[go + H + j] = d * hd[prev + o + j]; //  dr = d(r ⊙ hd) ⊙ hd
          dhd[o + j] = d * gates[go + H + j]; //       dhd = d(r ⊙ hd) ⊙ r + ...
        }
        scaleByDerivative(rec, dGx, go + H, gates, go + H, H); // dz_r = dr ⊙ σ'(r)
        for (let j = 0; j < H; j++) dGzr[zro + H + j] = dGx[go + H + j];
      }
      // ... + [dz_z dz_r]·[U_z U_r]ᵀ
      gemmNT({ m: B, n: H, k: 2 * H, a: dGzr, aOffset: s * B * 2 * H, b: Uzr, c: dhd, beta: 1 });
      // dh_{t-1} += dhd ⊙ rdm
      if (rdm === null) for (let k = 0; k < BH; k++) dh[k] += dhd[k];
      else for (let k = 0; k < BH; k++) dh[k] += dhd[k] * rdm[k];
      if (s > 0) addOutputGrad(args, p, dOut, s - 1, dh);
    }
    // dW = xsᵀ·dGx; dU = [hdᵀ·dG_zr | (r ⊙ hd)ᵀ·dG_h]; db = Σ dGx; dx = dGx·Wᵀ
    if (needs.kernel) grads.kernel = kernelGrad(p, dGx, G3);
    if (needs.recurrentKernel) {
      const dUzr = stepsTN(p, hd, H, dGzr, 2 * H);
      const dUh = stepsTN(p, rhd, H, dGh, H);
      const dU = allocLike(p.dtype, H * G3);
      for (let r = 0; r < H; r++) {
        for (let j = 0; j < 2 * H; j++) dU[r * G3 + j] = dUzr[r * 2 * H + j];
        for (let j = 0; j < H; j++) dU[r * G3 + 2 * H + j] = dUh[r * H + j];
      }
      grads.recurrentKernel = new Tensor(dU, [H, G3]);
    }
    if (needs.bias) {
      const db = allocLike(p.dtype, G3);
      columnSums(dGx, T * B, G3, db, 0);
      grads.bias = new Tensor(db, [G3]);
    }
    if (needs.x) grads.x = inputGrad(args, p, dGx, W);
    if (needs.states[0]) grads.states[0] = new Tensor(dh, [B, H]);
    return grads;
  });
}
