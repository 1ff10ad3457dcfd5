import fc from 'fast-check';
import { GemmArgs, PackedB, Rng, Tensor, gemmNN, gemmTN, gemmNT, gemmNaive, gemmSerial, matmul, packGemmB, releasePackedB, setBufferPoolLimit, setKernels, tensor, ones, randomNormal, transpose, eye } from '@seqlab/tensor';
import { FC, naiveGemm, errorOf } from './helpers';
import { expectClose } from '../../../tests/support';

type Variant = 'NN' | 'TN' | 'NT' | 'naive';
const kernels: Record<Variant, (args: GemmArgs) => void> = { NN: gemmNN, TN: gemmTN, NT: gemmNT, naive: gemmNaive };

interface Case {
  variant: Variant;
  m: number; n: number; k: number;
  aOff: number; bOff: number; cOff: number;
  beta: 0 | 1;
  dtype: 'float32' | 'float64';
  seed: number;
}

/**
 * Runs one gemm variant with every operand embedded at an offset inside a larger buffer (garbage
 * around it), and checks against the float64 triple loop; also checks that nothing outside C's
 * window was written.
 */
function check(c: Case): void {
  const { variant, m, n, k, aOff, bOff, cOff, beta, dtype } = c;
  const rng = new Rng(c.seed);
  const Arr = dtype === 'float64' ? Float64Array : Float32Array;
  const pad = 5;
  const filled = (len: number): Float32Array | Float64Array => {
    const x = new Arr(len);
    for (let i = 0; i < len; i++) x[i] = rng.normal();
    return x;
  };
  const a = filled(aOff + m * k + pad);
  const b = filled(bOff + k * n + pad);
  const cBuf = filled(cOff + m * n + pad);
  if (beta === 0) cBuf[cOff] = NaN; // beta = 0 overwrites C, even a NaN in it
  const c0 = Float64Array.from(cBuf);
  // layouts: NN A[m,k] B[k,n]; TN A[k,m] B[k,n]; NT A[m,k] B[n,k]
  const aAt = variant === 'TN' ? (i: number, p: number) => a[aOff + p * m + i] : (i: number, p: number) => a[aOff + i * k + p];
  const bAt = variant === 'NT' ? (p: number, j: number) => b[bOff + j * k + p] : (p: number, j: number) => b[bOff + p * n + j];
  const ref = naiveGemm(m, n, k, aAt, bAt);
  if (beta === 1) for (let i = 0; i < m * n; i++) ref[i] += c0[cOff + i];
  kernels[variant]({ m, n, k, a, aOffset: aOff, b, bOffset: bOff, c: cBuf, cOffset: cOff, beta });
  // float32 accumulation of k products of N(0,1) values: error grows like sqrt(k)·eps
  const tol = dtype === 'float64' ? 1e-12 : 2e-6 * Math.sqrt(k + 1) * 4;
  expectClose(cBuf.subarray(cOff, cOff + m * n), ref, tol, tol);
  for (let i = 0; i < cOff; i++) expect(cBuf[i]).toBe(c0[i]);
  for (let i = cOff + m * n; i < cBuf.length; i++) expect(cBuf[i]).toBe(c0[i]);
}

const caseArb = (maxDim: number): fc.Arbitrary<Case> =>
  fc.record({
    variant: fc.constantFrom<Variant>('NN', 'TN', 'NT', 'naive'),
    m: fc.integer({ min: 1, max: maxDim }),
    n: fc.integer({ min: 1, max: maxDim }),
    k: fc.integer({ min: 1, max: maxDim }),
    aOff: fc.integer({ min: 0, max: 7 }),
    bOff: fc.integer({ min: 0, max: 7 }),
    cOff: fc.integer({ min: 0, max: 7 }),
    beta: fc.constantFrom<0 | 1>(0, 1),
    dtype: fc.constantFrom<'float32' | 'float64'>('float32', 'float64'),
    seed: fc.integer({ min: 0, max: 1 << 30 }),
  });

