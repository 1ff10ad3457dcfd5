/**
 * The fused LSTM over a whole sequence (the buffers' layout: ../fused/prepare.ts; the per-step math:
 * rows.ts). One tape entry; kept for backward: the gate activations [T·B, 4H], the cell states
 * [(T+1)·B, H], act(c_t) [T·B, H]. Weight gradients over all steps at the end, one GEMM each.
 */
import { DataArray, Tensor } from '@seqlab/tensor';
import type { SequenceResult } from '../sequence';
import { activationCode } from '../fused/activations';
import { emitOutputs, finalState } from '../fused/masks';
import { KernelArgs, droppedStates, gradAccumulator, prepare, rowsInputs, stateBuffer } from '../fused/prepare';
import { anyNeed, kernelGrad, recordSequence, SequenceGrads, stepsTN } from '../fused/tape';
import { columnSums, compiledModule, runRows, share } from '../fused/threads';
import { LSTM_GATES, LSTM_STATES, lstmBiasShape } from './layout';
import { lstmBackwardRows, lstmForwardRows } from './rows';

export function lstmSequence(args: KernelArgs): SequenceResult {
  const p = prepare(args, LSTM_GATES, LSTM_STATES, lstmBiasShape, compiledModule('lstm', 'rows.js'));
  const { B, T, H } = p;
  const act = activationCode(args.activation);
  const rec = activationCode(args.recurrentActivation);
  const U = share(p, args.recurrentKernel.data);
  const BH = B * H;
  const G4 = LSTM_GATES * H;

  // gates: each step writes z = x·W + b, adds h·U in place, then holds i, f, c̃, o
  const gates = p.forBackward(T * B * G4);
  const hs = stateBuffer(p, p.h0[0]);
  const cs = stateBuffer(p, p.h0[1]);
  const tc = p.forBackward(T * BH); // act(c_t)
  const hd = droppedStates(p, hs);
  const fwd = { B, T, H, act, rec, run: p.run, rdm: p.rdm, hs, hd, gates, cs, tc, U, ...rowsInputs(args, p) };
  runRows(p, 'lstmForwardRows', lstmForwardRows, fwd);

  const result: SequenceResult = { output: emitOutputs(p, args.returnSequences, hs), states: [finalState(p, hs), finalState(p, cs)] };
  return recordSequence('lstmSequence', args, result, p, (dOut, dStates, needs) => {
    const grads: SequenceGrads = { x: null, kernel: null, recurrentKernel: null, bias: null, states: [null, null] };
    if (!anyNeed(needs)) return grads;
    const dh = gradAccumulator(p, dStates[0] ?? null); // ∂L/∂h_t
    const dc = gradAccumulator(p, dStates[1] ?? null); // ∂L/∂c_t through c_{t+1} (and the final state)
    const dG = p.loopOutput(T * B * G4); //                    ∂L/∂z_t, gate pre-activations
    const bwd = { ...fwd, dOut: share(p, dOut), returnSequences: args.returnSequences, emit: p.emit, dh, dc, dG, dx: needs.x ? p.alloc(B * T * p.I) : null };
    runRows(p, 'lstmBackwardRows', lstmBackwardRows, bwd);
    // dW = xsᵀ·dz (db = Σ dz summed by the same pass), dU = hdᵀ·dz: one GEMM each over all steps (dx = dz·Wᵀ: rows.ts)
    const db = needs.bias ? p.alloc(G4) : null;
    if (needs.kernel) grads.kernel = kernelGrad(p, dG, G4, db);
    else if (db) columnSums(p, dG, T * B, G4, db, 0);
    if (needs.recurrentKernel) grads.recurrentKernel = new Tensor(stepsTN(p, hd, H, dG, G4), [H, G4]);
    if (db) grads.bias = new Tensor(db, [G4]);
    if (needs.x) grads.x = new Tensor(bwd.dx as DataArray, [B, T, p.I]);
    if (needs.states[0]) grads.states[0] = new Tensor(dh, [B, H]);
    if (needs.states[1]) grads.states[1] = new Tensor(dc, [B, H]);
    return grads;
  });
}
