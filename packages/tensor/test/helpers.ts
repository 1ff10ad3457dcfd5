/**
 * Naive, index-by-index reference implementations and fast-check arbitraries shared by the tensor
 * tests. The references are deliberately the slowest obvious code: one multi-index at a time.
 */
import fc from 'fast-check';
import { Tensor, tensor } from '@seqlab/tensor';

/** Fixed seed and run count: property tests are reproducible, never flaky. */
export const FC = { seed: 42, numRuns: 100 } as const;

export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Multi-index of flat position `flat` in a row-major `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + idx[d];
  return flat;
}

/** Value of `t` at output index `outIdx` under NumPy broadcasting (right-aligned, size-1 axes repeat). */
export function broadcastAt(t: Tensor, outIdx: readonly number[]): number {
  const off = outIdx.length - t.rank;
  const idx = t.shape.map((d, i) => (d === 1 ? 0 : outIdx[i + off]));
  return t.data[ravel(idx, t.shape)];
}

export function naiveBroadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[i - (rank - a.length)] ?? 1;
    const db = b[i - (rank - b.length)] ?? 1;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Reference binary op by full multi-index enumeration. */
export function naiveBinary(a: Tensor, b: Tensor, f: (x: number, y: number) => number): { shape: number[]; data: number[] } {
  const shape = naiveBroadcastShape(a.shape, b.shape);
  const n = sizeOfShape(shape);
  const data: number[] = [];
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    data.push(f(broadcastAt(a, idx), broadcastAt(b, idx)));
  }
  return { shape, data };
}

/** Reference reduction: for each output position, fold over every input position that maps to it. */
export function naiveReduce(
  t: Tensor,
  axes: number[],
  keepDims: boolean,
  init: number,
  f: (acc: number, x: number) => number,
): { shape: number[]; data: number[] } {
  const kept = t.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const acc = new Array<number>(sizeOfShape(kept)).fill(init);
  for (let i = 0; i < t.size; i++) {
    const idx = unravel(i, t.shape).map((c, d) => (axes.includes(d) ? 0 : c));
    const o = ravel(idx, kept);
    acc[o] = f(acc[o], t.data[i]);
  }
  const shape = keepDims ? kept : t.shape.filter((_, i) => !axes.includes(i));
  return { shape, data: acc };
}

/** The i-p-j triple loop in float64 on plain numbers: C = op(A)·op(B) (+ C0 when beta = 1). */
export function naiveGemm(
  m: number, n: number, k: number,
  aAt: (i: number, p: number) => number,
  bAt: (p: number, j: number) => number,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += aAt(i, p) * bAt(p, j);
    c[i * n + j] = s;
  }
  return c;
}

/** A shape of the given rank range with axes in [minDim, maxDim]. */
export function shapeArb(minRank = 0, maxRank = 4, minDim = 1, maxDim = 4): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/** Float32-representable values, no NaN/Infinity. */
export const valueArb = fc.float({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));

/** A float32 tensor of the given shape filled by fast-check. */
export function tensorOf(shape: number[]): fc.Arbitrary<Tensor> {
  const n = sizeOfShape(shape);
  return fc.array(valueArb, { minLength: n, maxLength: n }).map((v) => tensor(v, shape));
}

export const tensorArb = (minRank = 0, maxRank = 4, minDim = 1, maxDim = 4): fc.Arbitrary<Tensor> =>
  shapeArb(minRank, maxRank, minDim, maxDim).chain(tensorOf);

/**
 * Two shapes that broadcast together: start from an output shape, drop some leading axes of each
 * operand (rank differences) and set some axes to 1 (size-1 broadcasting).
 */
export const broadcastPairArb: fc.Arbitrary<[number[], number[]]> = shapeArb(0, 4, 1, 4).chain((out) => {
  const r = out.length;
  const operand = fc.tuple(fc.integer({ min: 0, max: r }), fc.array(fc.boolean(), { minLength: r, maxLength: r }))
    .map(([drop, ones]) => out.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
  return fc.tuple(operand, operand);
});

/** The message of the error thrown by `f` (fails the test when nothing is thrown). */
export function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, none was thrown');
}