describe('gemm kernels', () => {
  test('2x2 by hand, each layout', () => {
    const c = new Float32Array(4);
    gemmNN({ m: 2, n: 2, k: 2, a: new Float32Array([1, 2, 3, 4]), b: new Float32Array([5, 6, 7, 8]), c });
    expect(Array.from(c)).toEqual([19, 22, 43, 50]);
    // Aᵀ with A stored [k, m] = [[1, 3], [2, 4]] is [[1, 2], [3, 4]]
    gemmTN({ m: 2, n: 2, k: 2, a: new Float32Array([1, 3, 2, 4]), b: new Float32Array([5, 6, 7, 8]), c });
    expect(Array.from(c)).toEqual([19, 22, 43, 50]);
    // Bᵀ with B stored [n, k] = [[5, 7], [6, 8]]; beta = 1 accumulates
    gemmNT({ m: 2, n: 2, k: 2, a: new Float32Array([1, 2, 3, 4]), b: new Float32Array([5, 7, 6, 8]), c, beta: 1 });
    expect(Array.from(c)).toEqual([38, 44, 86, 100]);
  });

  test('property: small odd sizes, offsets, beta 0/1, both dtypes vs the float64 triple loop', () => {
    fc.assert(fc.property(caseArb(13), (c) => check(c)), FC);
  });

  test('property: medium sizes that cross block and panel boundaries', () => {
    fc.assert(fc.property(caseArb(70), (c) => check(c)), { seed: 42, numRuns: 60 });
  });

  test('fixed large and degenerate shapes for every variant (k and n past the KC/NC blocks)', () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1], [1, 129, 1], [129, 1, 3], [5, 3, 300], [37, 70, 300], [64, 64, 64], [67, 131, 259],
      [4, 4, 1000], [3, 200, 17], [5, 517, 7], [9, 1030, 260], [0, 4, 4], [4, 0, 4], [4, 4, 0],
    ];
    let seed = 1;
    for (const [m, n, k] of shapes) {
      for (const variant of ['NN', 'TN', 'NT', 'naive'] as Variant[]) {
        for (const beta of [0, 1] as const) {
          check({ variant, m, n, k, aOff: 3, bOff: 1, cOff: 2, beta, dtype: 'float32', seed: seed++ });
        }
      }
    }
  });

  test('k = 0 with beta 0 gives zeros; beta 1 leaves C', () => {
    const c = new Float32Array([1, 2, 3, 4]);
    gemmNN({ m: 2, n: 2, k: 0, a: new Float32Array(0), b: new Float32Array(0), c, beta: 1 });
    expect(Array.from(c)).toEqual([1, 2, 3, 4]);
    gemmNT({ m: 2, n: 2, k: 0, a: new Float32Array(0), b: new Float32Array(0), c });
    expect(Array.from(c)).toEqual([0, 0, 0, 0]);
  });

  test('NaN in A propagates to its row of C only', () => {
    const a = new Float32Array(8 * 8).fill(1);
    a[3 * 8 + 5] = NaN;
    for (const variant of ['NN', 'TN', 'NT', 'naive'] as Variant[]) {
      const c = new Float32Array(64);
      kernels[variant]({ m: 8, n: 8, k: 8, a, b: new Float32Array(64).fill(1), c });
      // TN reads A[k, m]: the NaN sits at p=3, i=5, so row 5 of C
      const row = variant === 'TN' ? 5 : 3;
      for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) {
        if (i === row) expect(c[i * 8 + j]).toBeNaN();
        else expect(c[i * 8 + j]).toBe(8);
      }
    }
  });
});

