/**
 * GEMM: C = op(A)·op(B) + beta·C on row-major typed arrays, where op(X) is X or Xᵀ.
 *
 * Three layouts cover every product an RNN needs without materializing a transpose:
 *   gemmNN  C[m,n] += A[m,k]  · B[k,n]
 *   gemmTN  C[m,n] += A[k,m]ᵀ · B[k,n]     (weight gradients: Xᵀ · dY)
 *   gemmNT  C[m,n] += A[m,k]  · B[n,k]ᵀ    (input gradients: dY · Wᵀ)
 *
 * Each array may be entered at an offset and read at a row stride (lda, ldb, ldc), so kernels can
 * work on a slice of a larger buffer (one timestep of a sequence, a band of columns) without copying.
 */
import type { DataArray } from './tensor';
import { getKernels } from './kernels';
import { Layout, parallelGemm } from './parallel';
import { strides } from './gemm_strides';
import { giveBack, takeBuffer } from './buffer_pool';
import { wasmGemm, wasmPackB } from './wasm/gemm_wasm';

/**
 * Arguments of a GEMM kernel, C = A·B + beta·C on raw buffers: A is [m, k], B [k, n], C [m, n]
 * (in the NN layout; TN reads A as [k, m], NT reads B as [n, k]), each at an element offset.
 */
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
  /**
   * Distance between consecutive rows of A as stored: default k for A [m, k] (NN, NT), m for
   * A stored [k, m] (TN). A larger value enters a band of columns of a wider matrix without a copy.
   */
  lda?: number;
  /**
   * Distance between consecutive rows of B as stored: default n for B [k, n] (NN, TN), k for B
   * stored [n, k] (NT). A larger value enters a band of columns of B (NN, TN) without a copy.
   */
  ldb?: number;
  /** Distance between consecutive rows of C: default n. A larger value writes a band of columns of a wider C. */
  ldc?: number;
  /** B already packed by `packGemmB` (same k, n). Give `b` too: pool workers pack their own. */
  packedB?: PackedB;
  /**
   * NN and TN: also bColumnSums[j] += Σ_p B[p, j] (j < n), summed in float64 over p = 0..k-1 in
   * order and added once, while B is packed: a bias gradient from the pass that computes the
   * weight gradient, instead of a pass of its own. Computed by the calling thread only.
   */
  bColumnSums?: DataArray;
}

/**
 * A right operand packed once for many products: the recurrent kernel, used at every timestep,
 * is packed once per sequence instead of once per step. Products with and without it are
 * bit-identical (packing is a copy). Packed for the kernels selected when it was made: `data`
 * for the scalar kernel, `wasm` for the wasm one; a product on the other kernels packs `b` itself.
 */
export interface PackedB {
  k: number;
  n: number;
  data: Float64Array | null;
  wasm?: Float32Array | null;
}

/** C = beta·C on the m rows of n values of C (row stride ldc). */
function scaleC(c: DataArray, co: number, m: number, n: number, ldc: number, beta: number): void {
  if (beta === 1) return;
  if (ldc === n) {
    const end = co + m * n;
    if (beta === 0) c.fill(0, co, end);
    else for (let i = co; i < end; i++) c[i] *= beta;
    return;
  }
  for (let r = 0, row = co; r < m; r++, row += ldc) {
    if (beta === 0) c.fill(0, row, row + n);
    else for (let i = row; i < row + n; i++) c[i] *= beta;
  }
}

// ---------------------------------------------------------------------------------------------
// The packed kernel shared by the three layouts.
//
// C += A·B is computed in 4×4 tiles of C. For a tile at rows i..i+3, columns j..j+3:
//   C[i+r, j+s] += Σ_p A[i+r, p] · B[p, j+s]
// The 16 sums live in local variables (registers) for the whole p loop; each step of p loads four
// values of A and four of B and does 16 multiply-adds.
//
// Before the tile loops, the operands are copied ("packed") into reused Float64Array scratch
// buffers laid out in exactly the order the p loop reads them:
//   packed B panel q:  pb[(q·kc + p)·4 + s] = B[pc + p, jc + 4q + s]   (4 columns, contiguous in p)
//   packed A strip:    pa[p·4 + r]          = A[i + r, pc + p]        (4 rows, contiguous in p)
// so the inner loop walks two arrays sequentially, whatever the layout (A or Aᵀ, B or Bᵀ) was; the
// layouts differ only in how they pack. Packing to float64 also removes the float32 -> float64
// conversion from every load in the hot loop, and keeps that loop monomorphic (it only ever sees
// Float64Array) whether the tensors are float32 or float64. Rows and columns past the edge are
// packed as zeros and never written back. k is cut into blocks of KC and n into blocks of NC so a
// packed B block (KC·NC doubles) stays in cache while every row strip of A passes over it.
// (With k > KC, a float32 C receives one rounded partial sum per k-block.)
//
// What was measured (bench/README.md): the 4×4 tile reading the float32 arrays in place ran at
// ~4.0 GFLOP/s; 2×4 and 1×8 tiles were slower, 3×4 and 4×8 no better, packing into Float32Array
// scratch no better; packing into Float64Array gained ~10% and inlining the micro-kernel into
// the panel loop another ~10%: ~5 GFLOP/s, ~4.7x the naive i-k-j loop, near the scalar peak of
// two floating-point operations per cycle (V8 does not vectorize).
// The scratch buffers are module state: safe because gemm never calls back into user code and
// each worker thread has its own module instance.

