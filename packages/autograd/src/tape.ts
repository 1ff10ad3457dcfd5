/**
 * The tape: reverse-mode automatic differentiation by recording.
 *
 * Glossary
 * - tape: a flat list of entries in execution order, one per differentiable op whose inputs
 *   depend on a watched tensor. Backward walks it from the end with a loop (no recursion, so a
 *   long unrolled sequence cannot overflow the stack; a fixed order, so float sums are
 *   reproducible).
 * - watched tensor: an input we want the gradient for (a weight, or an argument of `grad(f)`).
 *   A tensor is tracked when it is watched or computed from a tracked tensor.
 * - VJP (vector-Jacobian product): given dy = ∂L/∂y for an op's output y, the op's `vjp`
 *   returns ∂L/∂x = dyᵀ·∂y/∂x for each input x. Each op defines it beside its forward.
 * - saved tensors: whatever the VJP closure captures (for tanh, its output y). Nothing else is
 *   kept; the tape is dropped after backward, so repeated training steps do not grow memory.
 */
import { Tensor, add as addRaw, fmtShape, isLendingAllocations, lendAllocations, shapesEqual } from '@seqlab/tensor';

/** Computes the gradients of an op's inputs from the gradient of its output. */
export type Vjp = (dy: Tensor, needs: boolean[]) => (Tensor | null)[];

/**
 * VJP of an op with several outputs (a fused recurrent layer returns outputs and final states):
 * `dys[i]` is the gradient of output i, or null when nothing downstream used it.
 */
export type MultiVjp = (dys: (Tensor | null)[], needs: boolean[]) => (Tensor | null)[];

interface Entry {
  name: string;
  inputs: Tensor[];
  outputs: Tensor[];
  vjp: MultiVjp;
  /** Recorded inside tensor's `lendAllocations` (a training step's Dense layer, loss...): its VJP runs there too, and its gradients are step buffers. */
  lent: boolean;
}

class Tape {
  readonly entries: Entry[] = [];
  readonly tracked = new Set<Tensor>();
}

let current: Tape | null = null;

/** True while a gradient computation is recording (and not inside `noGrad`). */
export function isRecording(): boolean {
  return current !== null;
}

/** Number of entries on the active tape (0 when none): a probe for memory tests. */
export function tapeSize(): number {
  return current ? current.entries.length : 0;
}

/** One entry of the tape as `tapeEntries` lists it: the op's name and the shapes it read and wrote. */
export interface TapeEntryInfo {
  name: string;
  inputShapes: number[][];
  outputShapes: number[][];
}

/**
 * The entries on the active tape so far, in execution order (empty when nothing records): what
 * backward will walk, last entry first. For reading and teaching; call it inside `gradients`.
 *
 * @example
 *   gradients(() => {
 *     const y = sum(tanh(mul(x, 2)));
 *     tapeEntries().map((e) => e.name);   // ['mul', 'tanh', 'sum']
 *     return y;
 *   }, [x]);
 */
export function tapeEntries(): TapeEntryInfo[] {
  if (current === null) return [];
  return current.entries.map((e) => ({
    name: e.name,
    inputShapes: e.inputs.map((t) => t.shape.slice()),
    outputShapes: e.outputs.map((t) => t.shape.slice()),
  }));
}

/**
 * Records an op whose `output` was computed from `inputs`, if any input is tracked. Every
 * differentiable op calls this right after its forward, passing its VJP.
 */
export function record(name: string, inputs: Tensor[], output: Tensor, vjp: Vjp): Tensor {
  recordMulti(name, inputs, [output], (dys, needs) => vjp(dys[0] as Tensor, needs));
  return output;
}

