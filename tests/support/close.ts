/**
 * Comparing numbers in tests: one `expectClose` for tensors and arrays, with the failing element,
 * both values and the tolerance in the message.
 */
import { Tensor, fmtShape } from '@seqlab/tensor';

/**
 * A number `tol` passes when |actual - expected| <= tol·max(1, |expected|) (absolute near zero,
 * relative for large values); `{ rtol, atol }` when |actual - expected| <= atol + rtol·|expected|.
 */
export type Tolerance = number | { rtol?: number; atol?: number };

const DEFAULT: Tolerance = { rtol: 1e-5, atol: 1e-6 };

function bound(tol: Tolerance, expected: number): number {
  if (typeof tol === 'number') return tol * Math.max(1, Math.abs(expected));
  return (tol.atol ?? 0) + (tol.rtol ?? 0) * Math.abs(expected);
}

/**
 * Fails unless every element of `actual` is within `tol` of `expected` (same shape for tensors,
 * same length for arrays). NaN matches NaN; equal values (infinities included) always match.
 *
 * @example
 *   expectClose(fused.output, reference.output, 1e-10, 'output');
 *   expectClose(y.data, [0.5, 1], { rtol: 1e-6, atol: 0 });
 */
export function expectClose(actual: Tensor | ArrayLike<number>, expected: Tensor | ArrayLike<number>, tol: Tolerance = DEFAULT, what = 'value'): void {
  if (actual instanceof Tensor && expected instanceof Tensor && fmtShape(actual.shape) !== fmtShape(expected.shape)) {
    throw new Error(`${what}: shape ${fmtShape(actual.shape)}, expected ${fmtShape(expected.shape)}`);
  }
  const a = actual instanceof Tensor ? actual.data : actual;
  const e = expected instanceof Tensor ? expected.data : expected;
  if (a.length !== e.length) throw new Error(`${what}: ${a.length} elements, expected ${e.length}`);
  const shape = expected instanceof Tensor ? ` of ${fmtShape(expected.shape)}` : '';
  for (let i = 0; i < e.length; i++) {
    if (a[i] === e[i] || (Number.isNaN(a[i]) && Number.isNaN(e[i]))) continue;
    const diff = Math.abs(a[i] - e[i]);
    const limit = bound(tol, e[i]);
    if (!(diff <= limit)) {
      throw new Error(`${what}: element ${i}${shape}: received ${a[i]}, expected ${e[i]} (|diff| ${diff.toExponential(3)} > ${limit.toExponential(3)})`);
    }
  }
}

/** The largest |a - b| over the elements (NaN if any difference is NaN). */
export function maxAbsDiff(a: Tensor | ArrayLike<number>, b: Tensor | ArrayLike<number>): number {
  const x = a instanceof Tensor ? a.data : a;
  const y = b instanceof Tensor ? b.data : b;
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i] - y[i]);
    if (Number.isNaN(d)) return NaN;
    if (d > worst) worst = d;
  }
  return worst;
}
