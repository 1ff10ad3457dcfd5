/**
 * Inputs and weights for the exchange tests (TensorFlow.js and ONNX): post-padded sequences,
 * whose masks mark a prefix of each row, and every weight of a model drawn at random, so that no
 * weight can be swapped or left out unseen.
 */
import * as T from '@seqlab/tensor';
import { Rng, Tensor } from '@seqlab/tensor';
import type { Model } from '@seqlab/layers';

/** Ids in [1, vocab) with row b's last `b mod len` steps set to 0 (padding). */
export function postPaddedIds(rng: Rng, batch: number, len: number, vocab: number): Tensor {
  const x = T.zeros([batch, len]);
  for (let b = 0; b < batch; b++) for (let t = 0; t < len - (b % len); t++) x.data[b * len + t] = 1 + Math.floor(rng.uniform() * (vocab - 1));
  return x;
}

/** N(0, 1) features with row b's last `b mod len` steps set to `maskValue`. */
export function postPaddedFloats(rng: Rng, batch: number, len: number, features: number, maskValue = 0): Tensor {
  const x = T.randomNormal([batch, len, features], 0, 1, { rng });
  for (let b = 0; b < batch; b++) x.data.fill(maskValue, (b * len + len - (b % len)) * features, (b + 1) * len * features);
  return x;
}

/** N(0, 0.5) for every weight; U(0.5, 1.5) for moving variances (they must stay positive). */
export function randomizeWeights(model: Model, rng: Rng): void {
  model.setWeights(model.weights.map((v) => (v.name.endsWith('moving_variance') ? T.randomUniform(v.shape, 0.5, 1.5, { rng }) : T.randomNormal(v.shape, 0, 0.5, { rng }))));
}