/** Records an op with several outputs as one tape entry (one backward call for all of them). */
export function recordMulti(name: string, inputs: Tensor[], outputs: Tensor[], vjp: MultiVjp): Tensor[] {
  const tape = current;
  if (tape === null) return outputs;
  let any = false;
  for (const x of inputs) {
    if (tape.tracked.has(x)) {
      any = true;
      break;
    }
  }
  if (!any) return outputs;
  for (const o of outputs) tape.tracked.add(o);
  tape.entries.push({ name, inputs, outputs, vjp, lent: isLendingAllocations() });
  return outputs;
}

/** True when `t` depends on a watched tensor on the active tape. */
export function isTracked(t: Tensor): boolean {
  return current !== null && current.tracked.has(t);
}

/** Runs `fn` without recording anything (inference). */
export function noGrad<T>(fn: () => T): T {
  const saved = current;
  current = null;
  try {
    return fn();
  } finally {
    current = saved;
  }
}

/** What `gradients` returns: the value of the function and one gradient per watched tensor. */
export interface GradientsResult {
  value: Tensor;
  /** One gradient per watched tensor, same shape; zeros where the value does not depend on it. */
  grads: Tensor[];
}

/**
 * Runs `f` recording on a fresh tape, then back-propagates from its value (a scalar, or any
 * tensor with `dy` given) to each tensor of `wrt`.
 */
export function gradients(f: () => Tensor, wrt: Tensor[], dy?: Tensor): GradientsResult {
  const saved = current;
  const tape = new Tape();
  for (const w of wrt) tape.tracked.add(w);
  current = tape;
  let value: Tensor;
  try {
    value = f();
  } finally {
    current = saved;
  }
  if (!(value instanceof Tensor)) throw new Error('gradients: the function must return a Tensor');
  let seed = dy;
  if (seed === undefined) {
    if (value.size !== 1) {
      throw new Error(`gradients: the function must return a scalar, received shape ${fmtShape(value.shape)} (pass dy for non-scalar outputs)`);
    }
    seed = new Tensor(value.dtype === 'float64' ? new Float64Array([1]) : new Float32Array([1]), value.shape);
  } else if (!shapesEqual(seed.shape, value.shape)) {
    throw new Error(`gradients: dy shape ${fmtShape(seed.shape)} differs from the output shape ${fmtShape(value.shape)}`);
  }
  const grads = backward(tape, value, seed);
  const out = wrt.map((w) => {
    const g = grads.get(w);
    if (g) return g;
    return new Tensor(w.dtype === 'float64' ? new Float64Array(w.size) : new Float32Array(w.size), w.shape);
  });
  tape.entries.length = 0;
  tape.tracked.clear();
  return { value, grads: out };
}

function backward(tape: Tape, output: Tensor, seed: Tensor): Map<Tensor, Tensor> {
  const grads = new Map<Tensor, Tensor>();
  grads.set(output, seed);
  const entries = tape.entries;
  for (let e = entries.length - 1; e >= 0; e--) {
    const entry = entries[e];
    const dys = entry.outputs.map((o) => grads.get(o) ?? null);
    if (dys.every((d) => d === null)) continue;
    // an output's gradient is complete once its producer is reached: free it
    for (const o of entry.outputs) grads.delete(o);
    const needs = entry.inputs.map((x) => tape.tracked.has(x));
    const dxs = entry.lent ? lendAllocations(() => entry.vjp(dys, needs)) : entry.vjp(dys, needs);
    for (let i = 0; i < entry.inputs.length; i++) {
      const dx = dxs[i];
      if (!needs[i] || dx === null || dx === undefined) continue;
      const x = entry.inputs[i];
      if (!shapesEqual(dx.shape, x.shape)) {
        throw new Error(`${entry.name}: gradient shape ${fmtShape(dx.shape)} differs from input shape ${fmtShape(x.shape)} (a bug in the op's VJP)`);
      }
      const prev = grads.get(x);
      // fan-out: a tensor used twice receives the sum of both gradients
      grads.set(x, prev === undefined ? dx : addRaw(prev, dx));
    }
  }
  return grads;
}
