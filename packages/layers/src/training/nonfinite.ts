/**
 * Where a NaN or an infinity comes from, for the batch log's `nan_report` and for steps that are
 * not applied: the model's inputs first (an infinite input is blamed on the input, never on the
 * weights), then each layer in graph order, its weights, then its output; inside a recurrent layer
 * the first bad timestep, always in input order (a `goBackwards` layer processes step k at input
 * timestep T-1-k; a `Bidirectional` layer is searched in both directions). When the forward pass
 * and the loss are finite and only the gradients are not, `backwardWhere` re-runs the step and
 * finds where the backward pass first became non-finite.
 */
import { Variable, record, recordMulti } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import type { Layer } from '../engine/layer';
import { TwoDirections, twoDirections } from '../recurrent/directions';
import { RNN } from '../recurrent/rnn';
import { SequenceWatch, withSequenceWatch } from '../recurrent/sequence_watch';

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
  return badStepRange(t)?.[0] ?? null;
}

/** The first and last index along axis 1 of a [B, T, ...] tensor holding a NaN or infinity, or null (also for other ranks). */
export function badStepRange(t: Tensor): [number, number] | null {
  if (t.rank < 3) return null;
  const [b, steps] = t.shape;
  const inner = t.size / (b * steps);
  const bad = (s: number): boolean => {
    for (let i = 0; i < b; i++) {
      const base = (i * steps + s) * inner;
      for (let k = 0; k < inner; k++) if (!Number.isFinite(t.data[base + k])) return true;
    }
    return false;
  };
  let first = 0;
  while (first < steps && !bad(first)) first++;
  if (first === steps) return null;
  let last = steps - 1;
  while (!bad(last)) last--;
  return [first, last];
}

/** The first bad input timestep of a recurrent layer's run over `x`, or null. */
function rnnBadTimestep(layer: RNN, x: Tensor, mask: Tensor | null): number | null {
  const steps = layer.stepOutputs(x, mask); // [B, T, H] in processing order
  const k = firstBadStep(steps);
  if (k === null) return null;
  return layer.goBackwards ? steps.shape[1] - 1 - k : k;
}

/** " at input timestep t", with the processing step of a layer that runs backwards. */
function atTimestep(layer: RNN, t: number, steps: number): string {
  return ` at input timestep ${t}${layer.goBackwards ? ` (it runs backwards: that is its processing step ${steps - 1 - t})` : ''}`;
}

