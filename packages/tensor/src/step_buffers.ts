/**
 * Buffers lent for one training step.
 *
 * Some large arrays of a training step are new every step and dead once the optimizer has applied
 * the update: the embedding's looked-up rows and its gradient, a Dense layer's products, the
 * loss's arrays, a recurrent layer's output sequence and gradients. A fresh array costs its page
 * faults on first touch (a 3.2 MB array filled once: 1.5 to 13.4 ms on the virtual machine
 * measured, 0.07 ms when it was in use before), so the trainer runs each step inside
 * `withStepBuffers` (so does evaluate, each batch), and the code that makes such an array takes it
 * with `stepBuffer` (or hands over a pooled buffer it owns with `lendToStep`): when the step ends,
 * all of them go back to the buffer pool (buffer_pool.ts), and the next step gets the same memory,
 * already mapped.
 *
 * The contract is the caller's: only an array that nothing keeps beyond the step may be lent. The
 * built-in sites are forward values that only the step's later layers and backward read, and
 * gradients, which the trainer alone sees. What the trainer hands on (the step's predictions, to
 * a user's loss or metric) it takes back from the step (`keepFromStep`). Outside a step (predict,
 * `gradients` called directly) `stepBuffer` is a plain new array and nothing is lent.
 *
 * Code all of whose arrays die with the step runs inside `lendAllocations` instead: every array
 * `allocLike` makes there is a step buffer (a Dense layer, the loss; the tape runs the VJPs of
 * the ops recorded there the same way).
 *
 * `setStepBufferMode('poison')` fills every buffer with NaN as it goes back: a test that reads a
 * value recycled too early, or a buffer taken unzeroed that is not overwritten whole, sees NaN.
 * The same mode fills with NaN the parts of a wasm workspace taken unzeroed (`wasmWorkspace`).
 */
import { POOL_MIN_VALUES, Pooled, giveBack, takeBuffer } from './buffer_pool';
import { getThreads, sharedBuffer } from './parallel';
import { DType, DataArray, setArraySource } from './tensor';

/** 'reuse' (the default): lent buffers go back to the pool at the end of the step; 'fresh': nothing is lent (every `stepBuffer` is a new array); 'poison': as 'reuse', and every buffer is filled with NaN as it goes back. */
export type StepBufferMode = 'reuse' | 'fresh' | 'poison';

let mode: StepBufferMode = 'reuse';
/** The buffers lent to each open step, innermost last. */
const steps: Pooled[][] = [];

/** What the innermost open step has lent, or null: no step is open, or the mode lends nothing ('fresh'). */
function innermost(): Pooled[] | null {
  return steps.length === 0 || mode === 'fresh' ? null : steps[steps.length - 1];
}

/**
 * Runs `fn` (synchronous) as one step: what is lent while it runs goes back to the pool when it
 * returns or throws. Steps nest; a buffer goes back with the innermost step open when it was lent.
 */
export function withStepBuffers<T>(fn: () => T): T {
  const lent: Pooled[] = [];
  steps.push(lent);
  try {
    return fn();
  } finally {
    steps.pop();
    if (mode === 'poison') for (const a of lent) a.fill(NaN); // (integer arrays: 0)
    giveBack(...lent);
  }
}

/**
 * A zeroed array of `n` values (`zeroed` false: whatever its last user left in it, for a caller
 * that overwrites it whole) that lives until the current step ends: from the buffer pool when a
 * step is open and the array is large enough to be pooled, else a new array (never lent).
 * With more than one thread it is on a SharedArrayBuffer: a product the pool splits then hands
 * it to the workers as it is, where a plain array would be copied for them (their band of it in,
 * their band of the result back) on the calling thread, while the workers wait.
 */
export function stepBuffer(dtype: DType, n: number, zeroed = true): DataArray {
  const lent = n >= POOL_MIN_VALUES ? innermost() : null;
  // not allocLike: inside `lendAllocations` it comes back here
  if (lent === null) return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  const a = takeBuffer(dtype, n, getThreads() > 1 ? sharedBuffer : null, zeroed);
  lent.push(a);
  return a;
}

let lending = false;

/**
 * Runs `fn` (synchronous) with every array `allocLike` makes taken by `stepBuffer`, lent to the
 * open step: for code all of whose arrays die with the step (a Dense layer's products and
 * activation, a loss). The tape runs the VJPs of the ops recorded here the same way
 * (autograd's tape.ts), so their gradients are lent too. Outside a step, or in 'fresh' mode, it
 * only runs `fn`.
 */
export function lendAllocations<T>(fn: () => T): T {
  if (lending || innermost() === null) return fn();
  const prev = setArraySource(stepBuffer);
  lending = true;
  try {
    return fn();
  } finally {
    lending = false;
    setArraySource(prev);
  }
}

/** True inside `lendAllocations` within a step: what `allocLike` makes now is lent to the step. */
export function isLendingAllocations(): boolean {
  return lending;
}

/**
 * Lends `a`, a buffer taken from the pool by the caller, to the current step: the step gives it
 * back when it ends, and the caller must not. False (and nothing changes) when no step is open or
 * the mode is 'fresh': the caller still owns it.
 */
export function lendToStep(a: Pooled): boolean {
  const lent = innermost();
  lent?.push(a);
  return lent !== null;
}

/** Takes the buffer under `a` (an array or a view) back from the open steps, if it was lent: it will not be recycled (it outlives the step). */
export function keepFromStep(a: DataArray): void {
  for (const lent of steps) {
    const i = lent.findIndex((b) => b.buffer === a.buffer);
    if (i >= 0) lent.splice(i, 1);
  }
}

/** How step buffers behave now (see `StepBufferMode`). */
export function stepBufferMode(): StepBufferMode {
  return mode;
}

/** Sets how step buffers behave (see `StepBufferMode`); returns the previous mode. */
export function setStepBufferMode(m: StepBufferMode): StepBufferMode {
  if (m !== 'reuse' && m !== 'fresh' && m !== 'poison') throw new Error(`setStepBufferMode: expected 'reuse', 'fresh' or 'poison', received ${String(m)}`);
  const prev = mode;
  mode = m;
  return prev;
}
