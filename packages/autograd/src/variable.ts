/**
 * A Variable is a named, mutable holder of a weight tensor. Optimizers update `value.data` in
 * place, so the tensor object (which the tape watches) stays the same across steps.
 */
import { Tensor, fmtShape, shapesEqual } from '@seqlab/tensor';

/**
 * A named, mutable holder of a weight tensor: what layers own and optimizers update. Optimizers
 * write `value.data` in place, so the tensor a tape watches stays the same object across steps.
 *
 * @example
 *   const w = new Variable(zeros([3, 2]), 'dense/kernel');
 *   const { grads } = variableGrads(() => sum(matmul(x, w.value)), [w]);   // x: [B, 3]
 */
export class Variable {
  readonly name: string;
  value: Tensor;
  trainable: boolean;

  constructor(value: Tensor, name = 'variable', trainable = true) {
    this.value = value;
    this.name = name;
    this.trainable = trainable;
  }

  get shape(): number[] {
    return this.value.shape;
  }

  /** Copies new values in (same shape), keeping the tensor object. */
  assign(t: Tensor): void {
    if (!shapesEqual(t.shape, this.value.shape)) {
      throw new Error(`Variable '${this.name}': cannot assign shape ${fmtShape(t.shape)} to shape ${fmtShape(this.value.shape)}`);
    }
    this.value.data.set(t.data);
  }

  /** A copy of the current value. */
  read(): Tensor {
    return this.value.clone();
  }
}
