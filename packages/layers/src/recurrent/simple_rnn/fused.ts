/**
 * The fused SimpleRNN over a whole sequence (the buffers' layout: ../fused/prepare.ts; the per-step
 * math: rows.ts). One tape entry; kept for backward: h_t = act(a_t) [T·B, H]. Weight gradients over
 * all steps at the end, one GEMM each.
 */
import { DataArray, Tensor } from '@seqlab/tensor';
import type { SequenceResult } from '../sequence';
import { activationCode } from '../fused/activations';
import { emitOutputs, finalState } from '../fused/masks';
import { KernelArgs, droppedStates, gradAccumulator, prepare, rowsInputs, stateBuffer } from '../fused/prepare';
import { anyNeed, kernelGrad, recordSequence, SequenceGrads, stepsTN } from '../fused/tape';
import { columnSums, compiledModule, runRows, share } from '../fused/threads';
import { SIMPLE_RNN_GATES, SIMPLE_RNN_STATES, simpleRnnBiasShape } from './layout';
import { simpleRnnBackwardRows, simpleRnnForwardRows } from './rows';

export function simpleRnnSequence(args: KernelArgs): SequenceResult {
  const p = prepare(args, SIMPLE_RNN_GATES, SIMPLE_RNN_STATES, simpleRnnBiasShape, compiledModule('simple_rnn', 'rows.js'));
  const { B, T, H } = p;
  const act = activationCode(args.activation);
  const U = share(p, args.recurrentKernel.data);
  const BH = B * H;

  // a: each step writes x·W + b, adds its recurrent term in place, then a holds y = act(a)
  const a = p.forBackward(T * BH);
  const hs = stateBuffer(p, p.h0[0]);
  const hd = droppedStates(p, hs);
  const fwd = { B, T, H, act, rec: act, run: p.run, rdm: p.rdm, hs, hd, a, U, ...rowsInputs(args, p) };
  runRows(p, 'simpleRnnForwardRows', simpleRnnForwardRows, fwd);

  const result: SequenceResult = { output: emitOutputs(p, args.returnSequences, hs), states: [finalState(p, hs)] };
  return recordSequence('simpleRNNSequence', args, result, p, (dOut, dStates, needs) => {
    const grads: SequenceGrads = { x: null, kernel: null, recurrentKernel: null, bias: null, states: [null] };
    if (!anyNeed(needs)) return grads;
    // dh: gradient reaching h_t, from the outputs, the final state and step t+1
    const dh = gradAccumulator(p, dStates[0]);
    const dA = p.loopOutput(T * BH);
    const bwd = { ...fwd, dOut: share(p, dOut), returnSequences: args.returnSequences, emit: p.emit, dh, dA, dx: needs.x ? p.alloc(B * T * p.I) : null };
    runRows(p, 'simpleRnnBackwardRows', simpleRnnBackwardRows, bwd);
    // weight gradients over all steps at once: dW = xsᵀ·dA (db = Σ dA summed by the same pass), dU = hdᵀ·dA (dx = dA·Wᵀ: rows.ts)
    const db = needs.bias ? p.alloc(H) : null;
    if (needs.kernel) grads.kernel = kernelGrad(p, dA, H, db);
    else if (db) columnSums(p, dA, T * B, H, db, 0);
    if (needs.recurrentKernel) grads.recurrentKernel = new Tensor(stepsTN(p, hd, H, dA, H), [H, H]);
    if (db) grads.bias = new Tensor(db, [H]);
    if (needs.x) grads.x = new Tensor(bwd.dx as DataArray, [B, T, p.I]);
    if (needs.states[0]) grads.states[0] = new Tensor(dh, [B, H]);
    return grads;
  });
}