/** " at input timestep t" for a recurrent layer (both directions of a Bidirectional), or ''. */
export function recurrentWhere(layer: Layer, x: Tensor | Tensor[], mask: Tensor | null): string {
  if (Array.isArray(x)) return '';
  if (layer instanceof RNN) {
    const t = rnnBadTimestep(layer, x, mask);
    return t === null ? '' : atTimestep(layer, t, x.shape[1]);
  }
  const both = twoDirections(layer);
  if (both) {
    const f = rnnBadTimestep(both.forwardLayer, x, mask);
    const b = rnnBadTimestep(both.backwardLayer, x, mask);
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

// ---------------------------------------------------------------------------------------------
// The backward pass: a step whose forward pass and loss are finite but whose gradients are not

/** A recurrent layer of a model, with the Bidirectional that runs it (or null). */
interface RecurrentPlace {
  layer: RNN;
  owner: TwoDirections | null;
}

/** Every recurrent layer of `layers`, nested models and both directions of a Bidirectional included. */
function recurrentPlaces(layers: Layer[]): RecurrentPlace[] {
  const out: RecurrentPlace[] = [];
  for (const l of layers) {
    const both = twoDirections(l);
    if (l instanceof RNN) out.push({ layer: l, owner: null });
    else if (both) out.push({ layer: both.forwardLayer, owner: both }, { layer: both.backwardLayer, owner: both });
    else if (Array.isArray((l as { layers?: unknown }).layers)) out.push(...recurrentPlaces((l as unknown as { layers: Layer[] }).layers));
  }
  return out;
}

/**
 * What a diagnostic re-run of a step changes and must put back: the carried states of stateful
 * recurrent layers and the non-trainable weights (moving statistics).
 */
export interface ModelSideState {
  states: { layer: RNN; states: Tensor[] }[];
  frozen: { variable: Variable; value: Tensor }[];
}

/** A copy of what a forward pass in training mode changes besides its outputs (see ModelSideState). */
export function sideState(layers: Layer[]): ModelSideState {
  const states = recurrentPlaces(layers)
    .filter((p) => p.layer.stateful)
    .map((p) => ({ layer: p.layer, states: p.layer.getStates() }));
  const frozen = layers.flatMap((l) => l.nonTrainableWeights).map((variable) => ({ variable, value: variable.value.clone() }));
  return { states, frozen };
}

/** Puts back what `sideState` copied. */
export function restoreSideState(s: ModelSideState): void {
  for (const { layer, states } of s.states) if (states.length) layer.setStates(states);
  for (const { variable, value } of s.frozen) variable.assign(value);
}

/** One recurrent run seen by the watch of `backwardWhere`. */
interface WatchedRun {
  layer: RNN;
  /** Whether every gradient reaching the layer's outputs and final states was finite. */
  upstreamFinite: boolean;
  /** ∂L/∂x [B, T, I], in input order. */
  dx: Tensor | null;
}

/**
 * Where the backward pass of a step first became non-finite, for a step whose forward pass and loss
 * are finite. `rerun` runs the step's forward and backward again (on the diagnostic path only:
 * nothing of this runs while training goes well), with the model's inputs watched, so that every
 * recurrent layer computes the gradient of its input. Backward reaches the recurrent layers last
 * to first; the first one that receives finite gradients at its outputs but sends a non-finite
 * one to its input is where the overflow happened, and the timestep is where BPTT first met it:
 * dx_t = dG_t·Wᵀ is non-finite wherever the step's gate gradient dG_t is (an infinity times a
 * weight stays infinite or becomes NaN; dx_t may also overflow by itself, a step where the
 * gradient stops being finite as well), and BPTT walks the processing steps from the last, so
 * the first bad step it met is the last bad processing step (in input order: the last bad
 * timestep, or the first with goBackwards). Null when no recurrent layer is the origin (the
 * gradient was already non-finite where it reached the last recurrent layer, or overflowed only
 * in a sum over all steps).
 */
export function backwardWhere(layers: Layer[], rerun: () => void): string | null {
  const reached: WatchedRun[] = []; // in the order backward reached each layer's input
  const watch: SequenceWatch = (layer, x, run) => {
    const seen: WatchedRun = { layer, upstreamFinite: true, dx: null };
    const xw = record('watchSequenceInput', [x], T.reshape(x, x.shape), (dy) => {
      seen.dx = dy;
      reached.push(seen);
      return [dy];
    });
    const r = run(xw);
    const outs = [r.output, ...r.states];
    const watched = recordMulti('watchSequenceOutputs', outs, outs.map((o) => T.reshape(o, o.shape)), (dys) => {
      seen.upstreamFinite = dys.every((d) => d === null || allFinite(d));
      return dys;
    });
    return { output: watched[0], states: watched.slice(1) };
  };
  withSequenceWatch(watch, rerun);
  const origin = reached.find((r) => r.dx !== null && !allFinite(r.dx));
  if (!origin || !origin.upstreamFinite) return null;
  const range = badStepRange(origin.dx as Tensor);
  if (range === null) return null;
  const { layer } = origin;
  const t = layer.goBackwards ? range[0] : range[1];
  const steps = (origin.dx as Tensor).shape[1];
  const owner = recurrentPlaces(layers).find((p) => p.layer === layer)?.owner ?? null;
  const where = owner
    ? `${owner.label} (${layer === owner.forwardLayer ? 'forward' : 'backward'} layer at input timestep ${t})`
    : `${layer.label}${atTimestep(layer, t, steps)}`;
  return `NaN or infinity first appears in the backward pass, in ${where}.`;
}
