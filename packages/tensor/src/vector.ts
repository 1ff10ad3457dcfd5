/**
 * Vector activations for float32 buffers, in place over a range: σ, tanh and exp, the primitives
 * the fused recurrent kernels apply to their gate blocks.
 *
 * Math.exp costs ~10 ns and Math.tanh ~16 ns here. Where the result is stored as float32
 * (relative rounding 6e-8), exp can be computed to float32 accuracy more cheaply:
 * e^x = 2^n · e^r with n = round(x·log2 e) and r = x - n·ln 2 in [-ln2/2, ln2/2], e^r by its Taylor
 * polynomial of degree 7 (relative error < 1e-8 over the clamped range), 2^n exactly. `exp32` is
 * that, in float64, one value at a time (the readable reference and the 'js' kernels); the wasm
 * module (wasm/vector_kernel.ts) computes the same operations two lanes at a time, so both paths
 * give bit-identical float32 results and may be mixed freely.
 */
import { getKernels } from './kernels';
import { CLAMP, EXP_TAYLOR, EXP_MAX, EXP_MIN, LN2, LOG2E, VectorFn } from './wasm/vector_kernel';
import { vectorRowsWasm, vectorWasm } from './wasm/vector_wasm';
import { inArena } from './wasm/runtime';

export type { VectorFn };

const [C7, C6, C5, C4, C3, C2, C1, C0] = EXP_TAYLOR;
/** POW2[n + 160] = 2^n for n in [-160, 159]. */
const POW2 = new Float64Array(320).map((_, i) => Math.pow(2, i - 160));

/** e^z, relative error < 1e-8, for z in [EXP_MIN, EXP_MAX] (callers clamp). */
function expClamped(z: number): number {
  const n = Math.floor(z * LOG2E + 0.5);
  const r = z - n * LN2;
  const p = C0 + r * (C1 + r * (C2 + r * (C3 + r * (C4 + r * (C5 + r * (C6 + r * C7))))));
  return p * POW2[n + 160];
}

/**
 * e^x to float32 accuracy (relative error < 1e-8 before rounding to float32). x is clamped to
 * [-104, 89], beyond which the float32 result is 0 or Infinity anyway.
 */
export function exp32(x: number): number {
  return expClamped(x > EXP_MAX ? EXP_MAX : x < EXP_MIN ? EXP_MIN : x);
}

const clamp = (z: number): number => (z > CLAMP ? CLAMP : z < -CLAMP ? -CLAMP : z);

/** σ(x) = 1 / (1 + e⁻ˣ), e⁻ˣ clamped to [e⁻⁸⁰, e⁸⁰] (σ is saturated in float32 long before). */
export function sigmoid32(x: number): number {
  return 1 / (1 + expClamped(clamp(-x)));
}

/** tanh x = 1 - 2 / (e²ˣ + 1), 2x clamped to [-80, 80]. */
export function tanh32(x: number): number {
  return 1 - 2 / (expClamped(clamp(2 * x)) + 1);
}

/** Below this many values a range stays on the scalar loop (a wasm call and two copies cost ~0.2 µs). */
export const VECTOR_MIN = 32;

/**
 * buf[o .. o+n) = fn(buf[o .. o+n)) in place, for a float32 buffer: on wasm SIMD when the kernels
 * are 'wasm' and the range is long enough (or already in wasm memory), else the scalar loop;
 * bit-identical either way.
 * @example const g = Float32Array.of(-1, 0, 1); vectorActivate('sigmoid', g, 0, 3);  // [0.2689…, 0.5, 0.7310…]
 */
export function vectorActivate(fn: VectorFn, buf: Float32Array, o: number, n: number): void {
  if (getKernels() === 'wasm' && (n >= VECTOR_MIN || inArena(buf))) {
    const done = vectorWasm(fn, buf, o, n);
    o += done;
    n -= done;
  }
  const end = o + n;
  if (fn === 'sigmoid') for (let k = o; k < end; k++) buf[k] = sigmoid32(buf[k]);
  else if (fn === 'tanh') for (let k = o; k < end; k++) buf[k] = tanh32(buf[k]);
  else for (let k = o; k < end; k++) buf[k] = exp32(buf[k]);
}

/**
 * `vectorActivate` over `rows` rows of n values, row r at buf[o + r·stride ..) (a gate block of
 * every batch row of a step, the rows `stride` apart): one wasm call when the buffer is in wasm
 * memory, else row by row. The same values either way.
 */
export function vectorActivateRows(fn: VectorFn, buf: Float32Array, o: number, n: number, rows: number, stride: number): void {
  if (getKernels() === 'wasm' && vectorRowsWasm(fn, buf, o, n, rows, stride)) return;
  for (let r = 0; r < rows; r++) vectorActivate(fn, buf, o + r * stride, n);
}
