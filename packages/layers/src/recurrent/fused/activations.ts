/**
 * Activations of the fused kernels by code (the hot loops switch on a small integer, no closure
 * per element), applied in place over a range of a buffer, and their derivatives written through
 * the stored outputs. Imports nothing but @seqlab/tensor's types, so the row kernels (rows.ts)
 * that pool workers load stay light.
 */
import type { DataArray } from '@seqlab/tensor';

// ---------------------------------------------------------------------------------------------
// activations, by code, so the hot loops switch on a small integer (no closure per element)

export const TANH = 0;
export const SIGMOID = 1;
export const HARD_SIGMOID = 2;
export const RELU = 3;
export const LINEAR = 4;

const codes: Record<string, number> = {
  tanh: TANH,
  sigmoid: SIGMOID,
  hardsigmoid: HARD_SIGMOID,
  relu: RELU,
  linear: LINEAR,
};

/** The kernel's code for an activation name (camelCase or snake_case), or -1 if not implemented. */
export function activationCode(name: string | null | undefined): number {
  if (name === null || name === undefined) return LINEAR;
  const code = codes[name.replace(/_/g, '').toLowerCase()];
  return code === undefined ? -1 : code;
}

// ---------------------------------------------------------------------------------------------
// exp for float32 buffers
//
// Math.exp costs ~10 ns and Math.tanh ~16 ns here, a quarter of an LSTM's forward time at H = 32.
// Where the result is stored as float32 (relative rounding 6e-8), exp can be computed to float32
// accuracy more cheaply: e^x = 2^n · e^r with n = round(x·log2 e) and r = x - n·ln 2 in
// [-ln2/2, ln2/2], e^r by its Taylor polynomial of degree 7 (relative error < 1e-8 over the
// clamped range, measured), 2^n from a table. ~6 ns for σ or tanh. Float64 buffers (gradient
// checks) keep Math.exp / Math.tanh, whose derivative the checks hold the kernels to exactly.

const LOG2E = 1.4426950408889634;
const LN2 = 0.6931471805599453;
/** POW2[n + 128] = 2^n for n in [-128, 127]. */
const POW2 = new Float64Array(256).map((_, i) => Math.pow(2, i - 128));

/** e^x to float32 accuracy for x in [-80, 80] (callers clamp: beyond, σ and tanh are saturated). */
export function exp32(x: number): number {
  const n = Math.floor(x * LOG2E + 0.5);
  const r = x - n * LN2;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040)))))));
  return p * POW2[n + 128];
}

const clamp80 = (x: number): number => (x > 80 ? 80 : x < -80 ? -80 : x);

/**
 * buf[o .. o+n) = f(buf[o .. o+n)) in place: one gate block of one batch row. The switch is
 * outside the loop, so each loop is monomorphic and inlines its math.
 */
export function activateRange(code: number, buf: DataArray, o: number, n: number): void {
  const end = o + n;
  const f32 = buf instanceof Float32Array;
  switch (code) {
    case TANH:
      // tanh x = 1 - 2/(e^{2x} + 1)
      if (f32) for (let k = o; k < end; k++) buf[k] = 1 - 2 / (exp32(clamp80(2 * buf[k])) + 1);
      else for (let k = o; k < end; k++) buf[k] = Math.tanh(buf[k]);
      return;
    case SIGMOID:
      if (f32) {
        for (let k = o; k < end; k++) buf[k] = 1 / (1 + exp32(clamp80(-buf[k])));
        return;
      }
      // σ(x) = 1/(1 + e⁻ˣ), written so that e^|x| never overflows
      for (let k = o; k < end; k++) {
        const x = buf[k];
        if (x >= 0) {
          buf[k] = 1 / (1 + Math.exp(-x));
        } else {
          const e = Math.exp(x);
          buf[k] = e / (1 + e);
        }
      }
      return;
    case HARD_SIGMOID:
      // Keras 3: clip(x/6 + 1/2, 0, 1)
      for (let k = o; k < end; k++) buf[k] = Math.min(1, Math.max(0, buf[k] / 6 + 0.5));
      return;
    case RELU:
      for (let k = o; k < end; k++) {
        const x = buf[k];
        buf[k] = x > 0 ? x : x === x ? 0 : x;
      }
      return;
    default:
  }
}

/**
 * d[o .. o+n) ⊙= f'(x) written through the stored outputs y[yo .. yo+n) = f(x), so backward needs
 * only the activations kept by the forward pass:
 *   d tanh = 1 - y²,  d σ = y(1 - y),  d hardSigmoid = 1/6 where 0 < y < 1,  d relu = [y > 0],  d linear = 1
 */
export function scaleByDerivative(code: number, d: DataArray, o: number, y: DataArray, yo: number, n: number): void {
  const shift = yo - o;
  const end = o + n;
  switch (code) {
    case TANH:
      for (let k = o; k < end; k++) {
        const v = y[k + shift];
        d[k] *= 1 - v * v;
      }
      return;
    case SIGMOID:
      for (let k = o; k < end; k++) {
        const v = y[k + shift];
        d[k] *= v * (1 - v);
      }
      return;
    case HARD_SIGMOID:
      for (let k = o; k < end; k++) {
        const v = y[k + shift];
        d[k] = v > 0 && v < 1 ? d[k] * (1 / 6) : 0;
      }
      return;
    case RELU:
      for (let k = o; k < end; k++) if (!(y[k + shift] > 0)) d[k] = 0;
      return;
    default:
  }
}

