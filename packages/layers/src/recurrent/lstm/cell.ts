/**
 * The LSTM cell (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000): its step
 * equations (the reference the fused kernel is held to) and the cell that owns its weights, gate
 * blocks i, f, c, o (layout.ts). Notation: cells.ts.
 *
 *   i = σ(x·W_i + h·U_i + b_i)      input gate
 *   f = σ(x·W_f + h·U_f + b_f)      forget gate
 *   c̃ = φ(x·W_c + h·U_c + b_c)      candidate cell
 *   o = σ(x·W_o + h·U_o + b_o)      output gate
 *   c_t = f ⊙ c_{t-1} + i ⊙ c̃       h_t = o ⊙ φ(c_t)       states [h, c], output h_t
 */
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { Initializer, ones } from '../../initializers';
import { registerCell } from '../../engine/registry';
import { StepDropout, StepResult, applyDropout } from '../cell';
import { CellArgs, KerasCell, StepWeights, inputProjection } from '../cells';
import { registerFusedKernel } from '../kernels';
import { lstmSequence } from './fused';
import { LSTM_GATE, LSTM_GATES } from './layout';

/** The LSTM step: all four pre-activations from one product each with W and U, split by gate. */
export function lstmStep(w: StepWeights, x: Tensor, [hPrev, cPrev]: Tensor[], dropout?: StepDropout): StepResult {
  const xd = applyDropout(x, dropout?.input);
  const hd = applyDropout(hPrev, dropout?.recurrent);
  const z = A.add(inputProjection(xd, w.kernel, w.bias), A.matmul(hd, w.recurrentKernel));
  const zs = A.split(z, LSTM_GATES, 1);
  const i = w.recurrentActivation(zs[LSTM_GATE.i]); // i = σ(z_i)
  const f = w.recurrentActivation(zs[LSTM_GATE.f]); // f = σ(z_f)
  const g = w.activation(zs[LSTM_GATE.c]); //          c̃ = φ(z_c)
  const o = w.recurrentActivation(zs[LSTM_GATE.o]); // o = σ(z_o)
  const c = A.add(A.mul(f, cPrev), A.mul(i, g)); //    c_t = f ⊙ c_{t-1} + i ⊙ c̃
  const h = A.mul(o, w.activation(c)); //              h_t = o ⊙ φ(c_t)
  return [h, [h, c]];
}

/** The LSTM cell; states [h, c]. */
export class LSTMCell extends KerasCell {
  readonly unitForgetBias: boolean;
  constructor(args: CellArgs) {
    super(args, 'lstm_cell');
    this.unitForgetBias = args.unitForgetBias ?? true;
  }
  protected get gates(): number {
    return LSTM_GATES;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), unit_forget_bias: this.unitForgetBias, implementation: 2 };
  }
  override get stateSize(): number[] {
    return [this.units, this.units];
  }
  /** unitForgetBias: the bias initializer fills i, c, o; the f block starts at 1 (as Keras). */
  protected override biasInitializer(): Initializer {
    const base = super.biasInitializer();
    if (!this.unitForgetBias) return base;
    const H = this.units;
    return () => T.concat([base([H]), ones()([H]), base([2 * H])], 0);
  }
  protected equations(w: StepWeights, x: Tensor, states: Tensor[], dropout?: StepDropout): StepResult {
    return lstmStep(w, x, states, dropout);
  }
}
registerCell('LSTMCell', LSTMCell);
registerFusedKernel(LSTMCell, {
  name: 'lstmSequence',
  supports: (cell) => cell.fusedActivations,
  run: (cell, args) => lstmSequence(cell.kernelArgs(args)),
});
