/**
 * Losses, as Keras defines them. Each returns the loss per sample (or per timestep for sequence
 * outputs): the last axis is reduced, the rest is kept, so masks and sample weights can be applied
 * before the mean. Probabilities are clipped to [1e-7, 1 - 1e-7] as Keras does; the `fromLogits`
 * forms use the stable log-sum-exp identities instead.
 *
 * Predictions made by the 'softmax' activation carry their logits (engine/logits.ts); the
 * categorical cross-entropies then compute from those, as Keras with the TensorFlow backend does
 * (`_keras_logits`): one fused op, loss = lse(z) - Σ y·z (sparse: lse(z) - z_label), gradient
 * (Σy·softmax(z) - y)·g, with the probabilities and log-sum-exps the activation computed (the softmax
 * is not computed a second time). This differs from the clipped formula only where a probability is clipped
 * (p < 1e-7 or p > 1 - 1e-7): there the clipped loss is capped at -log(1e-7) ≈ 16.1 (or floored at
 * -log(1 - 1e-7)) with a zero gradient, while the logits give the exact loss and gradient.
 */
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor, fmtShape } from '@seqlab/tensor';
import { logitsOf, softmaxOf } from '../engine/logits';
import { camel } from '../initializers';

/** Keras's backend epsilon: probabilities are clipped into [EPSILON, 1 - EPSILON] before a log. */
export const EPSILON = 1e-7;

/** A loss: the per-sample loss of targets and predictions, `[batch]` (fit weights and averages it). */
export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

/** Options of the cross-entropy losses: `fromLogits` (predictions are logits, not probabilities). */
export interface LossOptions {
  fromLogits?: boolean;
}

/**
 * Labels in the predictions' shape. As Keras does, labels [n] against predictions [n, 1] (one
 * output unit) get the trailing axis added; anything else must match exactly.
 */
function alignLabels(name: string, yTrue: Tensor, yPred: Tensor): Tensor {
  const y = yTrue.rank === yPred.rank - 1 && yPred.shape[yPred.rank - 1] === 1 ? T.reshape(yTrue, [...yTrue.shape, 1]) : yTrue;
  const ok = y.rank === yPred.rank && y.shape.every((d, i) => d === yPred.shape[i]);
  if (!ok) throw new Error(`${name}: labels of shape ${fmtShape(yTrue.shape)} do not match predictions of shape ${fmtShape(yPred.shape)}`);
  return y;
}

function inRange(name: string, y: Tensor, lo: number, hi: number): void {
  for (let i = 0; i < y.size; i++) {
    const v = y.data[i];
    if (!(v >= lo && v <= hi)) throw new Error(`${name}: labels must be in [${lo}, ${hi}], received ${v} at flat position ${i}`);
  }
}

/**
 * BCE = -[y·log p + (1 - y)·log(1 - p)], mean over the last axis.
 * From logits z: max(z, 0) - z·y + log(1 + e^{-|z|}).
 */
export function binaryCrossentropy(options: LossOptions = {}): LossFn {
  return named('binaryCrossentropy', (labels, yPred) => {
    const yTrue = alignLabels('binaryCrossentropy', labels, yPred);
    inRange('binaryCrossentropy', yTrue, 0, 1);
    let per: Tensor;
    if (options.fromLogits) {
      const z = yPred;
      per = A.add(A.sub(A.relu(z), A.mul(z, yTrue)), A.softplus(A.neg(A.abs(z))));
    } else {
      const p = A.clip(yPred, EPSILON, 1 - EPSILON);
      per = A.neg(A.add(A.mul(yTrue, A.log(p)), A.mul(A.sub(1, yTrue), A.log(A.sub(1, p)))));
    }
    return A.mean(per, -1);
  });
}

/**
 * The logits a categorical cross-entropy computes from: the predictions themselves with
 * `fromLogits`, else those a softmax's output carries, with the softmax it kept (not computed
 * again); null when there are none (the clipped formula then).
 */
function logitsFor(yPred: Tensor, options: LossOptions): { z: Tensor; softmax?: A.SoftmaxOfLogits } | null {
  if (options.fromLogits) return { z: yPred };
  const z = logitsOf(yPred);
  return z === null ? null : { z, softmax: softmaxOf(yPred) ?? undefined };
}

/**
 * CCE = -Σ_c y_c·log p_c with p normalized to sum 1 (Keras) and clipped; from logits (given, or
 * carried by a softmax's output): -Σ y·logSoftmax(z), the labels as given.
 */
export function categoricalCrossentropy(options: LossOptions = {}): LossFn {
  return named('categoricalCrossentropy', (labels, yPred) => {
    const yTrue = alignLabels('categoricalCrossentropy', labels, yPred);
    const l = logitsFor(yPred, options);
    if (l) return A.softmaxCrossentropy(l.z, yTrue, l.softmax);
    const p = A.div(yPred, A.sum(yPred, -1, true));
    const logp = A.log(A.clip(p, EPSILON, 1 - EPSILON));
    return A.neg(A.sum(A.mul(yTrue, logp), -1));
  });
}

