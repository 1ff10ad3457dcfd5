/**
 * Activations by name, as Keras spells them (camelCase or snake_case). Each is a differentiable
 * autograd op.
 */
import * as A from '@seqlab/autograd';
import { Tensor } from '@seqlab/tensor';
import { softmaxWithLogits } from './engine/logits';
import { camel } from './initializers';

/** An activation: a differentiable element-wise function of a tensor, built from autograd ops. */
export type ActivationFn = (x: Tensor) => Tensor;
/** The built-in activations by their camelCase names (Keras's snake_case names are accepted too). */
export type ActivationName =
  | 'tanh' | 'sigmoid' | 'hardSigmoid' | 'hardSigmoidKeras2' | 'relu' | 'linear' | 'softmax' | 'elu' | 'selu' | 'softplus';
/** An activation by name, a function of your own, or null for none (linear). */
export type ActivationSpec = ActivationName | ActivationFn | string | null;

const byName: Record<string, ActivationFn> = {
  tanh: A.tanh,
  sigmoid: A.sigmoid,
  // Keras 3: clip(x/6 + 1/2, 0, 1)
  hardSigmoid: A.hardSigmoid,
  // Keras 2 and TensorFlow.js: clip(0.2·x + 1/2, 0, 1) = hardSigmoid(1.2·x); what 'hard_sigmoid'
  // means in a TensorFlow.js file (TensorFlow.js's LSTM and GRU default recurrentActivation)
  hardSigmoidKeras2: (x) => A.hardSigmoid(A.mul(x, 1.2)),
  relu: A.relu,
  linear: A.linear,
  // over the last axis; the output carries its logits for the cross-entropy losses (engine/logits.ts)
  softmax: softmaxWithLogits,
  elu: A.elu,
  selu: A.selu,
  softplus: A.softplus,
};

/**
 * An activation from its name (camelCase or snake_case) or the function itself; null or undefined
 * is linear; an unknown name is refused with the list of known ones, naming `owner`.
 */
export function getActivation(spec: ActivationSpec | undefined, owner = 'activation'): ActivationFn {
  if (spec === null || spec === undefined) return A.linear;
  if (typeof spec === 'function') return spec;
  const f = byName[camel(spec)];
  if (!f) throw new Error(`${owner}: unknown activation '${spec}'; expected one of ${Object.keys(byName).join(', ')}, or a function`);
  return f;
}

/** The canonical name of an activation spec (for fused kernels that switch on it), or null for custom functions. */
export function activationName(spec: ActivationSpec | undefined): string | null {
  if (spec === null || spec === undefined) return 'linear';
  if (typeof spec === 'function') {
    for (const [k, f] of Object.entries(byName)) if (f === spec) return k;
    return null;
  }
  return camel(spec) in byName ? camel(spec) : null;
}
