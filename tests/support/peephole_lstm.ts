/**
 * A peephole LSTM (Gers & Schmidhuber 2000, "Recurrent nets that time and count"), written the way
 * a user of seqlab would write a cell: against the packages' public exports only. The gates also
 * look at the cell state, through one weight per unit and gate ("peepholes"): i and f at c_{t-1},
 * o at the new c_t.
 *
 *   i = σ(x·W_i + h·U_i + p_i ⊙ c_{t-1} + b_i)
 *   f = σ(x·W_f + h·U_f + p_f ⊙ c_{t-1} + b_f)
 *   c̃ = tanh(x·W_c + h·U_c + b_c)
 *   c_t = f ⊙ c_{t-1} + i ⊙ c̃
 *   o = σ(x·W_o + h·U_o + p_o ⊙ c_t + b_o)
 *   h_t = o ⊙ tanh(c_t)                          states [h, c], output h_t
 *
 * Weights, in this order: kernel [I, 4H], recurrent_kernel [H, 4H] (gate blocks i, f, c, o as the
 * LSTM's), the three peephole vectors [H] each, bias [4H] (the f block starting at 1). With the
 * peepholes at zero it is the LSTM.
 */
import * as A from '@seqlab/autograd';
import { Variable } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { Cell, CellOptions, StepDropout, applyDropout, registerCell } from '@seqlab/layers';

export class PeepholeLSTMCell extends Cell {
  kernel!: Variable;
  recurrentKernel!: Variable;
  inputPeephole!: Variable;
  forgetPeephole!: Variable;
  outputPeephole!: Variable;
  bias!: Variable;

  constructor(options: CellOptions) {
    super(options);
  }

  /** Two states: h and c. */
  override get stateSize(): number[] {
    return [this.units, this.units];
  }

  build(inputDim: number): void {
    const H = this.units;
    this.kernel = this.addWeight('kernel', [inputDim, 4 * H], 'glorotUniform');
    this.recurrentKernel = this.addWeight('recurrent_kernel', [H, 4 * H], 'orthogonal');
    this.inputPeephole = this.addWeight('input_gate_peephole_weights', [H], 'glorotUniform');
    this.forgetPeephole = this.addWeight('forget_gate_peephole_weights', [H], 'glorotUniform');
    this.outputPeephole = this.addWeight('output_gate_peephole_weights', [H], 'glorotUniform');
    // the forget block of the bias starts at 1, the others at 0 (as the LSTM's unitForgetBias)
    this.bias = this.addWeight('bias', [4 * H], (shape) => T.concat([T.zeros([H]), T.ones([H]), T.zeros([shape[0] - 2 * H])], 0));
  }

  step(x: Tensor, [h, c]: Tensor[], dropout?: StepDropout): { output: Tensor; states: Tensor[] } {
    const xd = applyDropout(x, dropout?.input);
    const hd = applyDropout(h, dropout?.recurrent);
    const z = A.add(A.add(A.matmul(xd, this.kernel.value), A.matmul(hd, this.recurrentKernel.value)), this.bias.value);
    const [zi, zf, zc, zo] = A.split(z, 4, 1);
    const i = A.sigmoid(A.add(zi, A.mul(this.inputPeephole.value, c)));
    const f = A.sigmoid(A.add(zf, A.mul(this.forgetPeephole.value, c)));
    const c2 = A.add(A.mul(f, c), A.mul(i, A.tanh(zc)));
    const o = A.sigmoid(A.add(zo, A.mul(this.outputPeephole.value, c2)));
    const h2 = A.mul(o, A.tanh(c2));
    return { output: h2, states: [h2, c2] };
  }
}
registerCell('PeepholeLSTMCell', PeepholeLSTMCell);
