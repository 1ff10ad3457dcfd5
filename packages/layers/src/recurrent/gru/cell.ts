/**
 * The GRU cell (Cho et al. 2014): its step equations (the reference the fused kernels are held to)
 * and the cell that owns its weights, gate blocks z, r, h (layout.ts). Notation: cells.ts.
 *
 * resetAfter (Keras default, cuDNN-compatible): the reset gate multiplies h·U_h + b'_h; the bias is
 * [2, 3H], row 0 for the input side (b), row 1 for the recurrent side (b').
 *   z = σ(x·W_z + b_z + h·U_z + b'_z)       update gate
 *   r = σ(x·W_r + b_r + h·U_r + b'_r)       reset gate
 *   h̃ = φ(x·W_h + b_h + r ⊙ (h·U_h + b'_h))
 * resetAfter false (the original paper): the reset gate multiplies h before U_h; bias [3H].
 *   z = σ(x·W_z + h·U_z + b_z)   r = σ(x·W_r + h·U_r + b_r)   h̃ = φ(x·W_h + (r ⊙ h)·U_h + b_h)
 * both:
 *   h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃         (h_{t-1} without recurrent dropout, as Keras)
 */
import * as A from '@seqlab/autograd';
import { Tensor } from '@seqlab/tensor';
import { registerCell } from '../../engine/registry';
import { StepDropout, StepResult, applyDropout } from '../cell';
import { CellArgs, KerasCell, StepWeights, inputProjection } from '../cells';
import { registerFusedKernel } from '../kernels';
import { gruSequence } from './fused';
import { GRU_GATE, GRU_GATES, gruBiasShape } from './layout';

/** The GRU step, either variant (`w.resetAfter`). */
export function gruStep(w: StepWeights, x: Tensor, [hPrev]: Tensor[], dropout?: StepDropout): StepResult {
  const xd = applyDropout(x, dropout?.input);
  const hd = applyDropout(hPrev, dropout?.recurrent);
  const H = hPrev.shape[1];
  let z: Tensor;
  let r: Tensor;
  let hh: Tensor;
  if (w.resetAfter) {
    const [bIn, bRec] = w.bias ? A.split(w.bias, 2, 0).map((b) => A.reshape(b, [GRU_GATES * H])) : [null, null];
    const xs = A.split(inputProjection(xd, w.kernel, bIn), GRU_GATES, 1); //        x·W + b
    const us = A.split(inputProjection(hd, w.recurrentKernel, bRec), GRU_GATES, 1); // h·U + b'
    z = w.recurrentActivation(A.add(xs[GRU_GATE.z], us[GRU_GATE.z])); //   z = σ(x·W_z + b_z + h·U_z + b'_z)
    r = w.recurrentActivation(A.add(xs[GRU_GATE.r], us[GRU_GATE.r])); //   r = σ(x·W_r + b_r + h·U_r + b'_r)
    hh = w.activation(A.add(xs[GRU_GATE.h], A.mul(r, us[GRU_GATE.h]))); // h̃ = φ(x·W_h + b_h + r ⊙ (h·U_h + b'_h))
  } else {
    const xs = A.split(inputProjection(xd, w.kernel, w.bias), GRU_GATES, 1); //     x·W + b
    const Us = A.split(w.recurrentKernel, GRU_GATES, 1);
    z = w.recurrentActivation(A.add(xs[GRU_GATE.z], A.matmul(hd, Us[GRU_GATE.z]))); //   z = σ(x·W_z + h·U_z + b_z)
    r = w.recurrentActivation(A.add(xs[GRU_GATE.r], A.matmul(hd, Us[GRU_GATE.r]))); //   r = σ(x·W_r + h·U_r + b_r)
    hh = w.activation(A.add(xs[GRU_GATE.h], A.matmul(A.mul(r, hd), Us[GRU_GATE.h]))); // h̃ = φ(x·W_h + (r ⊙ h)·U_h + b_h)
  }
  // h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃
  const h = A.add(A.mul(z, hPrev), A.mul(A.sub(1, z), hh));
  return [h, [h]];
}

/** The GRU cell; resetAfter (default true) as Keras 2.x/3. */
export class GRUCell extends KerasCell {
  readonly resetAfter: boolean;
  constructor(args: CellArgs) {
    super(args, 'gru_cell');
    this.resetAfter = args.resetAfter ?? true;
  }
  protected get gates(): number {
    return GRU_GATES;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), implementation: 2, reset_after: this.resetAfter };
  }
  protected override biasShape(): number[] {
    return gruBiasShape(this.units, this.resetAfter);
  }
  protected override get resetAfterFlag(): boolean {
    return this.resetAfter;
  }
  protected equations(w: StepWeights, x: Tensor, states: Tensor[], dropout?: StepDropout): StepResult {
    return gruStep(w, x, states, dropout);
  }
}
registerCell('GRUCell', GRUCell);
registerFusedKernel(GRUCell, {
  name: 'gruSequence',
  supports: (cell) => cell.fusedActivations,
  run: (cell, args) => gruSequence(cell.kernelArgs(args)),
});
