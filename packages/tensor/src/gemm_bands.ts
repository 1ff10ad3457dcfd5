/**
 * A product split over the pool by bands taken from a shared counter, when every operand is on a
 * SharedArrayBuffer (the step buffers of a training step are): the calling thread and the workers
 * take bands of rows or columns of C until none is left, as the fused loops and the row kernels do
 * (row_split.ts). parallel.ts's fixed split gives each thread one equal band: on a machine whose
 * other load slows one thread for a while, the other then waits up to half the product; here it
 * takes more bands instead, and a worker that has not started when the last band is taken is not
 * waited for.
 *
 * Each band is a product of its own on the serial kernel: bands of rows read all of B (a worker
 * packs it for each band it takes), bands of columns all of A. Every element of C, and every
 * column sum of B, is the same sum in the same order whoever computes it, so the result is
 * bit-identical to one thread's for any split.
 */
import { giveBack, takeBuffer } from './buffer_pool';
import type { GemmArgs } from './gemm';
import { strides } from './gemm_strides';
import type { Layout, SerialGemm } from './parallel';
import { isShared, runOnPool, sharedBuffer } from './parallel';
import { ROW_TASKS_MODULE, sharedBands } from './row_split';
import type { DataArray } from './tensor';

/** What every thread of a split gets: the product (strides explicit, no packed B), its bands and their counter. */
export interface GemmBandsJob {
  layout: Layout;
  /** True: bands of columns of C; false: of rows. */
  columns: boolean;
  args: GemmArgs;
  /** [b0, b1) pairs. */
  bands: Int32Array;
  /** [0]: the next band to take. */
  counter: Int32Array;
}

/** Least rows, or columns, of a band: each band repacks the operand it reads whole (B for rows, A for columns). */
const MIN_BAND = 32;

/** The product of band [b0, b1): its rows of A and C (or columns of B and C), the column sums with them. */
export function bandArgs(j: GemmBandsJob, b0: number, b1: number): GemmArgs {
  const { layout, args } = j;
  const { lda, ldb, ldc } = args as Required<Pick<GemmArgs, 'lda' | 'ldb' | 'ldc'>>;
  const [ao, bo, co] = [args.aOffset ?? 0, args.bOffset ?? 0, args.cOffset ?? 0];
  const sums = args.bColumnSums;
  if (j.columns) {
    return { ...args, n: b1 - b0, bOffset: layout === 'NT' ? bo + b0 * ldb : bo + b0, cOffset: co + b0, bColumnSums: sums?.subarray(b0) };
  }
  // the band of the first rows sums B's columns (every column, in order, as one thread would)
  return { ...args, m: b1 - b0, aOffset: layout === 'TN' ? ao + b0 : ao + b0 * lda, cOffset: co + b0 * ldc, bColumnSums: b0 === 0 ? sums : undefined };
}

/** Takes bands from the counter and computes each on `serial` until none is left (the calling thread and every worker). */
export function takeGemmBands(j: GemmBandsJob, serial: SerialGemm, packedB?: GemmArgs['packedB']): void {
  const count = j.bands.length >> 1;
  for (;;) {
    const k = Atomics.add(j.counter, 0, 1);
    if (k >= count) return;
    const band = bandArgs(j, j.bands[2 * k], j.bands[2 * k + 1]);
    // a B packed beforehand serves the calling thread's bands of rows (a band that sums B packs it itself)
    serial(j.layout, packedB !== undefined && band.bColumnSums === undefined ? { ...band, packedB } : band);
  }
}

/**
 * Runs the product on the calling thread and `threads - 1` workers by bands from a shared counter,
 * if A, B and C are on SharedArrayBuffers and it has room for two bands a thread; returns false
 * (nothing done) otherwise. Column sums not on a SharedArrayBuffer are summed in a shared copy.
 */
export function splitGemmBands(columns: boolean, layout: Layout, args: GemmArgs, serial: SerialGemm, threads: number): boolean {
  const { a, b, c } = args;
  if (!isShared(a) || !isShared(b) || !isShared(c)) return false;
  const extent = columns ? args.n : args.m;
  const count = Math.min(2 * threads, Math.floor(extent / MIN_BAND));
  if (count < threads) return false;
  // multiples of the kernel's tile: 8 columns, 4 rows
  const unit = columns ? 8 : 4;
  const size = Math.ceil(extent / count / unit) * unit;
  const pairs: number[] = [];
  for (let b0 = 0; b0 < extent; b0 += size) pairs.push(b0, Math.min(extent, b0 + size));
  const { bands, counter } = sharedBands(pairs);
  const sums = args.bColumnSums;
  const sumsCopy = sums === undefined || isShared(sums) ? null : takeBuffer(sums instanceof Float64Array ? 'float64' : 'float32', sums.length, sharedBuffer, false);
  try {
    sumsCopy?.set(sums as DataArray);
    const { packedB, ...rest } = args;
    const job: GemmBandsJob = { layout, columns, args: { ...rest, ...strides(layout, args), ...(sumsCopy !== null ? { bColumnSums: sumsCopy } : {}) }, bands, counter };
    const others = Array.from({ length: Math.min(threads, pairs.length >> 1) - 1 }, () => job as unknown as Record<string, unknown>);
    runOnPool(ROW_TASKS_MODULE, 'gemmBands', others, () => takeGemmBands(job, serial, packedB), { sharedQueue: true });
    if (sumsCopy !== null) (sums as DataArray).set(sumsCopy);
  } finally {
    if (sumsCopy !== null) giveBack(sumsCopy);
  }
  return true;
}
