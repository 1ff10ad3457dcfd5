/**
 * The fused GRU over a whole sequence (the buffers' layout: ../fused/prepare.ts; the per-step math:
 * rows_reset_after.ts and rows_reset_before.ts). One tape entry; weight gradients over all steps
 * at the end, one GEMM each.
 */
import { DataArray, Tensor, stepBuffer } from '@seqlab/tensor';
import type { SequenceResult } from '../sequence';
import { activationCode } from '../fused/activations';
import { emitOutputs, finalState } from '../fused/masks';
import { KernelArgs, Prepared, droppedStates, gradAccumulator, prepare, rowsInputs, stateBuffer } from '../fused/prepare';
import { anyNeed, kernelGrad, recordSequence, SequenceGrads, stepsTN } from '../fused/tape';
import { columnSums, compiledModule, runRows, share } from '../fused/threads';
import { GRU_GATE, GRU_GATES, GRU_STATES, gruBiasShape } from './layout';
import { gruAfterBackwardRows, gruAfterForwardRows } from './rows_reset_after';
import { gruBeforeBackwardRows, gruBeforeForwardRows } from './rows_reset_before';

export function gruSequence(args: KernelArgs): SequenceResult {
  const resetAfter = args.resetAfter ?? true;
  return resetAfter ? gruResetAfter(args) : gruResetBefore(args);
}

function gruResetAfter(args: KernelArgs): SequenceResult {
  const p = prepare(args, GRU_GATES, GRU_STATES, (H) => gruBiasShape(H, true), compiledModule('gru', 'rows_reset_after.js'));
  const { B, T, H } = p;
  const act = activationCode(args.activation);
  const rec = activationCode(args.recurrentActivation);
  const U = share(p, args.recurrentKernel.data);
  const BH = B * H;
  const G3 = GRU_GATES * H;

  // gates: each step writes x·W + b, then overwrites them with z, r, ĥ
  const gates = p.forBackward(T * B * G3);
  const qh = p.forBackward(T * BH); //    q_h = hd·U_h + b'_h for every step
  const hs = stateBuffer(p, p.h0[0]);
  const hd = droppedStates(p, hs);
  const fwd = { B, T, H, act, rec, run: p.run, rdm: p.rdm, hs, hd, gates, qh, U, ...rowsInputs(args, p) };
  runRows(p, 'gruAfterForwardRows', gruAfterForwardRows, fwd);

  const result: SequenceResult = { output: emitOutputs(p, args.returnSequences, hs), states: [finalState(p, hs)] };
  return recordSequence('gruSequence', args, result, p, (dOut, dStates, needs) => {
    const grads: SequenceGrads = { x: null, kernel: null, recurrentKernel: null, bias: null, states: [null] };
    if (!anyNeed(needs)) return grads;
    const dh = gradAccumulator(p, dStates[0] ?? null);
    const dGx = p.loopOutput(T * B * G3); // ∂L/∂(x·W + b): input side of the gates
    const dGq = p.loopOutput(T * B * G3); // ∂L/∂q: recurrent side (differs in the h block: × r)
    const bwd = { ...fwd, dOut: share(p, dOut), returnSequences: args.returnSequences, emit: p.emit, dh, dGx, dGq, dx: needs.x ? p.alloc(B * T * p.I) : null };
    runRows(p, 'gruAfterBackwardRows', gruAfterBackwardRows, bwd);
    // dW = xsᵀ·dGx, dU = hdᵀ·dGq, db = [Σ dGx, Σ dGq] summed by the same two passes (dx = dGx·Wᵀ: the rows)
    const db = needs.bias ? p.alloc(2 * G3) : null;
    const dbx = db ? db.subarray(0, G3) : null;
    const dbq = db ? db.subarray(G3) : null;
    if (needs.kernel) grads.kernel = kernelGrad(p, dGx, G3, dbx);
    else if (db) columnSums(p, dGx, T * B, G3, db, 0);
    if (needs.recurrentKernel) grads.recurrentKernel = new Tensor(stepsTN(p, hd, H, dGq, G3, dbq), [H, G3]);
    else if (db) columnSums(p, dGq, T * B, G3, db, G3);
    if (db) grads.bias = new Tensor(db, [2, G3]);
    if (needs.x) grads.x = new Tensor(bwd.dx as DataArray, [B, T, p.I]);
    if (needs.states[0]) grads.states[0] = new Tensor(dh, [B, H]);
    return grads;
  });
}

