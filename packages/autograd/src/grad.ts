/**
 * Function transformations in the style of JAX / TensorFlow.js.
 *
 * @example
 *   const f = (x: Tensor) => sum(mul(x, x));
 *   grad(f)(tensor([1, 2, 3]));           // [2, 4, 6]
 *   valueAndGrad(f)(tensor([1, 2, 3]));   // { value: 14, grads: [[2, 4, 6]] }
 */
import { Tensor } from '@seqlab/tensor';
import { gradients } from './tape';
import { Variable } from './variable';

/** The value of a function and its gradients, in argument (or variable) order. */
export interface ValueAndGrads {
  value: Tensor;
  grads: Tensor[];
}

/**
 * `grad(f)` returns a function computing ∂f/∂x for each argument. With one argument it returns
 * one tensor; with several, an array in argument order. `f` must return a scalar.
 */
export function grad(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor;
export function grad(f: (...xs: Tensor[]) => Tensor): (...xs: Tensor[]) => Tensor[];
export function grad(f: (...xs: Tensor[]) => Tensor): (...xs: Tensor[]) => Tensor | Tensor[] {
  return (...xs: Tensor[]) => {
    const { grads } = gradients(() => f(...xs), xs);
    return xs.length === 1 ? grads[0] : grads;
  };
}

/** Like `grad`, also returning the value of `f`. */
export function valueAndGrad(f: (...xs: Tensor[]) => Tensor): (...xs: Tensor[]) => ValueAndGrads {
  return (...xs: Tensor[]) => gradients(() => f(...xs), xs);
}

/** Value of `f()` and its gradient with respect to each variable (training). */
export function variableGrads(f: () => Tensor, variables: Variable[]): ValueAndGrads {
  return gradients(f, variables.map((v) => v.value));
}
