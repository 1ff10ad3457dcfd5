/**
 * The fused SimpleRNN's time loop over a band of batch rows, forward beside backward (what
 * simple_rnn/fused.ts runs on each thread; pool workers load this module compiled):
 *
 *   forward                                  backward (dh = ∂L/∂h_t)
 *   a_t = x_t·W + b + (h_{t-1} ⊙ rdm)·U      da_t = dh ⊙ act'(a_t)
 *   h_t = act(a_t)                           dh_{t-1} = (da_t·Uᵀ) ⊙ rdm
 *
 * A masked step keeps h (forward) and passes dh through unchanged, its da row 0 (backward). The
 * element-wise steps are `lanes` primitives (f32x4 on wasm memory, where the band runs:
 * fused/wasm_band.ts).
 */
import { DataArray, lanes, packGemmB, releasePackedB } from '@seqlab/tensor';
import { activateRange, scaleByDerivative } from '../fused/activations';
import { BackJob, RowsJob, addOutputGradRows, buildXs, dropRows, inputGradRows, mm, packInput, project, putMaskedBack, recurrentGradRows, setMaskedAside } from '../fused/loop';
import { BandBuffers, runBandInWasm, scratch } from '../fused/wasm_band';

export interface RnnJob extends RowsJob {
  /** [T·B, H]: x·W + b on entry; a_t and then h_t = act(a_t) once the step ran. */
  a: DataArray;
  U: DataArray;
}

export interface RnnBackJob extends RnnJob, BackJob {
  /** [T·B, H]: ∂L/∂a_t. */
  dA: DataArray;
}

/** The buffers each loop reads and writes, and its GEMMs, for running a band in wasm memory. */
function forwardBuffers(j: RnnJob): BandBuffers {
  const { H, I } = j;
  return {
    buffers: [{ field: 'a', layout: 'steps', width: H, io: 'out' }],
    products: [{ layout: 'NN', n: H, k: I, packed: true }, { layout: 'NN', n: H, k: H, packed: true }],
    scratch: 0,
  };
}

function backwardBuffers(j: RnnBackJob): BandBuffers {
  const { H, I } = j;
  const nb = j.b1 - j.b0;
  return {
    buffers: [
      { field: 'a', layout: 'steps', width: H, io: 'in' },
      { field: 'dA', layout: 'steps', width: H, io: 'out' },
    ],
    products: [{ layout: 'NT', n: H, k: H, packed: true }, { layout: 'NT', n: I, k: H, packed: true }],
    scratch: nb * (2 * H + I),
  };
}

export function simpleRnnForwardRows(j: RnnJob): void {
  runBandInWasm(j, forwardBuffers(j), simpleRnnForward);
}

export function simpleRnnBackwardRows(j: RnnBackJob): void {
  runBandInWasm(j, backwardBuffers(j), simpleRnnBackward);
}

function simpleRnnForward(j: RnnJob): void {
  const { B, T, H, b0, b1, act, a, hs, hd, U, run } = j;
  const BH = B * H;
  const nb = b1 - b0;
  buildXs(j);
  const pw = packInput(j, H);
  const pu = packGemmB(U, H, H, false);
  for (let s = 0; s < T; s++) {
    const prev = s * BH;
    project(j, s, pw, a, H); // a_t = x_t·W + b
    dropRows(j, s);
    // a_t += (h_{t-1} ⊙ rdm)·U
    mm(j.serial, 'NN', { m: nb, n: H, k: H, a: hd, aOffset: prev + b0 * H, b: U, packedB: pu, c: a, cOffset: prev + b0 * H, beta: 1 });
    // h_t = act(a_t), kept in a for backward
    activateRange(act, a, prev + b0 * H, nb * H);
    lanes.copy(hs, prev + b0 * H + BH, a, prev + b0 * H, nb * H);
    if (run === null) continue;
    for (let b = b0; b < b1; b++) {
      if (run[s * B + b] === 0) lanes.copy(hs, prev + b * H + BH, hs, prev + b * H, H); // masked: h_t = h_{t-1}
    }
  }
  releasePackedB(pw, pu); // their memory goes to the next packs (buffer_pool.ts)
}

function simpleRnnBackward(j: RnnBackJob): void {
  const { B, T, H, b0, b1, act, a, U, run, dh, dA } = j;
  const BH = B * H;
  const nb = b1 - b0;
  const grads = scratch(j, nb * H, dA); //                     (da·Uᵀ) before ⊙ rdm
  const kept = run === null ? null : scratch(j, nb * H, dA); // masked rows' dh, put back after the step
  const put = packGemmB(U, H, H, true);
  const [states, zeroed, cols] = [[dh], [dA], [H]];
  addOutputGradRows(j, T - 1);
  for (let s = T - 1; s >= 0; s--) {
    const o = s * BH + b0 * H; // the band's rows: contiguous in dA, a and dh
    // a masked step passes dh_t to h_{t-1} unchanged, and its dA row stays 0
    if (kept !== null) setMaskedAside(j, s, kept, states);
    lanes.copy(dA, o, dh, b0 * H, nb * H);
    dh.fill(0, b0 * H, b1 * H);
    scaleByDerivative(act, dA, o, a, o, nb * H); // da_t = dh_t ⊙ act'(a_t)
    if (kept !== null) putMaskedBack(j, s, kept, states, zeroed, cols);
    recurrentGradRows(j, dA, s, H, U, put, grads); // dh_{t-1} += (da_t·Uᵀ) ⊙ rdm
    if (s > 0) addOutputGradRows(j, s - 1);
  }
  inputGradRows(j, dA, H);
  releasePackedB(put); // their memory goes to the next packs (buffer_pool.ts)
}