/** Columns [c0, c0 + n) of a row-major [rows, cols] matrix, as a contiguous [rows, n] copy. */
function columns(p: Prepared, a: DataArray, rows: number, cols: number, c0: number, n: number): DataArray {
  const out = p.temp(rows * n);
  for (let r = 0; r < rows; r++) out.set(a.subarray(r * cols + c0, r * cols + c0 + n), r * n);
  return out;
}

function gruResetBefore(args: KernelArgs): SequenceResult {
  const p = prepare(args, GRU_GATES, GRU_STATES, (H) => gruBiasShape(H, false), compiledModule('gru', 'rows_reset_before.js'));
  const { B, T, H } = p;
  const act = activationCode(args.activation);
  const rec = activationCode(args.recurrentActivation);
  const BH = B * H;
  const G3 = GRU_GATES * H;
  // U = [U_z U_r | U_h]: the two halves of the split recurrent GEMM, made contiguous once per call
  const Uzr = columns(p, args.recurrentKernel.data, H, G3, GRU_GATE.z * H, 2 * H);
  const Uh = columns(p, args.recurrentKernel.data, H, G3, GRU_GATE.h * H, H);

  const gates = p.forBackward(T * B * G3);
  const rhd = p.forBackward(T * BH); //     r ⊙ hd for every step
  const hs = stateBuffer(p, p.h0[0]);
  const hd = droppedStates(p, hs);
  const fwd = { B, T, H, act, rec, run: p.run, rdm: p.rdm, hs, hd, gates, rhd, Uzr, Uh, ...rowsInputs(args, p) };
  runRows(p, 'gruBeforeForwardRows', gruBeforeForwardRows, fwd);

  const result: SequenceResult = { output: emitOutputs(p, args.returnSequences, hs), states: [finalState(p, hs)] };
  return recordSequence('gruSequence', args, result, p, (dOut, dStates, needs) => {
    const grads: SequenceGrads = { x: null, kernel: null, recurrentKernel: null, bias: null, states: [null] };
    if (!anyNeed(needs)) return grads;
    const dh = gradAccumulator(p, dStates[0] ?? null);
    const dGx = p.loopOutput(T * B * G3); //   ∂L/∂(gate pre-activations), all three blocks
    const dGzr = p.loopOutput(T * B * 2 * H); // the z, r blocks again, contiguous for dU_zr
    const dGh = p.loopOutput(T * BH); //         the h block again, contiguous for dU_h
    const bwd = { ...fwd, dOut: share(p, dOut), returnSequences: args.returnSequences, emit: p.emit, dh, dGx, dGzr, dGh, dx: needs.x ? p.alloc(B * T * p.I) : null };
    runRows(p, 'gruBeforeBackwardRows', gruBeforeBackwardRows, bwd);
    // dW = xsᵀ·dGx (db = Σ dGx summed by the same pass); dU = [hdᵀ·dG_zr | (r ⊙ hd)ᵀ·dG_h] (dx = dGx·Wᵀ: the rows)
    const db = needs.bias ? p.alloc(G3) : null;
    if (needs.kernel) grads.kernel = kernelGrad(p, dGx, G3, db);
    else if (db) columnSums(p, dGx, T * B, G3, db, 0);
    if (needs.recurrentKernel) {
      // each half straight into its columns of dU [H, 3H] (rows G3 apart)
      const dU = stepBuffer(p.dtype, H * G3); // lives for the training step (tensor's step_buffers.ts)
      stepsTN(p, hd, H, dGzr, 2 * H, null, { c: dU, offset: GRU_GATE.z * H, ldc: G3 });
      stepsTN(p, rhd, H, dGh, H, null, { c: dU, offset: GRU_GATE.h * H, ldc: G3 });
      grads.recurrentKernel = new Tensor(dU, [H, G3]);
    }
    if (db) grads.bias = new Tensor(db, [G3]);
    if (needs.x) grads.x = new Tensor(bwd.dx as DataArray, [B, T, p.I]);
    if (needs.states[0]) grads.states[0] = new Tensor(dh, [B, H]);
    return grads;
  });
}