const KC = 256;
const NC = 512;
/** Scratch for the packed operands, grown on demand and reused by every call (hot loops never allocate). */
const packedA = new Float64Array(4 * KC);
let packedB = new Float64Array(0);
/** Edge tile: where a 4×4 tile sticks out of C, its sums go here first (never allocated per call). */
const edgeTile = new Float64Array(16);
/** Column sums of B (`bColumnSums`), grown on demand. */
let colSums = new Float64Array(0);

/** True when this product runs on the wasm kernel: float32 operands, wasm selected, not empty. */
function onWasm(args: GemmArgs): boolean {
  return getKernels() === 'wasm' && args.a instanceof Float32Array && args.b instanceof Float32Array && args.c instanceof Float32Array && args.m > 0 && args.n > 0 && args.k > 0;
}

/** The single-thread kernel (what each thread of a parallel product runs on its band of rows). */
export function gemmSerial(layout: Layout, args: GemmArgs): void {
  const { k, n, packedB } = args;
  if (packedB !== undefined && (packedB.k !== k || packedB.n !== n)) {
    throw new Error(`gemm${layout}: packed B is [${packedB.k}, ${packedB.n}], the product needs [${k}, ${n}]`);
  }
  if (args.bColumnSums !== undefined && (layout === 'NT' || packedB !== undefined)) {
    throw new Error(`gemm${layout}: bColumnSums needs B [k, n] packed by this call (NN or TN, no packedB)`);
  }
  const { lda, ldb, ldc } = strides(layout, args);
  const aCols = layout === 'TN' ? args.m : k;
  const bCols = layout === 'NT' ? k : n;
  if (lda < aCols || ldb < bCols || ldc < n) {
    throw new Error(`gemm${layout}: row strides lda ${lda}, ldb ${ldb}, ldc ${ldc} must be at least the rows' lengths ${aCols}, ${bCols}, ${n}`);
  }
  if (onWasm(args)) wasmGemm(layout, args);
  else gemmPacked(layout, args);
}

function gemmPacked(layout: Layout, args: GemmArgs): void {
  const { m, n, k, a, b, c } = args;
  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  const co = args.cOffset ?? 0;
  const { lda, ldb, ldc } = strides(layout, args);
  // a B packed for the wasm kernel has no scalar panels: pack b here
  const given = args.packedB ?? null;
  const pre = given !== null && given.data !== null ? (given as { k: number; n: number; data: Float64Array }) : null;
  const sums = args.bColumnSums ?? null;
  scaleC(c, co, m, n, ldc, args.beta ?? 0);
  if (m === 0 || n === 0 || k === 0) {
    if (sums !== null) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) sums[j] += b[bo + p * ldb + j];
    return;
  }
  let colSum: Float64Array | null = null;
  if (sums !== null) {
    if (colSums.length < n) colSums = new Float64Array(n);
    colSum = colSums;
    colSum.fill(0, 0, n);
  }
  if (pre === null) {
    const needB = Math.min(k, KC) * 4 * ((Math.min(n, NC) + 3) >> 2);
    if (packedB.length < needB) packedB = new Float64Array(needB);
  }
  const pa = packedA;
  const pb = pre === null ? packedB : pre.data;
  let block = 0; // where the current block starts in pre.data (blocks in the loops' order)
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const panels = (nc + 3) >> 2;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const base = block;
      if (pre !== null) block += kc * 4 * panels;
      else if (layout === 'NT') packBT(b, bo, ldb, pc, kc, jc, nc, pb);
      else if (colSum !== null) packBSum(b, bo, ldb, pc, kc, jc, nc, pb, colSum);
      else packB(b, bo, ldb, pc, kc, jc, nc, pb);
      for (let i = 0; i < m; i += 4) {
        const rows = Math.min(4, m - i);
        if (layout === 'TN') packAT(a, ao, lda, pc, kc, i, rows, pa);
        else packA(a, ao, lda, pc, kc, i, rows, pa);
        // the micro-kernel, one 4×4 tile of C per packed B panel: inlined here by hand, which
        // measured ~10% faster than calling it as a function (V8 does not inline a body this big)
        const end = kc * 4;
        let bp = base;
        for (let q = 0; q < panels; q++) {
          let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
          let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
          let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
          let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
          for (let ap = 0; ap < end; ap += 4, bp += 4) {
            const b0 = pb[bp], b1 = pb[bp + 1], b2 = pb[bp + 2], b3 = pb[bp + 3];
            const x0 = pa[ap], x1 = pa[ap + 1], x2 = pa[ap + 2], x3 = pa[ap + 3];
            c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
            c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
            c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
            c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
          }
          const j = jc + 4 * q;
          const cols = Math.min(4, n - j);
          let cp = co + i * ldc + j;
          if (rows === 4 && cols === 4) {
            c[cp] += c00; c[cp + 1] += c01; c[cp + 2] += c02; c[cp + 3] += c03; cp += ldc;
            c[cp] += c10; c[cp + 1] += c11; c[cp + 2] += c12; c[cp + 3] += c13; cp += ldc;
            c[cp] += c20; c[cp + 1] += c21; c[cp + 2] += c22; c[cp + 3] += c23; cp += ldc;
            c[cp] += c30; c[cp + 1] += c31; c[cp + 2] += c32; c[cp + 3] += c33;
          } else {
            // the tile sticks out of C: write only its first `rows` rows and `cols` columns
            const t = edgeTile;
            t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
            t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
            t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
            t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
            for (let r = 0; r < rows; r++, cp += ldc) for (let s = 0; s < cols; s++) c[cp + s] += t[r * 4 + s];
          }
        }
      }
    }
  }
  if (sums !== null && colSum !== null) for (let jj = 0; jj < n; jj++) sums[jj] += colSum[jj];
}

