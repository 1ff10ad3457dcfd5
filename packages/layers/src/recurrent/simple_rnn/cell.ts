/**
 * The SimpleRNN cell: its step equation (the reference the fused kernel is held to) and the cell
 * that owns its weights (layout.ts). Notation: cells.ts.
 *
 *   h_t = φ(x·W + h_{t-1}·U + b)          output = h_t
 */
import * as A from '@seqlab/autograd';
import { Tensor } from '@seqlab/tensor';
import { registerCell } from '../../engine/registry';
import { CellArgs, KerasCell, StepDropout, StepResult, StepWeights, applyDropout, inputProjection } from '../cells';
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
  readonly kind = 'simpleRNN' as const;
  constructor(args: CellArgs) {
    super(args, 'simple_rnn_cell');
  }
  protected get gates(): number {
    return SIMPLE_RNN_GATES;
  }
  step(x: Tensor, states: Tensor[], dropout?: StepDropout): StepResult {
    return simpleRNNStep(this.stepWeights(), x, states, dropout);
  }
}
registerCell('SimpleRNNCell', SimpleRNNCell);