describe('gemm: row stride (lda) and a B packed once', () => {
  // the same product three ways: A and B contiguous; A as a band of a wider matrix entered through
  // lda; B packed beforehand by packGemmB. Packing is a copy, so all three are bit-identical.
  const shapes: [number, number, number][] = [[1, 1, 1], [5, 7, 3], [50, 128, 32], [37, 70, 300], [9, 1030, 260], [101, 33, 65]];
  test.each(['NN', 'TN', 'NT'] as const)('%s', (layout) => {
    let seed = 3;
    for (const [m, n, k] of shapes) {
      for (const f64 of [false, true]) {
        const rng = new Rng(seed++);
        const Arr = f64 ? Float64Array : Float32Array;
        const fill = (len: number) => { const x = new Arr(len); for (let i = 0; i < len; i++) x[i] = rng.normal(); return x; };
        const extra = 3; // the band sits at column `extra` of a matrix with `extra + rows + 2` columns
        const aRows = layout === 'TN' ? k : m;
        const aCols = layout === 'TN' ? m : k;
        const a = fill(aRows * aCols);
        const lda = aCols + extra + 2;
        const wide = fill(aRows * lda + 1);
        for (let r = 0; r < aRows; r++) for (let j = 0; j < aCols; j++) wide[1 + r * lda + extra + j] = a[r * aCols + j];
        const b = fill(k * n + 4);
        const c0 = fill(m * n);
        const run = (args: Partial<GemmArgs>) => {
          const c = c0.slice();
          gemmSerial(layout, { m, n, k, a, b, bOffset: 4, c, beta: 1, ...args } as GemmArgs);
          return c;
        };
        const plain = run({});
        const strided = run({ a: wide, aOffset: 1 + extra, lda });
        const packed = run({ packedB: packGemmB(b, k, n, layout === 'NT', 4) });
        expect(Array.from(strided)).toEqual(Array.from(plain));
        expect(Array.from(packed)).toEqual(Array.from(plain));
      }
    }
    expect(() => gemmSerial(layout, { m: 2, n: 3, k: 4, a: new Float32Array(8), b: new Float32Array(12), c: new Float32Array(6), packedB: packGemmB(new Float32Array(12), 3, 4, false) })).toThrow(/packed B is \[3, 4\]/);
  });

  // packs take their arrays from the buffer pool and `releasePackedB` gives them back: the next
  // pack of the size reuses the memory (left full of NaN here, which the pack overwrites whole)
  test.each([['wasm', false], ['wasm', true], ['js', false], ['js', true]] as const)('%s kernels, transposed %s: a released pack\'s memory makes the next pack, with the same products', (kernels, transposed) => {
    const prevKernels = setKernels(kernels);
    const prevLimit = setBufferPoolLimit(256 * 1024 * 1024);
    try {
      const [m, n, k] = [7, 4 * 128, 128]; // an LSTM(128)'s U: packed, more than the pool's least
      const rng = new Rng(11);
      const fill = (len: number) => Float32Array.from({ length: len }, () => rng.normal());
      const a = fill(m * (transposed ? n : k));
      const [b1, b2] = [fill(k * n), fill(k * n)];
      const layout = transposed ? 'NT' : 'NN';
      const [kk, nn] = transposed ? [n, k] : [k, n];
      const run = (b: Float32Array, packedB?: PackedB) => {
        const c = new Float32Array(m * nn);
        gemmSerial(layout, { m, n: nn, k: kk, a, b, c, ...(packedB ? { packedB } : {}) });
        return Array.from(c);
      };
      const first = packGemmB(b1, kk, nn, transposed);
      const array = first.wasm ?? first.data;
      expect(run(b1, first)).toEqual(run(b1));
      array?.fill(NaN);
      releasePackedB(first, null);
      const second = packGemmB(b2, kk, nn, transposed);
      expect(second.wasm ?? second.data).toBe(array);
      expect(run(b2, second)).toEqual(run(b2));
      // a released pack is empty: a product given it packs B itself
      expect(run(b1, first)).toEqual(run(b1));
      releasePackedB(second);
    } finally {
      setKernels(prevKernels);
      setBufferPoolLimit(prevLimit);
    }
  });
});

