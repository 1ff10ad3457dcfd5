/**
 * Fused SimpleRNN over a whole sequence (see common.ts for the buffers' layout).
 *
 *   a_t = x_t·W + b + (h_{t-1} ⊙ rdm)·U
 *   h_t = act(a_t)                           (h_t = h_{t-1} where the step is masked)
 */
import { Tensor, allocLike, gemmNN } from '@seqlab/tensor';
import { SequenceArgs, SequenceResult } from '../sequence';
import {
  activateRange, activationCode, addOutputGrad, anyNeed, columnSums, dropRecurrent, droppedStates,
  emitOutputs, finalState, gradAccumulator, inputGrad, inputProjection, kernelGrad, prepare, recordSequence,
  recurrentGrad, scaleByDerivative, SequenceGrads, stateBuffer, stepsTN,
} from './common';

export function simpleRnnSequence(args: SequenceArgs): SequenceResult {
  const p = prepare(args, 1, 1, (H) => [H]);
  const { B, T, H } = p;
  const act = activationCode(args.activation);
  const W = args.kernel.data;
  const U = args.recurrentKernel.data;
  const run = p.run;
  const BH = B * H;

  // a = xs·W + b for all steps; each step adds its recurrent term in place, then a holds y = act(a)
  const a = inputProjection(p, W, args.bias ? args.bias.data : null, 0);
  const hs = stateBuffer(p, p.h0[0]);
  const hd = droppedStates(p, hs);
  for (let s = 0; s < T; s++) {
    const prev = s * BH;
    dropRecurrent(p, hs, hd, s);
    // a_t += (h_{t-1} ⊙ rdm)·U
    gemmNN({ m: B, n: H, k: H, a: hd, aOffset: prev, b: U, c: a, cOffset: prev, beta: 1 });
    // h_t = act(a_t), kept in a for backward (one block: every row of the step)
    activateRange(act, a, prev, BH);
    for (let b = 0; b < B; b++) {
      const runs = run === null || run[s * B + b] === 1;
      const o = prev + b * H;
      for (let j = 0; j < H; j++) hs[o + BH + j] = runs ? a[o + j] : hs[o + j];
    }
  }

  const result: SequenceResult = { output: emitOutputs(args, p, hs), states: [finalState(p, hs)] };
  return recordSequence('simpleRNNSequence', args, result, (dOut, dStates, needs) => {
    const grads: SequenceGrads = { x: null, kernel: null, recurrentKernel: null, bias: null, states: [null] };
    if (!anyNeed(needs)) return grads;
    // dh: gradient reaching h_t, from the outputs, the final state and step t+1
    const dh = gradAccumulator(p, dStates[0]);
    const dA = allocLike(p.dtype, T * BH);
    const scratch = allocLike(p.dtype, BH);
    addOutputGrad(args, p, dOut, T - 1, dh);
    for (let s = T - 1; s >= 0; s--) {
      const o0 = s * BH;
      for (let b = 0; b < B; b++) {
        // a masked step passes dh_t to h_{t-1} unchanged, and its dA row stays 0
        if (run !== null && run[s * B + b] === 0) continue;
        const o = b * H;
        for (let j = 0; j < H; j++) {
          dA[o0 + o + j] = dh[o + j];
          dh[o + j] = 0;
        }
        // da_t = dh_t ⊙ act'(a_t)
        scaleByDerivative(act, dA, o0 + o, a, o0 + o, H);
      }
      // dh_{t-1} += (da_t·Uᵀ) ⊙ rdm
      recurrentGrad(p, dA, s, H, U, dh, scratch);
      if (s > 0) addOutputGrad(args, p, dOut, s - 1, dh);
    }
    // weight gradients over all steps at once: dW = xsᵀ·dA, dU = hdᵀ·dA, db = Σ dA, dx = dA·Wᵀ
    if (needs.kernel) grads.kernel = kernelGrad(p, dA, H);
    if (needs.recurrentKernel) grads.recurrentKernel = new Tensor(stepsTN(p, hd, H, dA, H), [H, H]);
    if (needs.bias) {
      const db = allocLike(p.dtype, H);
      columnSums(dA, T * B, H, db, 0);
      grads.bias = new Tensor(db, [H]);
    }
    if (needs.x) grads.x = inputGrad(args, p, dA, W);
    if (needs.states[0]) grads.states[0] = new Tensor(dh, [B, H]);
    return grads;
  });
}
