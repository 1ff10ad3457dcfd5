/**
 * GEMM: C = alpha·op(A)·op(B) + beta·C on row-major typed arrays, where op(A) is A or Aᵀ.
 *
 * Three layouts cover every product an RNN needs without materializing a transpose:
 *   gemmNN  C[m,n] += A[m,k]  · B[k,n]
 *   gemmTN  C[m,n] += A[k,m]ᵀ · B[k,n]     (weight gradients: Xᵀ · dY)
 *   gemmNT  C[m,n] += A[m,k]  · B[n,k]ᵀ    (input gradients: dY · Wᵀ)
 *
 * Each array may be entered at an offset, so kernels can work on a slice of a larger buffer
 * (one timestep of a sequence) without copying.
 */
import { DataArray } from './tensor';

export interface GemmArgs {
  m: number;
  n: number;
  k: number;
  a: DataArray;
  aOffset?: number;
  b: DataArray;
  bOffset?: number;
  c: DataArray;
  cOffset?: number;
  /** C = A·B + beta·C; beta 0 overwrites C, 1 accumulates into it. Default 0. */
  beta?: number;
}

function scaleC(c: DataArray, co: number, m: number, n: number, beta: number): void {
  if (beta === 1) return;
  const end = co + m * n;
  if (beta === 0) c.fill(0, co, end);
  else for (let i = co; i < end; i++) c[i] *= beta;
}

/**
 * C[m,n] = A[m,k]·B[k,n] + beta·C. Register-blocked: a 4×4 block of C lives in locals while the
 * k-loop streams a row-pair of A and a row of B; edges fall back to the i-k-j loop.
 */
export function gemmNN(args: GemmArgs): void {
  const { m, n, k, a, b, c } = args;
  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  const co = args.cOffset ?? 0;
  scaleC(c, co, m, n, args.beta ?? 0);
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = ao + i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let bp = bo + j;
      for (let p = 0; p < k; p++, bp += n) {
        const b0 = b[bp], b1 = b[bp + 1], b2 = b[bp + 2], b3 = b[bp + 3];
        const x0 = a[a0 + p], x1 = a[a1 + p], x2 = a[a2 + p], x3 = a[a3 + p];
        c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
        c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
        c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
        c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
      }
      let cp = co + i * n + j;
      c[cp] += c00; c[cp + 1] += c01; c[cp + 2] += c02; c[cp + 3] += c03; cp += n;
      c[cp] += c10; c[cp + 1] += c11; c[cp + 2] += c12; c[cp + 3] += c13; cp += n;
      c[cp] += c20; c[cp + 1] += c21; c[cp + 2] += c22; c[cp + 3] += c23; cp += n;
      c[cp] += c30; c[cp + 1] += c31; c[cp + 2] += c32; c[cp + 3] += c33;
    }
  }
  // right edge columns (all rows) and bottom edge rows
  if (n4 < n) edgeNN(a, ao, b, bo, c, co, 0, m4, n4, n, k, n);
  if (m4 < m) edgeNN(a, ao, b, bo, c, co, m4, m, 0, n, k, n);
}

function edgeNN(a: DataArray, ao: number, b: DataArray, bo: number, c: DataArray, co: number,
  i0: number, i1: number, j0: number, j1: number, k: number, n: number): void {
  for (let i = i0; i < i1; i++) {
    for (let p = 0; p < k; p++) {
      const x = a[ao + i * k + p];
      const br = bo + p * n;
      const cr = co + i * n;
      for (let j = j0; j < j1; j++) c[cr + j] += x * b[br + j];
    }
  }
}