describe('gemm: row strides of B and C (ldb, ldc)', () => {
  // B a band of a wider matrix (ldb), C a band of columns of a wider C (ldc), on either kernel:
  // bit-identical to the dense product (each element the same sum in the same order), within
  // rounding of the float64 triple loop, nothing outside C's band written, and B's column sums
  // (NN, TN) identical to the dense call's
  interface StrideCase {
    layout: 'NN' | 'TN' | 'NT';
    kernels: 'wasm' | 'js';
    f64: boolean;
    m: number; n: number; k: number;
    aExtra: number; bExtra: number; cExtra: number;
    beta: 0 | 1;
    sums: boolean;
    seed: number;
  }

  function checkStrides(t: StrideCase): void {
    const { layout, m, n, k, beta } = t;
    const was = setKernels(t.kernels);
    try {
      const rng = new Rng(t.seed);
      const Arr = t.f64 ? Float64Array : Float32Array;
      const fill = (len: number) => { const x = new Arr(len); for (let i = 0; i < len; i++) x[i] = rng.normal(); return x; };
      const aRows = layout === 'TN' ? k : m, aCols = layout === 'TN' ? m : k;
      const bRows = layout === 'NT' ? n : k, bCols = layout === 'NT' ? k : n;
      const lda = aCols + t.aExtra, ldb = bCols + t.bExtra, ldc = n + t.cExtra;
      const [ao, bo, co] = [2, 3, 1];
      const a = fill(ao + aRows * lda + 2);
      const b = fill(bo + bRows * ldb + 2);
      const c = fill(co + m * ldc + 2);
      const before = c.slice();
      const withSums = t.sums && layout !== 'NT';
      const sums = withSums ? fill(n) : undefined;
      const sumsBefore = sums?.slice();
      gemmSerial(layout, { m, n, k, a, aOffset: ao, lda, b, bOffset: bo, ldb, c, cOffset: co, ldc, beta, ...(sums ? { bColumnSums: sums } : {}) });
      // the same product on dense copies
      const dense = (x: Float32Array | Float64Array, off: number, rows: number, cols: number, ld: number) => Arr.from({ length: rows * cols }, (_, i) => x[off + Math.floor(i / cols) * ld + (i % cols)]);
      const cd = dense(before, co, m, n, ldc);
      const sd = sumsBefore?.slice();
      gemmSerial(layout, { m, n, k, a: dense(a, ao, aRows, aCols, lda), b: dense(b, bo, bRows, bCols, ldb), c: cd, beta, ...(sd ? { bColumnSums: sd } : {}) });
      const where = `${layout} ${t.kernels} f64=${t.f64} m=${m} n=${n} k=${k} lda+${t.aExtra} ldb+${t.bExtra} ldc+${t.cExtra} beta=${beta} sums=${withSums}`;
      const A = layout === 'TN' ? (i: number, p: number) => a[ao + p * lda + i] : (i: number, p: number) => a[ao + i * lda + p];
      const B = layout === 'NT' ? (p: number, j: number) => b[bo + j * ldb + p] : (p: number, j: number) => b[bo + p * ldb + j];
      const ref = naiveGemm(m, n, k, A, B);
      const tol = t.f64 ? 1e-12 : 2e-6 * Math.sqrt(k + 1) * 4;
      const inC = new Uint8Array(c.length);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const at = co + i * ldc + j;
          inC[at] = 1;
          const want = ref[i * n + j] + (beta === 1 ? before[at] : 0);
          if (!Object.is(c[at], cd[i * n + j])) throw new Error(`${where}: C[${i}, ${j}] = ${c[at]}, dense ${cd[i * n + j]}`);
          if (!(Math.abs(c[at] - want) <= tol * (1 + Math.abs(want)))) throw new Error(`${where}: C[${i}, ${j}] = ${c[at]}, reference ${want}`);
        }
      }
      for (let i = 0; i < c.length; i++) if (!inC[i] && !Object.is(c[i], before[i])) throw new Error(`${where}: wrote outside C at ${i}`);
      if (sums && sd) for (let j = 0; j < n; j++) if (!Object.is(sums[j], sd[j])) throw new Error(`${where}: column sum ${j} = ${sums[j]}, dense ${sd[j]}`);
    } finally {
      setKernels(was);
    }
  }

  const strideArb = (maxDim: number, maxK: fc.Arbitrary<number>) =>
    fc.record({
      layout: fc.constantFrom<'NN' | 'TN' | 'NT'>('NN', 'TN', 'NT'),
      kernels: fc.constantFrom<'wasm' | 'js'>('wasm', 'js'),
      f64: fc.boolean(),
      m: fc.integer({ min: 1, max: maxDim }),
      n: fc.integer({ min: 1, max: maxDim }),
      k: maxK,
      aExtra: fc.constantFrom(0, 2),
      bExtra: fc.constantFrom(0, 1, 7, 8),
      cExtra: fc.constantFrom(0, 1, 7, 8),
      beta: fc.constantFrom<0 | 1>(0, 1),
      sums: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1 << 30 }),
    });

  test('property: odd sizes and edge tiles, every layout, both kernels and precisions', () => {
    fc.assert(fc.property(strideArb(21, fc.integer({ min: 1, max: 21 })), (t) => checkStrides(t)), { seed: 17, numRuns: 200 });
  });

  test('property: k across the 256 block, n across the 512 block', () => {
    fc.assert(fc.property(strideArb(9, fc.constantFrom(255, 256, 257, 300)), (t) => checkStrides(t)), { seed: 18, numRuns: 40 });
    let seed = 100;
    for (const layout of ['NN', 'TN', 'NT'] as const) {
      for (const kernels of ['wasm', 'js'] as const) {
        checkStrides({ layout, kernels, f64: false, m: 5, n: 517, k: 263, aExtra: 2, bExtra: 9, cExtra: 3, beta: 1, sums: true, seed: seed++ });
      }
    }
  });

  test('row strides shorter than the rows are refused, naming them', () => {
    const args = { m: 2, n: 3, k: 4, a: new Float32Array(8), b: new Float32Array(12), c: new Float32Array(6) };
    expect(() => gemmSerial('NN', { ...args, ldb: 2 })).toThrow('gemmNN: row strides lda 4, ldb 2, ldc 3 must be at least the rows\' lengths 4, 3, 3');
    expect(() => gemmSerial('NT', { ...args, ldc: 1 })).toThrow(/gemmNT: row strides lda 4, ldb 4, ldc 1/);
  });
});

