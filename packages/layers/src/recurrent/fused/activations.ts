/**
 * Activations of the fused kernels by code (the hot loops switch on a small integer, no closure
 * per element), applied in place over a range of a buffer, and their derivatives written through
 * the stored outputs. Imports nothing but @seqlab/tensor, so the row kernels that pool workers
 * load stay light.
 */
import { DataArray, laneRows, lanes, vectorActivate, vectorActivateRows } from '@seqlab/tensor';

/** The float32 fast exp (e^x = 2^n · e^r, Taylor degree 7), from @seqlab/tensor's vector.ts. */
export { exp32 } from '@seqlab/tensor';

// ---------------------------------------------------------------------------------------------
// activations, by code, so the hot loops switch on a small integer (no closure per element)

export const TANH = 0;
export const SIGMOID = 1;
export const HARD_SIGMOID = 2;
export const RELU = 3;
export const LINEAR = 4;
export const HARD_SIGMOID_KERAS2 = 5;

const codes: Record<string, number> = {
  tanh: TANH,
  sigmoid: SIGMOID,
  hardsigmoid: HARD_SIGMOID,
  relu: RELU,
  linear: LINEAR,
  hardsigmoidkeras2: HARD_SIGMOID_KERAS2,
};

/** The kernel's code for an activation name (camelCase or snake_case), or -1 if not implemented. */
export function activationCode(name: string | null | undefined): number {
  if (name === null || name === undefined) return LINEAR;
  const code = codes[name.replace(/_/g, '').toLowerCase()];
  return code === undefined ? -1 : code;
}

// ---------------------------------------------------------------------------------------------
// σ and tanh of float32 buffers run @seqlab/tensor's vector activations (wasm SIMD where the
// kernels are 'wasm'; exp32's polynomial, bit-identical either way); float64 buffers (gradient
// checks) keep Math.exp / Math.tanh, whose derivative the checks hold the kernels to exactly.

/**
 * buf[o .. o+n) = f(buf[o .. o+n)) in place: one gate block of one batch row. The switch is
 * outside the loop, so each loop is monomorphic and inlines its math.
 */
export function activateRange(code: number, buf: DataArray, o: number, n: number): void {
  const end = o + n;
  const f32 = buf instanceof Float32Array;
  switch (code) {
    case TANH:
      if (f32) vectorActivate('tanh', buf, o, n); // tanh x = 1 - 2/(e^{2x} + 1)
      else for (let k = o; k < end; k++) buf[k] = Math.tanh(buf[k]);
      return;
    case SIGMOID:
      if (f32) {
        vectorActivate('sigmoid', buf, o, n); // σ(x) = 1/(1 + e⁻ˣ)
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
    case HARD_SIGMOID_KERAS2:
      // Keras 2 and TensorFlow.js: clip(0.2·x + 1/2, 0, 1), written as hardSigmoid(1.2·x) like the layers' activation
      for (let k = o; k < end; k++) buf[k] = Math.min(1, Math.max(0, (buf[k] * 1.2) / 6 + 0.5));
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
 * `activateRange` over `rows` rows of n values `stride` apart (a gate block of every batch row of
 * a step): σ and tanh of a float32 buffer in one vector call, anything else row by row.
 */
export function activateRows(code: number, buf: DataArray, o: number, n: number, rows: number, stride: number): void {
  if ((code === SIGMOID || code === TANH) && buf instanceof Float32Array) {
    vectorActivateRows(code === SIGMOID ? 'sigmoid' : 'tanh', buf, o, n, rows, stride);
    return;
  }
  for (let r = 0; r < rows; r++) activateRange(code, buf, o + r * stride, n);
}

/**
 * d[o .. o+n) ⊙= f'(x) written through the stored outputs y[yo .. yo+n) = f(x), so backward needs
 * only the activations kept by the forward pass:
 *   d tanh = 1 - y²,  d σ = y(1 - y),  d hardSigmoid = 1/6 where 0 < y < 1 (Keras 2's: 1.2/6 = 0.2),
 *   d relu = [y > 0],  d linear = 1
 */
export function scaleByDerivative(code: number, d: DataArray, o: number, y: DataArray, yo: number, n: number): void {
  const shift = yo - o;
  const end = o + n;
  switch (code) {
    case TANH:
      lanes.tanhGrad(d, o, d, o, y, yo, n); // d ⊙= 1 - y²
      return;
    case SIGMOID:
      lanes.sigmoidGrad(d, o, d, o, y, yo, n); // d ⊙= y ⊙ (1 - y)
      return;
    case HARD_SIGMOID:
      for (let k = o; k < end; k++) {
        const v = y[k + shift];
        d[k] = v > 0 && v < 1 ? d[k] * (1 / 6) : 0;
      }
      return;
    case HARD_SIGMOID_KERAS2:
      for (let k = o; k < end; k++) {
        const v = y[k + shift];
        d[k] = v > 0 && v < 1 ? d[k] * 1.2 * (1 / 6) : 0;
      }
      return;
    case RELU:
      for (let k = o; k < end; k++) if (!(y[k + shift] > 0)) d[k] = 0;
      return;
    default:
  }
}


/**
 * `scaleByDerivative` over `rows` rows of n values: d's rows `ds` apart, y's `ys` apart (a gate
 * block of every batch row of a step): one lanes call for σ and tanh, anything else row by row.
 */
export function scaleByDerivativeRows(code: number, d: DataArray, o: number, ds: number, y: DataArray, yo: number, ys: number, n: number, rows: number): void {
  if (code === TANH) laneRows('tanhGrad', rows, n, d, o, ds, d, o, ds, y, yo, ys); // d ⊙= 1 - y²
  else if (code === SIGMOID) laneRows('sigmoidGrad', rows, n, d, o, ds, d, o, ds, y, yo, ys); // d ⊙= y ⊙ (1 - y)
  else for (let r = 0; r < rows; r++) scaleByDerivative(code, d, o + r * ds, y, yo + r * ys, n);
}
