/**
 * Gradient checking: analytic gradients (the tape) against central finite differences,
 *   ∂L/∂xᵢ ≈ (L(x + εeᵢ) - L(x - εeᵢ)) / 2ε,
 * evaluated in float64 by default so that rounding does not hide or fake an error. A function
 * with a non-scalar output is reduced by a fixed random projection L = Σ f(x) ⊙ R, which checks
 * every output at once (as PyTorch's gradcheck does one row at a time).
 *
 * Two invariants are checked as well, as PyTorch's gradcheck does: a zero upstream gradient
 * gives exactly zero gradients (a VJP that adds something not proportional to dy fails it), and
 * a second run gives bit-identical values and gradients (a VJP reading state it should not, or
 * summing in a varying order, fails it).
 */
import * as T from '@seqlab/tensor';
import { DType, Rng, Tensor, fmtShape } from '@seqlab/tensor';
import { gradients, noGrad } from './tape';
import { mul } from './ops/arith';
import { sum } from './ops/reduce';

/** Options of `checkGradients`: precision, finite-difference step, tolerances, how many elements to check. */
export interface CheckGradientsOptions {
  /** Precision of the evaluation; inputs are copied into it. Default 'float64'. */
  dtype?: DType;
  /** Finite-difference step. Default 1e-6 (float64) or 1e-2 (float32). */
  eps?: number;
  /** Pass when |analytic - numeric| <= atol + rtol·|numeric|. Defaults 1e-6 / 1e-5 (float64), 1e-3 / 1e-2 (float32). */
  atol?: number;
  rtol?: number;
  /** Check at most this many elements per input (a seeded sample); default all. */
  maxChecks?: number;
  /** Seed of the output projection and element sample. */
  seed?: number;
}

/** One checked element: which input (its position in `inputs`), which flat index, both derivatives. */
export interface GradientMismatch {
  input: number;
  index: number;
  analytic: number;
  numeric: number;
}

/** What `checkGradients` found: pass or fail, the largest errors, the worst element, the invariants. */
export interface CheckGradientsResult {
  /** Every element within tolerance and both invariants hold. */
  ok: boolean;
  /** A zero upstream gradient gave exactly zero gradients. */
  zeroUpstreamOk: boolean;
  /** A second run gave bit-identical values and gradients. */
  reproducible: boolean;
  maxAbsError: number;
  maxRelError: number;
  /** The element with the largest error relative to the tolerance. */
  worst: GradientMismatch | null;
  checked: number;
  /** Human-readable one-line summary (for test failure messages). */
  message: string;
}

/**
 * Holds the tape's gradients of `f` at `inputs` to central finite differences, element by element,
 * in float64 by default; a non-scalar output is reduced by a fixed random projection. Also checks
 * that a zero upstream gradient gives zero gradients and that a rerun is bit-identical.
 *
 * @example
 *   const r = checkGradients((x, w) => tanh(matmul(x, w)), [randomNormal([2, 3]), randomNormal([3, 4])]);
 *   r.ok;        // true
 *   r.message;   // 'checkGradients passed: 18 elements, max abs error ...'
 */