describe('gemm: column sums of B while it is packed (bColumnSums)', () => {
  test.each(['NN', 'TN'] as const)('%s: float64 sums in row order, added once; the product unchanged', (layout) => {
    let seed = 11;
    for (const [m, n, k] of [[1, 1, 1], [5, 7, 3], [64, 128, 600], [9, 1030, 260], [3, 5, 0]] as [number, number, number][]) {
      for (const f64 of [false, true]) {
        const rng = new Rng(seed++);
        const Arr = f64 ? Float64Array : Float32Array;
        const fill = (len: number) => { const x = new Arr(len); for (let i = 0; i < len; i++) x[i] = rng.normal(); return x; };
        const a = fill(m * k);
        const b = fill(2 + k * n);
        const plain = new Arr(m * n);
        gemmSerial(layout, { m, n, k, a, b, bOffset: 2, c: plain });
        const c = new Arr(m * n);
        const sums = fill(n + 1);
        const before = sums.slice();
        gemmSerial(layout, { m, n, k, a, b, bOffset: 2, c, bColumnSums: sums.subarray(1) });
        expect(Array.from(c)).toEqual(Array.from(plain));
        const expected = new Arr(n + 1);
        expected[0] = before[0];
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) acc += b[2 + p * n + j];
          expected[1 + j] = before[1 + j] + acc;
        }
        expect(Array.from(sums)).toEqual(Array.from(expected));
      }
    }
    // m = 0: the sums all the same
    const s0 = new Float32Array(2);
    gemmSerial(layout, { m: 0, n: 2, k: 3, a: new Float32Array(0), b: Float32Array.of(1, 2, 3, 4, 5, 6), c: new Float32Array(0), bColumnSums: s0 });
    expect(Array.from(s0)).toEqual([9, 12]);
  });

  test('refused where B is not packed by the call (NT, packedB)', () => {
    const args = { m: 2, n: 2, k: 2, a: new Float32Array(4), b: new Float32Array(4), c: new Float32Array(4), bColumnSums: new Float32Array(2) };
    expect(() => gemmSerial('NT', args)).toThrow(/bColumnSums/);
    expect(() => gemmSerial('NN', { ...args, packedB: packGemmB(args.b, 2, 2, false) })).toThrow(/bColumnSums/);
  });
});

