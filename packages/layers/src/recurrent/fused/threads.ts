/**
 * Splitting the fused time loops over threads by bands of batch rows (loop.ts, bands.ts), and the
 * bias gradients by bands of columns. No cell math here.
 *
 * With two threads the calling thread and a pool worker take bands of batch rows from a shared
 * counter until none is left (a worker that has not started when the calling thread takes the last
 * band is not waited for: `runOnPool`'s `sharedQueue`); with one, the calling thread runs [0, B). Results do not depend on
 * the split (loop.ts). Workers load compiled modules: bands.js and the cell's rows module.
 */
import { DataArray, getThreads, giveBack, isShared, poolServes, runOnPool, sharedBands, sharedBuffer, takeBuffer, toShared } from '@seqlab/tensor';
import { BandsJob, ColumnSumsJob, RowFunction, columnSumsCols, takeBands } from './bands';
import type { RowsJob } from './loop';
import { OneHotGradJob, oneHotKernelGrad, oneHotKernelGradCols, storeOneHotKernelGrad } from './one_hot';

/**
 * Least batch rows and least per-sequence work (B·T·G·H·H multiply-adds of the recurrent
 * products) for which the time loops are split over threads. A split costs two worker round trips
 * (forward and backward), a band's per-step calls on each thread, and the shared copies of the
 * inputs and weights. Measured on 2 cores (bench/README.md), training steps at (32, 32, 64, 32),
 * 1-4 million multiply-adds: two threads 0.5-1.1x one; at (100, 128, 64, 32), 13-52 million:
 * 1.0-1.3x; 64 units and more: 1.3-2x. Below 2²³ the loops stay on one thread.
 */
let splitMinRows = 8;
let splitMinWork = 1 << 23;

/**
 * Sets the least batch rows and per-sequence work for a split (tests force splits of small
 * batches with `setFusedSplit(2, 0)`); returns the previous values.
 */
export function setFusedSplit(minRows: number, minWork: number): { minRows: number; minWork: number } {
  const prev = { minRows: splitMinRows, minWork: splitMinWork };
  splitMinRows = Math.max(2, minRows);
  splitMinWork = minWork;
  return prev;
}

/** Finds the module `file` of the folder `dir` of recurrent/ as pool workers load it (`setModuleLocator`). */
export type ModuleLocator = (dir: string, file: string) => string | null;

/**
 * Where pool workers load a module of recurrent/ from: in Node the path of the compiled file
 * (the Node entry, node.ts, installs that locator); in a page, a name ('lstm/rows.js'), which the
 * worker script (`@seqlab/layers/worker`) serves from the modules it bundles.
 */
let locate: ModuleLocator = (dir, file) => `${dir}/${file}`;
const found = new Map<string, string | null>();

export function setModuleLocator(f: ModuleLocator): void {
  locate = f;
  found.clear();
}

/**
 * The module `file` (e.g. 'rows.js') of the folder `dir` of recurrent/ (e.g. 'lstm'), as pool
 * workers load it; null when it is not there (in Node: not built), and then the loops stay on
 * the calling thread.
 */
export function compiledModule(dir: string, file: string): string | null {
  const key = `${dir}/${file}`;
  if (!found.has(key)) found.set(key, locate(dir, file));
  return found.get(key) as string | null;
}

/** The compiled bands.js, what every worker of a split runs. */
export function bandsModule(): string | null {
  return compiledModule('fused', 'bands.js');
}

/**
 * How many bands of batch rows a sequence of this size is split into (1 = not split); `rows` is
 * the compiled module of the cell's rows (null: not built, no split).
 */
export function splitParts(B: number, T: number, G: number, H: number, rows: string | null): number {
  const threads = getThreads();
  if (threads <= 1 || B < splitMinRows || B * T * G * H * H < splitMinWork) return 1;
  const bands = bandsModule();
  if (rows === null || bands === null || !poolServes(bands, 'runBands')) return 1;
  return Math.min(threads, B);
}

/**
 * Bands of batch rows for `parts` threads, as [b0, b1) pairs: up to two per thread (so a thread
 * that the machine slows down takes fewer of them: the threads take bands from a shared counter)
 * while each keeps at least 16 rows (every band pays the per-step calls of its loop), multiples
 * of 4 rows (the GEMM's tile height) from 16 rows a thread, the last band the shorter.
 */
export function rowBands(B: number, parts: number): Int32Array {
  let want = Math.min(2 * parts, Math.max(parts, Math.floor(B / 16)));
  // small batches: even bands (a multiple of 4 would leave one band much shorter); fewer bands
  // when rounding up to 4 rows would leave the last one empty
  const sizeFor = (n: number) => (B < 16 * parts ? Math.ceil(B / n) : Math.ceil(B / n / 4) * 4);
  while (want > parts && sizeFor(want) * (want - 1) >= B) want--;
  let size = sizeFor(want);
  if (size * (want - 1) >= B) size = Math.ceil(B / want);
  const out: number[] = [];
  for (let b0 = 0; b0 < B; b0 += size) out.push(b0, Math.min(B, b0 + size));
  return Int32Array.from(out);
}

/** What a split needs to know of a sequence: its batch, its thread count and the cell's rows module. */
export interface Split {
  B: number;
  parts: number;
  rows: string | null;
  /**
   * A shared copy of an array that lives as long as the sequence's step buffers (prepare.ts: from
   * the buffer pool, given back with them); without it, `share` makes a new one.
   */
  sharedCopy?: <A extends DataArray | Uint8Array | Int32Array>(a: A) => A;
}

