/**
 * The Adam update of one variable (Kingma & Ba, Keras form), for the optimizer in @seqlab/layers:
 *
 *   m ← β₁m + (1-β₁)g;  v ← β₂v + (1-β₂)g²;  (amsgrad: v̂ ← max(v̂, v))
 *   w ← w - α·m/(√v + ε)          (√v̂ with amsgrad), α = α_t = lr·√(1-β₂ᵗ)/(1-β₁ᵗ)
 *
 * `adamUpdateJs` is the reference, a scalar loop in float64. `adamUpdate` runs the wasm kernel
 * (wasm/adam_kernel.ts: f64x2 lanes, the same float64 operations in the same order, so the same
 * bits) when the kernels are 'wasm', w and g are float32 and the slots live in a `slotStore`'s wasm
 * memory; anything else (the 'js' kernels, float64 weights for gradient checks) runs the reference.
 */
import { getKernels } from './kernels';
import type { DataArray } from './tensor';
import { WasmSlots } from './wasm/adam_wasm';
import { simdAvailable } from './wasm/runtime';

/** One Adam step's numbers: α_t (the bias-corrected learning rate), β₁, β₂, ε. */
export interface AdamStep {
  alpha: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Where an optimizer keeps its float64 slots, by variable (a Map is one). `slotStore()` makes one. */
export interface SlotStore<K> {
  /** The key's slot buffers (the current views, in a wasm memory), or undefined before its first `set`. */
  get(key: K): Float64Array[] | undefined;
  /** Makes `arrays` the key's slot buffers: copies their values in (a Map keeps the arrays themselves). */
  set(key: K, arrays: Float64Array[]): unknown;
}

/**
 * A store for an optimizer's slots: in a wasm memory of its own where the engine validates SIMD
 * (so that `adamUpdate` works them in place; a buffer from `get` is valid until the next `set`),
 * else a Map.
 */
export function slotStore<K>(): SlotStore<K> {
  return simdAvailable() ? new WasmSlots<K>() : new Map<K, Float64Array[]>();
}

/**
 * The reference Adam step: `slots` are [m, v] or (amsgrad) [m, v, v̂]. Every value is float64; a
 * float32 w is rounded once, at the store.
 */
export function adamUpdateJs(w: DataArray, g: DataArray, slots: Float64Array[], step: AdamStep): void {
  const [m, v, vhat] = slots;
  const { alpha, beta1: b1, beta2: b2, epsilon: eps } = step;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i];
    m[i] += (gi - m[i]) * (1 - b1);
    v[i] += (gi * gi - v[i]) * (1 - b2);
    let denom = v[i];
    if (vhat) {
      if (v[i] > vhat[i]) vhat[i] = v[i];
      denom = vhat[i];
    }
    w[i] -= (alpha * m[i]) / (Math.sqrt(denom) + eps);
  }
}

/**
 * One Adam step of w in place with gradient g, `slots` [m, v] or [m, v, v̂] from `store`: on the wasm
 * kernel where it applies (see the header), else `adamUpdateJs`; bit-identical either way.
 * @example
 *   const store = slotStore<string>();
 *   store.set('w', [new Float64Array(w.length), new Float64Array(w.length)]);
 *   adamUpdate(w, g, store.get('w')!, { alpha: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, store);
 */
export function adamUpdate(w: DataArray, g: DataArray, slots: Float64Array[], step: AdamStep, store?: SlotStore<unknown>): void {
  if (slots.length < 2 || slots.some((s) => s.length !== w.length) || g.length !== w.length) {
    throw new RangeError(`adamUpdate: expected g and 2 or 3 slots of ${w.length} values, received g of ${g.length} and slots of [${slots.map((s) => s.length).join(', ')}]`);
  }
  if (getKernels() === 'wasm' && store instanceof WasmSlots && w instanceof Float32Array && g instanceof Float32Array && slots.every((s) => store.holds(s))) {
    store.adam(w, g, slots, step.alpha, 1 - step.beta1, 1 - step.beta2, step.epsilon);
  } else {
    adamUpdateJs(w, g, slots, step);
  }
}