describe('matmul', () => {
  test('point cases', () => {
    expect(matmul(tensor([[1, 2]]), tensor([[3], [4]])).toArray()).toEqual([[11]]);
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(matmul(a, eye(3)).toArray()).toEqual(a.toArray());
    expect(matmul(a, a, { transposeB: true }).toArray()).toEqual([[14, 32], [32, 77]]);
    expect(matmul(a, a, { transposeA: true }).toArray()).toEqual([[17, 22, 27], [22, 29, 36], [27, 36, 45]]);
  });

  const randn = (shape: number[], seed: number, dtype: 'float32' | 'float64' = 'float64'): Tensor => randomNormal(shape, 0, 1, { seed, dtype });

  /** Reference: loops over the broadcast batch with the float64 triple loop. */
  function refMatmul(a: Tensor, b: Tensor, ta: boolean, tb: boolean): { shape: number[]; data: number[] } {
    const A = ta ? transpose(a, [...a.shape.keys()].map((i) => (i < a.rank - 2 ? i : i === a.rank - 2 ? a.rank - 1 : a.rank - 2))) : a;
    const B = tb ? transpose(b, [...b.shape.keys()].map((i) => (i < b.rank - 2 ? i : i === b.rank - 2 ? b.rank - 1 : b.rank - 2))) : b;
    const [m, k] = A.shape.slice(-2);
    const n = B.shape[B.rank - 1];
    const ba = A.shape.slice(0, -2);
    const bb = B.shape.slice(0, -2);
    const rank = Math.max(ba.length, bb.length);
    const batch: number[] = [];
    for (let i = 0; i < rank; i++) {
      const x = ba[i - (rank - ba.length)] ?? 1;
      const y = bb[i - (rank - bb.length)] ?? 1;
      batch.push(x === 1 ? y : x);
    }
    const nb = batch.reduce((p, d) => p * d, 1);
    const data: number[] = [];
    for (let q = 0; q < nb; q++) {
      const idx: number[] = [];
      let rem = q;
      for (let d = batch.length - 1; d >= 0; d--) { idx.unshift(rem % batch[d]); rem = Math.floor(rem / batch[d]); }
      const off = (bs: number[]) => {
        let o = 0;
        for (let d = 0; d < bs.length; d++) o = o * bs[d] + (bs[d] === 1 ? 0 : idx[d + rank - bs.length]);
        return o;
      };
      const oa = off(ba) * m * k;
      const ob = off(bb) * k * n;
      const c = naiveGemm(m, n, k, (i, p) => A.data[oa + i * k + p], (p, j) => B.data[ob + p * n + j]);
      data.push(...c);
    }
    return { shape: [...batch, m, n], data };
  }

  test('property: batched with broadcasting, transposeA / transposeB, vs the reference', () => {
    const arb = fc.record({
      m: fc.integer({ min: 1, max: 9 }), n: fc.integer({ min: 1, max: 9 }), k: fc.integer({ min: 1, max: 9 }),
      batchA: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
      dropB: fc.integer({ min: 0, max: 2 }), onesB: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      t: fc.constantFrom<[boolean, boolean]>([false, false], [true, false], [false, true]),
      seed: fc.integer({ min: 0, max: 1 << 30 }),
      swap: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ m, n, k, batchA, dropB, onesB, t, seed, swap }) => {
        let batchB = batchA.map((d, i) => (onesB[i] ? 1 : d)).slice(Math.min(dropB, batchA.length));
        let bA = batchA;
        if (swap) [bA, batchB] = [batchB, bA];
        const [ta, tb] = t;
        const a = randn([...bA, ...(ta ? [k, m] : [m, k])], seed);
        const b = randn([...batchB, ...(tb ? [n, k] : [k, n])], seed + 1);
        const got = matmul(a, b, { transposeA: ta, transposeB: tb });
        const ref = refMatmul(a, b, ta, tb);
        expect(got.shape).toEqual(ref.shape);
        expect(got.dtype).toBe('float64');
        expectClose(got.data, ref.data, { rtol: 1e-12, atol: 1e-12 });
      }),
      FC,
    );
  });

  test('float32 stays float32; mixing promotes to float64', () => {
    const a32 = randn([3, 4], 1, 'float32');
    const b64 = randn([4, 2], 2, 'float64');
    expect(matmul(a32, a32, { transposeB: true }).dtype).toBe('float32');
    const mixed = matmul(a32, b64);
    expect(mixed.dtype).toBe('float64');
    expectClose(mixed.data, matmul(a32.cast('float64'), b64).data, { rtol: 1e-15, atol: 1e-15 });
  });

  test('shape errors name the op and both shapes', () => {
    expect(errorOf(() => matmul(ones([32, 96]), ones([64, 128])))).toBe('matmul: inner dimensions differ: [32,96] x [64,128]');
    expect(errorOf(() => matmul(ones([5, 32, 96]), ones([64, 128])))).toBe('matmul: inner dimensions differ: [5,32,96] x [64,128]');
    expect(errorOf(() => matmul(ones([96, 32]), ones([64, 128]), { transposeA: true }))).toBe('matmul: inner dimensions differ: [96,32]ᵀ x [64,128]');
    expect(errorOf(() => matmul(ones([32, 96]), ones([64, 128]), { transposeB: true }))).toBe('matmul: inner dimensions differ: [32,96] x [64,128]ᵀ');
    expect(errorOf(() => matmul(ones([3]), ones([3, 2])))).toBe('matmul: expected tensors of rank >= 2, received [3] x [3,2]');
    expect(errorOf(() => matmul(ones([2, 3, 4]), ones([5, 4, 6])))).toBe('matmul: batch shapes [2] and [5] cannot be broadcast: [2,3,4] x [5,4,6]');
  });
});
