/**
 * Row kernels split over the thread pool: the softmax rows and the cross-entropy rows
 * (softmax_rows.ts, crossentropy_rows.ts) each compute row r from row r of their inputs alone,
 * so a split by bands of rows gives the same values bit for bit for any number of threads.
 *
 * The calling thread and the pool's workers take bands of rows from a shared counter until none
 * is left; a worker that has not started when the calling thread takes the last band is not
 * waited for (`runOnPool`'s `sharedQueue`), so a worker kept off a core by other load costs the
 * caller nothing. The workers find the kernels by name in this package (row_tasks.ts), so they
 * load no module of their own. Arrays not on a SharedArrayBuffer are copied into shared buffers
 * of the buffer pool (a pass over memory that is far cheaper than the rows: 1.7 MB in ~0.04 ms,
 * warm), outputs copied back.
 */
import { giveBack, takeBuffer, takeSharedCopy } from './buffer_pool';
import { getThreads, isShared, runOnPool, sharedBuffer } from './parallel';
import type { DataArray } from './tensor';

/** The `runOnPool` module name under which workers find this package's row kernels (row_tasks.ts). */
export const ROW_TASKS_MODULE = '@seqlab/tensor/row_tasks';

/** An array a row kernel reads or writes. */
export type RowArray = DataArray | Int32Array;

/** What a row kernel gets: its arrays (and null for an array it goes without) and numbers by name, `n` values a row. */
export interface RowJob {
  n: number;
}

/** A row kernel: computes the rows [r0, r1) of its outputs from the same rows of its inputs. */
export type RowKernel<J extends RowJob = RowJob> = (j: J, r0: number, r1: number) => void;

/** A band job as a worker gets it: the kernel's name and job, the bands and their counter. */
export interface RowBandsJob<J extends RowJob = RowJob> {
  kernel: string;
  job: J;
  /** [b0, b1) pairs of rows. */
  bands: Int32Array;
  /** [0]: the next band to take. */
  counter: Int32Array;
}

/**
 * Least values (rows · n) for which a row kernel is split: a floor chosen, not measured on a free
 * second core. The softmax rows take ~8 ns a value on one thread (a 6400 x 65 softmax: 3.3 ms, 2^16
 * values ~0.5 ms); a split costs a worker's round trip and the copies of its arrays into shared
 * memory, which at load ~3 (no free core: the worker seldom took a band) came to 0.05-0.3 ms over
 * one thread for 128 to 6400 rows of 65.
 */
let minValues = 1 << 16;

/** Least rows a band holds (every band is a counter add and a kernel call). */
const MIN_BAND_ROWS = 64;

/** Sets the least values (rows · n) for which row kernels are split (tests: 0); returns the previous value. */
export function setRowSplit(values: number): number {
  const prev = minValues;
  minValues = values;
  return prev;
}

let splitCount = 0;

/** How many row kernels were split over the pool so far (tests check that a split really happened). */
export function rowSplits(): number {
  return splitCount;
}

/** Takes bands from the shared counter and runs `kernel` on each until none is left. */
export function takeRowBands<J extends RowJob>(j: RowBandsJob<J>, kernel: RowKernel<J>): void {
  const count = j.bands.length >> 1;
  for (;;) {
    const k = Atomics.add(j.counter, 0, 1);
    if (k >= count) return;
    kernel(j.job, j.bands[2 * k], j.bands[2 * k + 1]);
  }
}

/**
 * The bands and the counter of a split, [counter, b0, b1, b0, b1, …]: one shared array, reused by
 * every split of this package's row kernels and of the fused loops' bands (layers), so that no
 * split hands the workers a new buffer. A split returns only when every worker that took its job is
 * done with it, and workers never split, so one array serves them all.
 */
let bandsScratch: Int32Array | null = null;

/**
 * `pairs` ([b0, b1) pairs of rows) and a counter of the next band to take, set to 0, in the shared
 * array that every split reuses: what the calling thread and the pool's workers take bands from.
 */