/** C[m,n] = A[k,m]ᵀ·B[k,n] + beta·C. */
export function gemmTN(args: GemmArgs): void {
  const { m, n, k, a, b, c } = args;
  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  const co = args.cOffset ?? 0;
  scaleC(c, co, m, n, args.beta ?? 0);
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let ap = ao + i;
      let bp = bo + j;
      for (let p = 0; p < k; p++, ap += m, bp += n) {
        const b0 = b[bp], b1 = b[bp + 1], b2 = b[bp + 2], b3 = b[bp + 3];
        const x0 = a[ap], x1 = a[ap + 1], x2 = a[ap + 2], x3 = a[ap + 3];
        c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
        c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
        c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
        c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
      }
      let cp = co + i * n + j;
      c[cp] += c00; c[cp + 1] += c01; c[cp + 2] += c02; c[cp + 3] += c03; cp += n;
      c[cp] += c10; c[cp + 1] += c11; c[cp + 2] += c12; c[cp + 3] += c13; cp += n;
      c[cp] += c20; c[cp + 1] += c21; c[cp + 2] += c22; c[cp + 3] += c23; cp += n;
      c[cp] += c30; c[cp + 1] += c31; c[cp + 2] += c32; c[cp + 3] += c33;
    }
  }
  if (n4 < n) edgeTN(a, ao, b, bo, c, co, 0, m4, n4, n, k, m, n);
  if (m4 < m) edgeTN(a, ao, b, bo, c, co, m4, m, 0, n, k, m, n);
}

function edgeTN(a: DataArray, ao: number, b: DataArray, bo: number, c: DataArray, co: number,
  i0: number, i1: number, j0: number, j1: number, k: number, m: number, n: number): void {
  for (let p = 0; p < k; p++) {
    const ar = ao + p * m;
    const br = bo + p * n;
    for (let i = i0; i < i1; i++) {
      const x = a[ar + i];
      const cr = co + i * n;
      for (let j = j0; j < j1; j++) c[cr + j] += x * b[br + j];
    }
  }
}

/** C[m,n] = A[m,k]·B[n,k]ᵀ + beta·C: dot products of rows, blocked 4×4. */
export function gemmNT(args: GemmArgs): void {
  const { m, n, k, a, b, c } = args;
  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  const co = args.cOffset ?? 0;
  scaleC(c, co, m, n, args.beta ?? 0);
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = ao + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (let j = 0; j < n4; j += 4) {
      const b0 = bo + j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0; p < k; p++) {
        const y0 = b[b0 + p], y1 = b[b1 + p], y2 = b[b2 + p], y3 = b[b3 + p];
        const x0 = a[a0 + p], x1 = a[a1 + p], x2 = a[a2 + p], x3 = a[a3 + p];
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
      }
      let cp = co + i * n + j;
      c[cp] += c00; c[cp + 1] += c01; c[cp + 2] += c02; c[cp + 3] += c03; cp += n;
      c[cp] += c10; c[cp + 1] += c11; c[cp + 2] += c12; c[cp + 3] += c13; cp += n;
      c[cp] += c20; c[cp + 1] += c21; c[cp + 2] += c22; c[cp + 3] += c23; cp += n;
      c[cp] += c30; c[cp + 1] += c31; c[cp + 2] += c32; c[cp + 3] += c33;
    }
  }
  if (n4 < n) edgeNT(a, ao, b, bo, c, co, 0, m4, n4, n, k, n);
  if (m4 < m) edgeNT(a, ao, b, bo, c, co, m4, m, 0, n, k, n);
}

function edgeNT(a: DataArray, ao: number, b: DataArray, bo: number, c: DataArray, co: number,
  i0: number, i1: number, j0: number, j1: number, k: number, n: number): void {
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < j1; j++) {
      let s = 0;
      const ar = ao + i * k;
      const br = bo + j * k;
      for (let p = 0; p < k; p++) s += a[ar + p] * b[br + p];
      c[co + i * n + j] += s;
    }
  }
}

/** The textbook i-k-j loop, kept as the baseline the benchmark compares against. */
export function gemmNaive(args: GemmArgs): void {
  const { m, n, k, a, b, c } = args;
  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  const co = args.cOffset ?? 0;
  scaleC(c, co, m, n, args.beta ?? 0);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = a[ao + i * k + p];
      for (let j = 0; j < n; j++) c[co + i * n + j] += x * b[bo + p * n + j];
    }
  }
}