/** Sparse CCE: integer labels of shape S (or S + [1]) against predictions S + [C]; from logits as categoricalCrossentropy. */
export function sparseCategoricalCrossentropy(options: LossOptions = {}): LossFn {
  return named('sparseCategoricalCrossentropy', (yTrue, yPred) => {
    const c = yPred.shape[yPred.rank - 1];
    let labels = yTrue;
    if (labels.rank === yPred.rank && labels.shape[labels.rank - 1] === 1) labels = T.reshape(labels, labels.shape.slice(0, -1));
    const expected = yPred.shape.slice(0, -1);
    if (labels.rank !== expected.length || labels.shape.some((d, i) => d !== expected[i])) {
      throw new Error(`sparseCategoricalCrossentropy: labels of shape ${fmtShape(yTrue.shape)} do not match predictions of shape ${fmtShape(yPred.shape)} (expected labels ${fmtShape(expected)})`);
    }
    for (let i = 0; i < labels.size; i++) {
      const v = labels.data[i];
      if (!Number.isInteger(v) || v < 0 || v >= c) {
        throw new Error(`sparseCategoricalCrossentropy: labels must be integers in [0, ${c}), received ${v} at flat position ${i}`);
      }
    }
    const l = logitsFor(yPred, options);
    if (l) return A.sparseSoftmaxCrossentropy(l.z, labels, l.softmax);
    const onehot = T.oneHot(labels, c).cast(yPred.dtype);
    return A.neg(A.sum(A.mul(onehot, A.log(A.clip(yPred, EPSILON, 1 - EPSILON))), -1));
  });
}

/** MSE = mean over the last axis of (y - ŷ)². */
export function meanSquaredError(): LossFn {
  return named('meanSquaredError', (labels, yPred) => {
    const yTrue = alignLabels('meanSquaredError', labels, yPred);
    return A.mean(A.square(A.sub(yPred, yTrue)), -1);
  });
}

/** MAE = mean over the last axis of |y - ŷ|. */
export function meanAbsoluteError(): LossFn {
  return named('meanAbsoluteError', (labels, yPred) => {
    const yTrue = alignLabels('meanAbsoluteError', labels, yPred);
    return A.mean(A.abs(A.sub(yPred, yTrue)), -1);
  });
}

const byName: Record<string, () => LossFn> = {
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
  meanSquaredError,
  mse: meanSquaredError,
  meanAbsoluteError,
  mae: meanAbsoluteError,
};

/** Marks a loss function with its canonical name, so compile knows a loss object's kind (its label checks and 'accuracy'). */
function named(name: string, fn: LossFn): LossFn {
  return Object.assign(fn, { lossName: name });
}

/** A loss by name ('mse', 'binaryCrossentropy', 'sparse_categorical_crossentropy', ...) or a function. */
export type LossSpec = string | LossFn;

/** The canonical name of a loss ('binaryCrossentropy'), or null for a custom function. */
export function lossName(spec: LossSpec): string | null {
  if (typeof spec !== 'string') return (spec as { lossName?: string }).lossName ?? null;
  const n = camel(spec);
  return n === 'mse' ? 'meanSquaredError' : n === 'mae' ? 'meanAbsoluteError' : n;
}

/**
 * A loss function from its name (camelCase or snake_case) or the function itself; an unknown name
 * is refused with the list of known ones.
 */
export function getLoss(spec: LossSpec): LossFn {
  if (typeof spec === 'function') return spec;
  const make = byName[camel(spec)];
  if (!make) throw new Error(`compile: unknown loss '${spec}'; expected one of ${Object.keys(byName).join(', ')}, or a function`);
  const fn = make();
  (fn as { lossName?: string }).lossName = lossName(spec) ?? undefined;
  return fn;
}

/**
 * Reduces per-sample (or per-timestep) losses l to a scalar as Keras's "sum_over_batch_size":
 * Σ w·m·l / Σ m, where w are sample weights (1 when absent) and m the output mask (1 when absent,
 * so the divisor is the number of entries). Keras 3 likewise divides a masked loss by the number of
 * unmasked entries.
 */
export function reduceLoss(perSample: Tensor, sampleWeights: Tensor | null, mask: Tensor | null): Tensor {
  if (!sampleWeights && !mask) return A.mean(perSample);
  let w: Tensor = T.ones(perSample.shape, { dtype: perSample.dtype });
  if (sampleWeights) w = T.mul(w, T.reshape(sampleWeights, [sampleWeights.size, ...perSample.shape.slice(1).map(() => 1)]));
  if (mask) w = T.mul(w, mask);
  const count = mask ? T.sum(mask).item() : perSample.size;
  return A.div(A.sum(A.mul(perSample, w)), Math.max(count, 1e-12));
}