/**
 * B [k, n] (or stored transposed, [n, k]) packed once, every block in the order the kernel reads
 * them, for products that share it (`GemmArgs.packedB`).
 * @example const pu = packGemmB(U, H, 4 * H, false); gemmNN({ m: B, n: 4 * H, k: H, a: h, b: U, packedB: pu, c: z, beta: 1 });
 */
export function packGemmB(b: DataArray, k: number, n: number, transposed: boolean, bOffset = 0): PackedB {
  if (getKernels() === 'wasm' && b instanceof Float32Array && k > 0 && n > 0) return { k, n, data: null, wasm: wasmPackB(b, k, n, transposed, bOffset) };
  let size = 0;
  for (let jc = 0; jc < n; jc += NC) size += k * 4 * ((Math.min(NC, n - jc) + 3) >> 2);
  // from the buffer pool (zeroed: the panels past column n stay zero): `releasePackedB` gives it back
  const data = takeBuffer('float64', size) as Float64Array;
  let block = 0;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const panels = (nc + 3) >> 2;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const view = data.subarray(block, block + kc * 4 * panels);
      if (transposed) packBT(b, bOffset, k, pc, kc, jc, nc, view);
      else packB(b, bOffset, n, pc, kc, jc, nc, view);
      block += kc * 4 * panels;
    }
  }
  return { k, n, data };
}

/**
 * Gives the arrays of packs made by `packGemmB` back to the buffer pool (buffer_pool.ts) once their
 * products are done, so that the next packs of their sizes reuse the memory (a recurrent kernel
 * packs its weights on every call); null is ignored. A pack must not be used after its release.
 */
export function releasePackedB(...packs: (PackedB | null)[]): void {
  for (const p of packs) {
    if (p === null) continue;
    giveBack(p.data, p.wasm ?? null);
    p.data = null;
    p.wasm = null;
  }
}

/** pb[(q·kc + p)·4 + s] = B[pc + p, jc + 4q + s] for B stored [k, n] (row stride n = ldb); zeros past column n. */
function packB(b: DataArray, bo: number, n: number, pc: number, kc: number, jc: number, nc: number, pb: Float64Array): void {
  for (let q = 0; 4 * q < nc; q++) {
    const cols = Math.min(4, nc - 4 * q);
    let dst = q * kc * 4;
    let src = bo + pc * n + jc + 4 * q;
    if (cols === 4) {
      for (let p = 0; p < kc; p++, dst += 4, src += n) {
        pb[dst] = b[src]; pb[dst + 1] = b[src + 1]; pb[dst + 2] = b[src + 2]; pb[dst + 3] = b[src + 3];
      }
    } else {
      for (let p = 0; p < kc; p++, dst += 4, src += n) {
        for (let s = 0; s < 4; s++) pb[dst + s] = s < cols ? b[src + s] : 0;
      }
    }
  }
}

