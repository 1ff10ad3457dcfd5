/**
 * Fused LSTM over a whole sequence (see common.ts for the buffers' layout). Gate blocks in Keras
 * order i, f, c, o; σ is the recurrent activation, act the activation:
 *
 *   z_t = x_t·W + b + (h_{t-1} ⊙ rdm)·U          [B, 4H], one GEMM per step into the stored XW
 *   i = σ(z_i)   f = σ(z_f)   g = act(z_c)   o = σ(z_o)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g
 *   h_t = o ⊙ act(c_t)                             (masked step: h_t = h_{t-1}, c_t = c_{t-1})
 *
 * Kept for backward: the gate activations [T·B, 4H], the cell states [(T+1)·B, H], act(c_t) [T·B, H].
 */
import { Tensor, allocLike, gemmNN } from '@seqlab/tensor';
import { SequenceArgs, SequenceResult } from '../sequence';
import {
  activateRange, activationCode, addOutputGrad, anyNeed, columnSums, dropRecurrent, droppedStates,
  emitOutputs, finalState, gradAccumulator, inputGrad, inputProjection, kernelGrad, prepare, recordSequence,
  recurrentGrad, scaleByDerivative, SequenceGrads, stateBuffer, stepsTN,
} from './common';

export function lstmSequence(args: SequenceArgs): SequenceResult {
  const p = prepare(args, 4, 2, (H) => [4 * H]);
  const { B, T, H } = p;
  const act = activationCode(args.activation);
  const rec = activationCode(args.recurrentActivation);
  const W = args.kernel.data;
  const U = args.recurrentKernel.data;
  const run = p.run;
  const BH = B * H;
  const G4 = 4 * H;

  // gates: z = xs·W + b for all steps; each step adds h·U in place, then holds i, f, g, o
  const gates = inputProjection(p, W, args.bias ? args.bias.data : null, 0);
  const hs = stateBuffer(p, p.h0[0]);
  const cs = stateBuffer(p, p.h0[1]);
  const tc = allocLike(p.dtype, T * BH); // act(c_t)
  const hd = droppedStates(p, hs);
  for (let s = 0; s < T; s++) {
    const prev = s * BH;
    const g0 = s * B * G4;
    dropRecurrent(p, hs, hd, s);
    // z_t += (h_{t-1} ⊙ rdm)·U
    gemmNN({ m: B, n: G4, k: H, a: hd, aOffset: prev, b: U, c: gates, cOffset: g0, beta: 1 });
    for (let b = 0; b < B; b++) {
      const runs = run === null || run[s * B + b] === 1;
      const go = g0 + b * G4;
      const o = prev + b * H;
      activateRange(rec, gates, go, 2 * H); //     i = σ(x·W_i + h·U_i + b_i),  f = σ(x·W_f + h·U_f + b_f)
      activateRange(act, gates, go + 2 * H, H); // g = act(x·W_c + h·U_c + b_c)
      activateRange(rec, gates, go + 3 * H, H); // o = σ(x·W_o + h·U_o + b_o)
      for (let j = 0; j < H; j++) {
        // c_t = f ⊙ c_{t-1} + i ⊙ g
        const c = gates[go + H + j] * cs[o + j] + gates[go + j] * gates[go + 2 * H + j];
        tc[o + j] = c;
        cs[o + BH + j] = runs ? c : cs[o + j];
      }
      activateRange(act, tc, o, H);
      for (let j = 0; j < H; j++) {
        // h_t = o ⊙ act(c_t)
        hs[o + BH + j] = runs ? gates[go + 3 * H + j] * tc[o + j] : hs[o + j];
      }
    }
  }

  const result: SequenceResult = { output: emitOutputs(args, p, hs), states: [finalState(p, hs), finalState(p, cs)] };
  return recordSequence('lstmSequence', args, result, (dOut, dStates, needs) => {
    const grads: SequenceGrads = { x: null, kernel: null, recurrentKernel: null, bias: null, states: [null, null] };
    if (!anyNeed(needs)) return grads;
    const dh = gradAccumulator(p, dStates[0] ?? null); // ∂L/∂h_t
    const dc = gradAccumulator(p, dStates[1] ?? null); // ∂L/∂c_t through c_{t+1} (and the final state)
    const dG = allocLike(p.dtype, T * B * G4); //           ∂L/∂z_t, gate pre-activations
    const scratch = allocLike(p.dtype, BH);
    const dtc = allocLike(p.dtype, H); // one row's ∂L/∂act(c_t)
    addOutputGrad(args, p, dOut, T - 1, dh);
    for (let s = T - 1; s >= 0; s--) {
      const prev = s * BH;
      const g0 = s * B * G4;
      for (let b = 0; b < B; b++) {
        // masked step: dh_{t-1} = dh_t, dc_{t-1} = dc_t, no gate gradient
        if (run !== null && run[s * B + b] === 0) continue;
        const go = g0 + b * G4;
        const o = b * H;
        const to = prev + o;
        for (let j = 0; j < H; j++) {
          dtc[j] = dh[o + j] * gates[go + 3 * H + j]; //  ∂L/∂act(c_t) = dh_t ⊙ o
        }
        scaleByDerivative(act, dtc, 0, tc, to, H);
        for (let j = 0; j < H; j++) {
          const dct = dc[o + j] + dtc[j]; //                  dc_t += dh_t ⊙ o ⊙ act'(c_t)
          dG[go + j] = dct * gates[go + 2 * H + j]; //        di = dc_t ⊙ g
          dG[go + H + j] = dct * cs[to + j]; //               df = dc_t ⊙ c_{t-1}
          dG[go + 2 * H + j] = dct * gates[go + j]; //        dg = dc_t ⊙ i
          dG[go + 3 * H + j] = dh[o + j] * tc[to + j]; //     do = dh_t ⊙ act(c_t)
          dc[o + j] = dct * gates[go + H + j]; //             dc_{t-1} = dc_t ⊙ f
          dh[o + j] = 0;
        }
        // through the gate nonlinearities: dz_i = di ⊙ σ'(i), dz_f = df ⊙ σ'(f), dz_c = dg ⊙ act'(g), dz_o = do ⊙ σ'(o)
        scaleByDerivative(rec, dG, go, gates, go, 2 * H);
        scaleByDerivative(act, dG, go + 2 * H, gates, go + 2 * H, H);
        scaleByDerivative(rec, dG, go + 3 * H, gates, go + 3 * H, H);
      }
      // dh_{t-1} += (dz_t·Uᵀ) ⊙ rdm
      recurrentGrad(p, dG, s, G4, U, dh, scratch);
      if (s > 0) addOutputGrad(args, p, dOut, s - 1, dh);
    }
    // dW = xsᵀ·dz, dU = hdᵀ·dz, db = Σ dz, dx = dz·Wᵀ: one GEMM (or sum) each over all steps
    if (needs.kernel) grads.kernel = kernelGrad(p, dG, G4);
    if (needs.recurrentKernel) grads.recurrentKernel = new Tensor(stepsTN(p, hd, H, dG, G4), [H, G4]);
    if (needs.bias) {
      const db = allocLike(p.dtype, G4);
      columnSums(dG, T * B, G4, db, 0);
      grads.bias = new Tensor(db, [G4]);
    }
    if (needs.x) grads.x = inputGrad(args, p, dG, W);
    if (needs.states[0]) grads.states[0] = new Tensor(dh, [B, H]);
    if (needs.states[1]) grads.states[1] = new Tensor(dc, [B, H]);
    return grads;
  });
}
