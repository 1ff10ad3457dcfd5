/**
 * Where a NaN or an infinity comes from, for the batch log's `nan_report` and for steps that are
 * not applied: the model's inputs first (an infinite input is blamed on the input, never on the
 * weights), then each layer in graph order, its weights, then its output; inside a recurrent layer
 * the first bad timestep, always in input order (a `goBackwards` layer processes step k at input
 * timestep T-1-k; a `Bidirectional` layer is searched in both directions).
 */
import type { Variable } from '@seqlab/autograd';
import { Tensor } from '@seqlab/tensor';
import type { Layer } from '../engine/layer';
import { Bidirectional } from '../recurrent/bidirectional';
import { RNN } from '../recurrent/rnn';

export function allFinite(t: Tensor): boolean {
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return false;
  return true;
}

/** The index (one per axis) of the first NaN or infinity of `t`, or null. */
export function firstBadIndex(t: Tensor): number[] | null {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (Number.isFinite(d[i])) continue;
    const index: number[] = [];
    let rest = i;
    for (let a = t.rank - 1; a >= 0; a--) {
      index.unshift(rest % t.shape[a]);
      rest = Math.floor(rest / t.shape[a]);
    }
    return index;
  }
  return null;
}

/** The first index along axis 1 of a [B, T, ...] tensor holding a NaN or infinity, or null for other ranks. */
export function firstBadStep(t: Tensor): number | null {
  if (t.rank < 3) return null;
  const [b, steps] = t.shape;
  const inner = t.size / (b * steps);
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < b; i++) {
      const base = (i * steps + s) * inner;
      for (let k = 0; k < inner; k++) if (!Number.isFinite(t.data[base + k])) return s;
    }
  }
  return null;
}

/** The first bad input timestep of a recurrent layer's run over `x`, or null. */
function rnnBadTimestep(layer: RNN, x: Tensor, mask: Tensor | null): number | null {
  const steps = layer.stepOutputs(x, mask); // [B, T, H] in processing order
  const k = firstBadStep(steps);
  if (k === null) return null;
  return layer.goBackwards ? steps.shape[1] - 1 - k : k;
}

/** " at input timestep t" for a recurrent layer (both directions of a Bidirectional), or ''. */
export function recurrentWhere(layer: Layer, x: Tensor | Tensor[], mask: Tensor | null): string {
  if (Array.isArray(x)) return '';
  if (layer instanceof RNN) {
    const t = rnnBadTimestep(layer, x, mask);
    return t === null ? '' : ` at input timestep ${t}${layer.goBackwards ? ' (it runs backwards: that is its processing step ' + (x.shape[1] - 1 - t) + ')' : ''}`;
  }
  if (layer instanceof Bidirectional) {
    const f = rnnBadTimestep(layer.forwardLayer, x, mask);
    const b = rnnBadTimestep(layer.backwardLayer, x, mask);
    const parts = [f === null ? null : `forward layer at input timestep ${f}`, b === null ? null : `backward layer at input timestep ${b}`].filter((p) => p !== null);
    return parts.length ? ` (${parts.join('; ')})` : '';
  }
  return '';
}

/** "input i at [b, t, ...]" for the first model input holding a NaN or infinity, or null. */
export function badInputReport(inputs: Tensor[]): string | null {
  for (let i = 0; i < inputs.length; i++) {
    const at = firstBadIndex(inputs[i]);
    if (at) return `NaN or infinity is in the data, not the weights: input ${i} holds ${inputs[i].data[flat(inputs[i], at)]} at [${at.join(', ')}].`;
  }
  return null;
}

function flat(t: Tensor, index: number[]): number {
  let o = 0;
  for (let a = 0; a < index.length; a++) o = o * t.shape[a] + index[a];
  return o;
}

/** The weights whose gradients hold a NaN or infinity (none: an empty list). */
export function nonFiniteGradients(vars: Variable[], grads: Tensor[]): string[] {
  const bad: string[] = [];
  grads.forEach((g, i) => {
    if (!allFinite(g)) bad.push(vars[i].name);
  });
  return bad;
}