/**
 * Runs `f` (exported as `fn` by the compiled module `s.rows`) over every band of batch rows: on
 * the calling thread alone when `s.parts` is 1, else on the calling thread and the pool's workers,
 * each taking the next band from a shared counter until none is left (bands.ts `takeBands`; the
 * workers through `runBands`).
 */
export function runRows<J extends Omit<RowsJob, 'b0' | 'b1' | 'serial'>>(s: Split, fn: string, f: RowFunction<J & RowsJob>, job: J): void {
  if (s.parts <= 1) {
    f({ ...job, b0: 0, b1: s.B, serial: false } as J & RowsJob);
    return;
  }
  const { bands, counter } = sharedBands(rowBands(s.B, s.parts));
  const shared = { ...job, module: s.rows as string, fn, bands, counter, b0: 0, b1: 0, serial: true } as unknown as BandsJob;
  const others = Array.from({ length: s.parts - 1 }, () => shared as unknown as Record<string, unknown>);
  // the calling thread takes bands until none is left: a worker that has not started by then is not waited for
  runOnPool(bandsModule() as string, 'runBands', others, () => takeBands(shared, f as RowFunction), { sharedQueue: true });
}

/** `a` itself on one thread, a shared copy (unless it is one already) when the loops are split. */
export function share<A extends DataArray | Uint8Array | Int32Array>(s: Split, a: A): A;
export function share<A extends DataArray | Uint8Array | Int32Array>(s: Split, a: A | null): A | null;
export function share<A extends DataArray | Uint8Array | Int32Array>(s: Split, a: A | null): A | null {
  if (a === null || s.parts <= 1 || isShared(a)) return a;
  return s.sharedCopy !== undefined ? s.sharedCopy(a) : toShared(a);
}

/**
 * out[j] (+offset) += Σ_r g[r, j]: the bias gradient, summing over batch and time, when no weight
 * GEMM sums it on the way. Split over threads by bands of columns when the loops are (each column
 * summed in the same order), so `out` is then on a SharedArrayBuffer.
 */
export function columnSums(s: Split, g: DataArray, rows: number, cols: number, out: DataArray, offset: number): void {
  if (s.parts <= 1 || cols < 2 * s.parts) {
    columnSumsCols({ g, rows, cols, out, offset, c0: 0, c1: cols });
    return;
  }
  const band = Math.ceil(cols / s.parts);
  const others: ColumnSumsJob[] = [];
  for (let k = 1; k < s.parts; k++) {
    const c0 = Math.min(cols, k * band);
    const c1 = Math.min(cols, c0 + band);
    if (c1 > c0) others.push({ g, rows, cols, out, offset, c0, c1 });
  }
  runOnPool(bandsModule() as string, 'columnSumsCols', others as unknown as Record<string, unknown>[], () => columnSumsCols({ g, rows, cols, out, offset, c0: 0, c1: band }));
}

/**
 * Least values of dG (rows · columns) for which a one-hot kernel gradient is split by columns
 * (`oneHotKernelGradSplit`): a floor chosen, not measured on a free second core; one thread takes
 * ~2 ns a value (2^18 values ~0.5 ms), against a worker's round trip of tens of µs.
 */
let oneHotSplitMinValues = 1 << 18;

/** Sets the least values of dG for which a one-hot kernel gradient is split (tests: 0); returns the previous value. */
export function setOneHotGradSplit(minValues: number): number {
  const prev = oneHotSplitMinValues;
  oneHotSplitMinValues = minValues;
  return prev;
}

/**
 * one_hot.ts `oneHotKernelGrad` (dW = Xsᵀ·dG for a one-hot Xs, db += Σ dG), split over the
 * threads of the loops by bands of columns when dG is large enough: each thread sums its columns
 * of the float64 accumulators over the rows in order, so every value is the same sum as on one
 * thread. hot and dG are then on SharedArrayBuffers (prepare.ts), the accumulators come from the
 * buffer pool, and the calling thread rounds them into dW and adds the bias sums.
 */
export function oneHotKernelGradSplit(s: Split, hot: Int32Array, dG: DataArray, cols: number, dW: DataArray, db: DataArray | null): void {
  const module = compiledModule('fused', 'one_hot.js');
  const parts = Math.min(s.parts, Math.floor(cols / 8));
  if (parts <= 1 || hot.length * cols < oneHotSplitMinValues || module === null || !poolServes(module, 'oneHotKernelGradCols') || !isShared(dG) || !isShared(hot)) {
    oneHotKernelGrad(hot, dG, cols, dW, db);
    return;
  }
  const acc = takeBuffer('float64', dW.length, sharedBuffer) as Float64Array;
  const sums = db === null ? null : (takeBuffer('float64', cols, sharedBuffer) as Float64Array);
  try {
    // bands of whole 64-byte lines of the float64 sums (8 values), so no two threads write one line
    const band = Math.ceil(cols / parts / 8) * 8;
    const others: OneHotGradJob[] = [];
    for (let k = 1; k < parts; k++) {
      const c0 = Math.min(cols, k * band);
      const c1 = Math.min(cols, c0 + band);
      if (c1 > c0) others.push({ hot, dG, cols, acc, sums, c0, c1 });
    }
    const local = () => oneHotKernelGradCols({ hot, dG, cols, acc, sums, c0: 0, c1: Math.min(cols, band) });
    runOnPool(module, 'oneHotKernelGradCols', others as unknown as Record<string, unknown>[], local);
    storeOneHotKernelGrad(acc, sums, dW, db, cols);
  } finally {
    giveBack(acc, sums);
  }
}