/** packB, also adding each packed column's values to colSum[jc + 4q + s] (p ascending). */
function packBSum(b: DataArray, bo: number, n: number, pc: number, kc: number, jc: number, nc: number, pb: Float64Array, colSum: Float64Array): void {
  for (let q = 0; 4 * q < nc; q++) {
    const cols = Math.min(4, nc - 4 * q);
    let dst = q * kc * 4;
    let src = bo + pc * n + jc + 4 * q;
    const j = jc + 4 * q;
    if (cols === 4) {
      let s0 = colSum[j], s1 = colSum[j + 1], s2 = colSum[j + 2], s3 = colSum[j + 3];
      for (let p = 0; p < kc; p++, dst += 4, src += n) {
        const v0 = b[src], v1 = b[src + 1], v2 = b[src + 2], v3 = b[src + 3];
        pb[dst] = v0; pb[dst + 1] = v1; pb[dst + 2] = v2; pb[dst + 3] = v3;
        s0 += v0; s1 += v1; s2 += v2; s3 += v3;
      }
      colSum[j] = s0; colSum[j + 1] = s1; colSum[j + 2] = s2; colSum[j + 3] = s3;
    } else {
      for (let p = 0; p < kc; p++, dst += 4, src += n) {
        for (let s = 0; s < 4; s++) {
          const v = s < cols ? b[src + s] : 0;
          pb[dst + s] = v;
          if (s < cols) colSum[j + s] += v;
        }
      }
    }
  }
}

/** Same packing for B stored transposed, [n, k]: B[p, j] = b[j·k + p] (row stride k = ldb). */
function packBT(b: DataArray, bo: number, k: number, pc: number, kc: number, jc: number, nc: number, pb: Float64Array): void {
  for (let q = 0; 4 * q < nc; q++) {
    const cols = Math.min(4, nc - 4 * q);
    const base = q * kc * 4;
    for (let s = 0; s < 4; s++) {
      let dst = base + s;
      if (s < cols) {
        let src = bo + (jc + 4 * q + s) * k + pc;
        for (let p = 0; p < kc; p++, dst += 4) pb[dst] = b[src++];
      } else {
        for (let p = 0; p < kc; p++, dst += 4) pb[dst] = 0;
      }
    }
  }
}

/** pa[p·4 + r] = A[i + r, pc + p] for A stored [m, k] (row stride k = lda); zeros past row m. */
function packA(a: DataArray, ao: number, k: number, pc: number, kc: number, i: number, rows: number, pa: Float64Array): void {
  for (let r = 0; r < 4; r++) {
    let dst = r;
    if (r < rows) {
      let src = ao + (i + r) * k + pc;
      for (let p = 0; p < kc; p++, dst += 4) pa[dst] = a[src++];
    } else {
      for (let p = 0; p < kc; p++, dst += 4) pa[dst] = 0;
    }
  }
}

/** Same packing for A stored transposed, [k, m]: A[i, p] = a[p·m + i] (row stride m = lda). */
function packAT(a: DataArray, ao: number, m: number, pc: number, kc: number, i: number, rows: number, pa: Float64Array): void {
  let src = ao + pc * m + i;
  let dst = 0;
  if (rows === 4) {
    for (let p = 0; p < kc; p++, dst += 4, src += m) {
      pa[dst] = a[src]; pa[dst + 1] = a[src + 1]; pa[dst + 2] = a[src + 2]; pa[dst + 3] = a[src + 3];
    }
  } else {
    for (let p = 0; p < kc; p++, dst += 4, src += m) {
      for (let r = 0; r < 4; r++) pa[dst + r] = r < rows ? a[src + r] : 0;
    }
  }
}

/**
 * C[m,n] = A[m,k]·B[k,n] + beta·C.
 * @example gemmNN({ m: 2, n: 2, k: 2, a: Float32Array.of(1, 2, 3, 4), b: Float32Array.of(5, 6, 7, 8), c })  // c = [19, 22, 43, 50]
 */
export function gemmNN(args: GemmArgs): void {
  if (!parallelGemm('NN', args, gemmSerial)) gemmSerial('NN', args);
}

/** C[m,n] = A[k,m]ᵀ·B[k,n] + beta·C (weight gradients: Xᵀ·dY). */
export function gemmTN(args: GemmArgs): void {
  if (!parallelGemm('TN', args, gemmSerial)) gemmSerial('TN', args);
}

/** C[m,n] = A[m,k]·B[n,k]ᵀ + beta·C (input gradients: dY·Wᵀ). */
export function gemmNT(args: GemmArgs): void {
  if (!parallelGemm('NT', args, gemmSerial)) gemmSerial('NT', args);
}

/** The textbook i-k-j loop, kept as the baseline the benchmark compares against. */
export function gemmNaive(args: GemmArgs): void {
  const { m, n, k, a, b, c } = args;
  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  const co = args.cOffset ?? 0;
  scaleC(c, co, m, n, n, args.beta ?? 0);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = a[ao + i * k + p];
      for (let j = 0; j < n; j++) c[co + i * n + j] += x * b[bo + p * n + j];
    }
  }
}
