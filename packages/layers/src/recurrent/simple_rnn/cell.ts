/**
 * The SimpleRNN cell: its step equation (the reference the fused kernel is held to) and the cell
 * that owns its weights (layout.ts). Notation: cells.ts.
 *
 *   h_t = φ(x·W + h_{t-1}·U + b)          output = h_t
 */
import * as A from '@seqlab/autograd';
import { Tensor } from '@seqlab/tensor';
import { registerCell } from '../../engine/registry';
import { StepDropout, StepResult, applyDropout } from '../cell';
import { CellArgs, KerasCell, StepWeights, inputProjection } from '../cells';
import { registerFusedKernel } from '../kernels';
import { simpleRnnSequence } from './fused';
import { SIMPLE_RNN_GATES } from './layout';

/** SimpleRNN: h_t = φ(x·W + h·U + b); output = h_t. */
export function simpleRNNStep(w: StepWeights, x: Tensor, [hPrev]: Tensor[], dropout?: StepDropout): StepResult {
  const xd = applyDropout(x, dropout?.input);
  const hd = applyDropout(hPrev, dropout?.recurrent);
  const h = w.activation(A.add(inputProjection(xd, w.kernel, w.bias), A.matmul(hd, w.recurrentKernel)));
  return [h, [h]];
}

/** h_t = φ(x·W + h_{t-1}·U + b). */
export class SimpleRNNCell extends KerasCell {
  constructor(args: CellArgs) {
    super(args, 'simple_rnn_cell');
  }
  protected get gates(): number {
    return SIMPLE_RNN_GATES;
  }
  protected override get gated(): boolean {
    return false;
  }
  protected equations(w: StepWeights, x: Tensor, states: Tensor[], dropout?: StepDropout): StepResult {
    return simpleRNNStep(w, x, states, dropout);
  }
}
registerCell('SimpleRNNCell', SimpleRNNCell);
registerFusedKernel(SimpleRNNCell, {
  name: 'simpleRNNSequence',
  supports: (cell) => cell.fusedActivations,
  run: (cell, args) => simpleRnnSequence(cell.kernelArgs(args)),
});
