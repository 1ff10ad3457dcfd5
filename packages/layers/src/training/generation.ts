/**
 * Generating from a trained sequence model, as seed 001's character model does: a stateful twin
 * that steps one token at a time at batch 1 while sharing the trained weights, and seeded
 * sampling with temperature and top-k.
 */
import { Rng, Tensor, fmtShape } from '@seqlab/tensor';
import { input } from '../engine/input';
import { Layer } from '../engine/layer';
import type { SymbolicTensor } from '../engine/symbolic';
import { Sequential } from '../models/sequential';
import { RNN } from '../recurrent/rnn';

/** Options of `sample`: temperature, top-k, a seeded generator. */
export interface SampleOptions {
  /** Divides the logits before the softmax: < 1 sharper, > 1 flatter. Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or undefined: all). */
  topK?: number;
  /** The input holds probabilities rather than logits. Default false. */
  probabilities?: boolean;
  /** The generator to draw from (pass the same one across calls for a seeded sequence)... */
  rng?: Rng;
  /** ...or a seed for a fresh one. */
  seed?: number;
}

/**
 * Draws one token id per row of `scores` ([C] or [B, C]):
 *   p_j ∝ exp(z_j / temperature) over the top-k scores (probabilities: p_j^(1/temperature)).
 * Returns a number for 1-D input, else one id per row.
 */
export function sample(scores: Tensor, options: SampleOptions = {}): number | number[] {
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`sample: temperature must be positive, received ${temperature}`);
  if (scores.rank !== 1 && scores.rank !== 2) throw new Error(`sample: expected scores [classes] or [batch, classes], received ${fmtShape(scores.shape)}`);
  const c = scores.shape[scores.rank - 1];
  const k = options.topK && options.topK > 0 ? Math.min(options.topK, c) : c;
  const rng = options.rng ?? new Rng(options.seed ?? 0);
  const rows = scores.size / c;
  const out: number[] = [];
  const logits = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < c; j++) {
      const v = scores.data[r * c + j];
      logits[j] = (options.probabilities ? Math.log(Math.max(v, 0)) : v) / temperature;
    }
    // the k largest, best first (ties keep the lower id first)
    const order = Array.from({ length: c }, (_, j) => j).sort((a, b) => logits[b] - logits[a] || a - b).slice(0, k);
    const m = logits[order[0]];
    const weights = order.map((j) => Math.exp(logits[j] - m));
    const total = weights.reduce((s, w) => s + w, 0);
    let u = rng.next() * total;
    let pick = order[order.length - 1];
    for (let i = 0; i < order.length; i++) {
      u -= weights[i];
      if (u < 0) {
        pick = order[i];
        break;
      }
    }
    out.push(pick);
  }
  return scores.rank === 1 ? out[0] : out;
}

/** Options of `statefulTwin`. */
export interface StatefulTwinOptions {
  /** Batch size of the twin. Default 1. */
  batchSize?: number;
}

/**
 * A stateful copy of a Sequential model for stepping through a sequence a few tokens at a time:
 * recurrent layers are recreated with `stateful: true` at `batchSize` and share the trained
 * weight tensors (training the original changes the twin too); every other layer is shared as is.
 * The time axis is left open, so the twin accepts one step or many.
 */
export function statefulTwin(model: Sequential, options: StatefulTwinOptions = {}): Sequential {
  const batchSize = options.batchSize ?? 1;
  if (model.outputs.length === 0) throw new Error(`statefulTwin: ${model.label} has not been built yet`);
  const shape = model.inputs[0].shape;
  const layers: (Layer | SymbolicTensor)[] = [input({ batchShape: [batchSize, null, ...shape.slice(2)] })];
  const pairs: [RNN, RNN][] = [];
  for (const layer of model.layers) {
    if (layer instanceof RNN) {
      const twin = layer.recreate({ name: `${layer.name}_stateful`, stateful: true, batchInputShape: undefined, inputShape: undefined });
      pairs.push([layer, twin]);
      layers.push(twin);
    } else layers.push(layer);
  }
  const twin = new Sequential({ name: `${model.name}_stateful`, layers });
  for (const [original, copy] of pairs) {
    // share the weight tensors themselves: in-place optimizer updates reach both
    original.weights.forEach((w, i) => (copy.weights[i].value = w.value));
  }
  return twin;
}