export function sharedBands(pairs: ArrayLike<number>): { bands: Int32Array; counter: Int32Array } {
  if (bandsScratch === null || bandsScratch.length < pairs.length + 1) bandsScratch = new Int32Array(sharedBuffer(4 * Math.max(64, pairs.length + 1)));
  const counter = bandsScratch.subarray(0, 1);
  counter[0] = 0;
  const bands = bandsScratch.subarray(1, 1 + pairs.length);
  bands.set(pairs);
  return { bands, counter };
}

function bandsFor(rows: number, parts: number): { bands: Int32Array; counter: Int32Array } {
  // two bands a thread (a thread slowed by other load takes fewer), of at least MIN_BAND_ROWS rows
  const count = Math.max(1, Math.min(2 * parts, Math.floor(rows / MIN_BAND_ROWS)));
  const size = Math.ceil(rows / count);
  const pairs: number[] = [];
  for (let r0 = 0; r0 < rows; r0 += size) pairs.push(r0, Math.min(rows, r0 + size));
  return sharedBands(pairs);
}

/**
 * Runs `kernel` (served to workers as `name`, row_tasks.ts) over the rows [0, rows) of `job`: on
 * the calling thread alone when the pool is off or the rows hold fewer than the split's least
 * values, else on the calling thread and the pool's workers by bands of rows. `outputs` names the
 * job's arrays the kernel writes (each whole, over every row); the rest it only reads.
 */
export function runRowKernel<J extends RowJob>(name: string, kernel: RowKernel<J>, rows: number, job: J, outputs: (keyof J & string)[]): void {
  const threads = getThreads();
  if (rowSplit === null || threads <= 1 || rows * job.n < minValues || rows < 2 * MIN_BAND_ROWS) {
    kernel(job, 0, rows);
    return;
  }
  rowSplit(name, kernel as RowKernel, rows, job, outputs, threads);
}

/**
 * The split of a row kernel over the pool, set by `enableRowSplit` when a host is installed (no
 * worker starts without one, so `getThreads()` stays 1): a program that never installs a host
 * carries none of the split's code.
 */
let rowSplit: typeof splitRowKernel | null = null;

/** Makes large row kernels split over the pool's workers (pool_setup.ts `setPoolHost`). */
export function enableRowSplit(): void {
  rowSplit = splitRowKernel;
}

/** `runRowKernel`'s split: the calling thread and `threads - 1` workers take bands of rows. */
function splitRowKernel<J extends RowJob>(name: string, kernel: RowKernel<J>, rows: number, job: J, outputs: (keyof J & string)[], threads: number): void {
  const { bands, counter } = bandsFor(rows, threads);
  const shared: Record<string, unknown> = { ...(job as object) };
  const taken: RowArray[] = [];
  const back: [RowArray, RowArray][] = [];
  for (const [key, v] of Object.entries(job) as [keyof J & string, unknown][]) {
    if (!ArrayBuffer.isView(v) || isShared(v)) continue;
    const out = outputs.includes(key);
    // an output's every value is written by the kernel: its shared buffer need not be zeroed
    const a = v as RowArray;
    const s = out && !(a instanceof Int32Array) ? takeBuffer(a instanceof Float64Array ? 'float64' : 'float32', a.length, sharedBuffer, false) : takeSharedCopy(a, sharedBuffer);
    shared[key] = s;
    taken.push(s);
    if (out) back.push([a, s]);
  }
  try {
    const split: RowBandsJob<J> = { kernel: name, job: shared as unknown as J, bands, counter };
    const others = Array.from({ length: Math.min(threads - 1, (bands.length >> 1) - 1) }, () => split as unknown as Record<string, unknown>);
    splitCount++;
    runOnPool(ROW_TASKS_MODULE, 'rows', others, () => takeRowBands(split, kernel), { sharedQueue: true });
    for (const [v, s] of back) v.set(s as never);
  } finally {
    giveBack(...taken);
  }
}