export function checkGradients(
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: CheckGradientsOptions = {},
): CheckGradientsResult {
  const dtype = options.dtype ?? 'float64';
  const f64 = dtype === 'float64';
  const eps = options.eps ?? (f64 ? 1e-6 : 1e-2);
  const atol = options.atol ?? (f64 ? 1e-6 : 1e-3);
  const rtol = options.rtol ?? (f64 ? 1e-5 : 1e-2);
  const rng = new Rng(options.seed ?? 1234);
  const xs = inputs.map((x) => x.cast(dtype));

  let projection: Tensor | null = null;
  const loss = (...args: Tensor[]): Tensor => {
    const out = f(...args);
    if (out.size === 1) return sum(out);
    if (projection === null || projection.size !== out.size) {
      projection = T.randomUniform(out.shape, -1, 1, { rng, dtype });
    }
    return sum(mul(out, projection));
  };

  const { value, grads } = gradients(() => loss(...xs), xs);
  const zeroUpstream = zeroUpstreamFault(f, xs);
  const rerun = rerunFault(() => gradients(() => loss(...xs), xs), value, grads);

  let maxAbs = 0;
  let maxRel = 0;
  let worstScore = -1;
  let worst: GradientMismatch | null = null;
  let checked = 0;
  let ok = true;
  noGrad(() => {
    xs.forEach((x, input) => {
      const indices = sampleIndices(x.size, options.maxChecks, rng);
      for (const index of indices) {
        const orig = x.data[index];
        x.data[index] = orig + eps;
        const plus = loss(...xs).item();
        x.data[index] = orig - eps;
        const minus = loss(...xs).item();
        x.data[index] = orig;
        const numeric = (plus - minus) / (2 * eps);
        const analytic = grads[input].data[index];
        const abs = Math.abs(analytic - numeric);
        const scale = Math.max(Math.abs(analytic), Math.abs(numeric));
        const rel = scale > 0 ? abs / scale : 0;
        const tol = atol + rtol * Math.abs(numeric);
        const score = Number.isNaN(abs) ? Infinity : abs / tol;
        if (!(abs <= tol)) ok = false;
        maxAbs = Math.max(maxAbs, abs);
        maxRel = Math.max(maxRel, rel);
        if (score > worstScore) {
          worstScore = score;
          worst = { input, index, analytic, numeric };
        }
        checked++;
      }
    });
  });
  const w = worst as GradientMismatch | null;
  const where = w ? ` worst at input ${w.input} ${fmtShape(inputs[w.input].shape)} element ${w.index}: analytic ${w.analytic}, numeric ${w.numeric}` : '';
  const invariants = [zeroUpstream, rerun].filter((m) => m !== null).map((m) => ` ${m}`).join('');
  ok = ok && zeroUpstream === null && rerun === null;
  const message = `checkGradients ${ok ? 'passed' : 'FAILED'}: ${checked} elements, max abs error ${maxAbs.toExponential(2)}, max rel error ${maxRel.toExponential(2)} (atol ${atol}, rtol ${rtol});${where}${invariants}`;
  return { ok, zeroUpstreamOk: zeroUpstream === null, reproducible: rerun === null, maxAbsError: maxAbs, maxRelError: maxRel, worst: w, checked, message };
}

/** Back-propagates dy = 0 through `f`; says where a gradient came out non-zero, or null. */
function zeroUpstreamFault(f: (...xs: Tensor[]) => Tensor, xs: Tensor[]): string | null {
  const out = noGrad(() => f(...xs));
  const { grads } = gradients(() => f(...xs), xs, T.zeros(out.shape, { dtype: out.dtype }));
  for (let input = 0; input < grads.length; input++) {
    const d = grads[input].data;
    for (let i = 0; i < d.length; i++) {
      if (d[i] !== 0) return `A zero upstream gradient gave ${d[i]} at input ${input} element ${i} (expected 0).`;
    }
  }
  return null;
}

/** Runs value and gradients again; says where they differ from the first run (bit for bit), or null. */
function rerunFault(again: () => { value: Tensor; grads: Tensor[] }, value: Tensor, grads: Tensor[]): string | null {
  const second = again();
  const firstDiff = (a: Tensor, b: Tensor): number => {
    for (let i = 0; i < a.size; i++) if (!Object.is(a.data[i], b.data[i])) return i;
    return -1;
  };
  if (firstDiff(value, second.value) >= 0) return `A rerun gave a different value: ${value.data[0]}, then ${second.value.data[0]}.`;
  for (let input = 0; input < grads.length; input++) {
    const i = firstDiff(grads[input], second.grads[input]);
    if (i >= 0) return `A rerun gave a different gradient at input ${input} element ${i}: ${grads[input].data[i]}, then ${second.grads[input].data[i]}.`;
  }
  return null;
}

function sampleIndices(n: number, maxChecks: number | undefined, rng: Rng): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (maxChecks === undefined || maxChecks >= n) return all;
  return T.shuffle(all, rng).slice(0, maxChecks).sort((a, b) => a - b);
}
