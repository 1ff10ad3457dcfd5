/**
 * A small pool of worker threads for large GEMMs, and for tasks of other packages (`runOnPool`:
 * the fused recurrent kernels of @seqlab/layers run their time loops on bands of batch rows).
 *
 * A product C[m,n] = op(A)·op(B) is split by rows of C or by columns, whichever packs less (a row
 * split has every thread pack all of B, a column split all of A): the calling thread computes the
 * first band in place, each worker a further band on SharedArrayBuffer copies of its operands (its
 * rows of A and B whole, or A whole and its columns of B; its part of C), which the caller copies
 * back. Every element of C is still the same sum in the same order whoever computes it, so the
 * result is bit-identical for any number of threads and either split. Operands already on a
 * SharedArrayBuffer are handed over without a copy, read at their row strides.
 *
 * The caller stays synchronous: it posts the job, computes its own band, and blocks in
 * `Atomics.wait` (a page's main thread: spins) until every worker has stored "done". A job goes
 * to a worker as a message of plain values naming its shared buffers by id (pool_wire.ts), with
 * only the buffers the worker lacks beside it; so the same buffers are handed over once, not at
 * every job. Workers are
 * started by `setThreads(n > 1)`, never by a test that does not ask, and are `unref`ed so they
 * never keep a process (or jest) alive.
 *
 * The workers come from the platform (pool_host.ts): worker_threads in Node (parallel_node.ts,
 * installed by the Node entry), Web Workers in a cross-origin-isolated page (`useWebWorkers`),
 * else none. In Node the default is as many threads as the machine has cores, at most
 * DEFAULT_MAX_THREADS (the split was measured and tuned on 2 cores); one under jest, where a test
 * that wants threads asks for them.
 *
 *   SEQLAB_THREADS=1 node …  one thread: the switch that forces the calling thread only
 *   SEQLAB_THREADS=4 node …  four threads from the start
 *   setThreads(n)            n threads from now on
 *
 * Only products of at least PARALLEL_MIN_WORK multiply-adds (and 16 rows, or columns) are split: below
 * that, measured on a 2-CPU machine, the split lost more than it saved ([1024, 64]x[64, 128] and [64, 128]x[128, 512] ran slower with two threads).
 */
import type { GemmArgs } from './gemm';
import { strides } from './gemm_strides';
import { getKernels } from './kernels';
import { StartedWorker, onPoolHostChange, poolHost, startWorker, waitForStatus } from './pool_host';
import { TAKEN, forgetShared } from './pool_wire';
import type { DType, DataArray } from './tensor';

/** Which operand a GEMM reads transposed: 'NN' C = A·B, 'TN' C = Aᵀ·B, 'NT' C = A·Bᵀ. */
export type Layout = 'NN' | 'TN' | 'NT';
/** A one-thread GEMM kernel, called by `parallelGemm` on each band of rows or columns. */
export type SerialGemm = (layout: Layout, args: GemmArgs) => void;

/** m·n·k below which a product stays on the calling thread (measured: bench/README.md). */
export const PARALLEL_MIN_WORK = 1 << 24;

/** The least m·n·k split now: PARALLEL_MIN_WORK unless `setGemmSplit` changed it. */
let minWork = PARALLEL_MIN_WORK;

/**
 * Sets the least m·n·k for which products are split over the pool (tests: small products split,
 * so that a split's every edge is checked in milliseconds); returns the previous value.
 */
export function setGemmSplit(work: number): number {
  if (!Number.isInteger(work) || work < 0) throw new Error(`setGemmSplit: expected a non-negative integer of multiply-adds, received ${work}`);
  const prev = minWork;
  minWork = work;
  return prev;
}

/** A started worker (`handed`: the buffers it holds, what its jobs name by id). */
interface PoolWorker extends StartedWorker {
  /** Shared scratch of this worker: a, b, c per dtype. */
  scratch: Map<string, DataArray>;
}

let threads: number | null = null;
/** Started workers, ready or not; only ready ones take jobs. */
let started: PoolWorker[] = [];

/** The threads asked for: setThreads, else the platform's default. */
function wanted(): number {
  if (threads === null) threads = poolHost().defaultThreads();
  return threads;
}

function stop(w: PoolWorker): void {
  w.handle.terminate();
  w.handed.close();
}

onPoolHostChange(() => {
  for (const w of started) stop(w);
  started = [];
  threads = null;
});

/**
 * Uses `n` threads for large GEMMs from now on (1 = the calling thread only). Starts or stops
 * workers as needed; returns the number actually in use (1 where no workers can run; in a page,
 * workers count once they have loaded: see `useWebWorkers`).
 * @example setThreads(2); gemmNN({ m: 4096, n: 512, k: 512, a, b, c }); setThreads(1);
 */
export function setThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setThreads: expected a positive integer, received ${n}`);
  threads = n;
  if (n - 1 < started.length) {
    for (const w of started.slice(n - 1)) stop(w);
    started = started.slice(0, n - 1);
  }
  return getThreads();
}

/** Threads in use for large GEMMs. */
export function getThreads(): number {
  if (wanted() <= 1) return 1;
  return readyWorkers().length + 1;
}

/** The ready workers, after starting any missing ones. */
function readyWorkers(): PoolWorker[] {
  while (started.length < wanted() - 1) {
    const w = startWorker();
    if (w === null) break;
    started.push({ ...w, scratch: new Map() });
  }
  return started.filter((w) => w.handle.ready);
}

/** Whether the pool's workers can run `fn` of `module` (`runOnPool`). */
export function poolServes(module: string, fn: string): boolean {
  return getThreads() > 1 && poolHost().serves(module, fn);
}

let posted = 0;
let handing = 0;
let withdrawn = 0;
/** The number of the last job posted (ctrl[0] holds it until the worker takes the job). */
let seq = 0;

/** How many jobs have been handed to workers so far (tests check that a split really happened). */
export function poolJobsPosted(): number {
  return posted;
}

/**
 * How many of those jobs handed over buffers the worker did not hold yet; the others named held
 * buffers only.
 */
export function poolJobMessages(): number {
  return handing;
}

/** How many posted jobs were withdrawn before a worker took them up (`runOnPool`'s `sharedQueue`). */
export function poolJobsWithdrawn(): number {
  return withdrawn;
}

/** Buffers the pool's workers hold now (each worker's count and bytes; bounded, pool_wire.ts). */
export function poolHeldBuffers(): { buffers: number; bytes: number }[] {
  return started.map((w) => w.handed.holding());
}

function post(w: PoolWorker, job: Record<string, unknown>): void {
  seq = seq >= 0x3fffffff ? 1 : seq + 1;
  const message = w.handed.encode({ ...job, kernels: getKernels() }, seq);
  const { ctrl } = w.channel;
  posted++;
  if (message.fresh.length > 0) handing++;
  Atomics.store(ctrl, 1, 0);
  Atomics.store(ctrl, 0, seq);
  w.handle.send(message);
  // a Node worker waits on the count of messages (a Web Worker on its event loop)
  Atomics.add(ctrl, 2, 1);
  Atomics.notify(ctrl, 2);
}

/** True when `x` is a view of a SharedArrayBuffer (what the pool's threads can see without a copy). */
export function isShared(x: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && x.buffer instanceof SharedArrayBuffer;
}

/**
 * A new SharedArrayBuffer of `bytes` (allocShared, toShared and the buffer pool's shared takes go
 * through here). A pool worker that is handed a shared buffer keeps it alive until its own
 * collector runs, which is seldom: a buffer made per call and handed to workers piles up there
 * (resident memory at two threads grew by about 15 MB a training step when the fused kernels did
 * so). What is handed over at every call should come from the buffer pool (`takeBuffer`,
 * `takeSharedCopy`, `giveBack`), as the fused kernels' buffers do.
 */
export function sharedBuffer(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(bytes);
}

/** A zeroed array of `dtype` on a SharedArrayBuffer (visible to the pool's workers without a copy). */
export function allocShared(dtype: DType, n: number): DataArray {
  return dtype === 'float64' ? new Float64Array(sharedBuffer(8 * n)) : new Float32Array(sharedBuffer(4 * n));
}

/** `x` itself when it is on a SharedArrayBuffer, else a shared copy. */
export function toShared<A extends DataArray | Uint8Array | Int32Array>(x: A): A {
  if (isShared(x)) return x;
  const Ctor = x.constructor as new (b: SharedArrayBuffer) => A;
  const out = new Ctor(sharedBuffer(x.byteLength));
  (out as DataArray).set(x as DataArray);
  return out;
}

/** Options of `runOnPool`. */
export interface RunOnPoolOptions {
  /**
   * The workers and `local` take their work from one queue in shared memory, which `local` empties
   * before it returns (the fused time loops' bands of rows): a worker that has not taken up its job
   * by then has nothing left to do, so its job is withdrawn instead of waited for. A worker that
   * other load keeps off a core then costs the caller nothing.
   */
  sharedQueue?: boolean;
}

/**
 * Takes back a job the worker has not taken yet (true), else false: it runs or has run it. The
 * message still arrives; the worker takes its buffers and forgets, and skips the job.
 */
function withdraw(w: PoolWorker): boolean {
  const ctrl = w.channel.ctrl;
  const s = Atomics.load(ctrl, 0);
  if (s === TAKEN || s === 0 || Atomics.compareExchange(ctrl, 0, s, 0) !== s) return false;
  withdrawn++;
  return true;
}

/**
 * Runs a task of a module on the pool: `args[i]` goes to worker i, which calls
 * `require(module)[fn](args[i])` (in a page: the function the worker script serves as `fn`), while the calling thread runs `local()`; returns when every
 * part is done (throws if a worker failed). Every typed array in `args` must be on a
 * SharedArrayBuffer (checked: anything else would be copied and the worker's writes lost).
 * The caller must not use the pool from `local` (its workers are busy): call `gemmSerial` there.
 * `module` is a path to compiled JavaScript (workers do not run TypeScript). Needs
 * `getThreads() > args.length`. `options.sharedQueue`: see `RunOnPoolOptions`.
 * @example runOnPool(require.resolve('./task'), 'rows', [{ b0: 50, b1: 100, buf }], () => rows({ b0: 0, b1: 50, buf }));
 */
export function runOnPool(module: string, fn: string, args: Record<string, unknown>[], local: () => void, options: RunOnPoolOptions = {}): void {
  const pool = readyWorkers();
  if (wanted() <= 1 || pool.length < args.length) {
    throw new Error(`runOnPool(${fn}): ${args.length + 1} threads needed, ${getThreads()} available (setThreads)`);
  }
  for (const a of args) {
    for (const [key, v] of Object.entries(a)) {
      if (ArrayBuffer.isView(v) && !isShared(v)) throw new Error(`runOnPool(${fn}): argument '${key}' is not on a SharedArrayBuffer`);
    }
  }
  const busy = pool.slice(0, args.length);
  busy.forEach((w, i) => post(w, { task: { module, fn, arg: args[i] } }));
  let localError: unknown = null;
  try {
    local();
  } catch (e) {
    localError = e;
  }
  let failed = false;
  for (const w of busy) {
    if (options.sharedQueue === true && localError === null && withdraw(w)) continue;
    waitForStatus(w.channel.ctrl);
    if (Atomics.load(w.channel.ctrl, 1) === 2) failed = true;
  }
  if (localError !== null) throw localError;
  if (failed) throw new Error(`runOnPool(${fn}): a worker thread failed (${module})`);
}

/** A shared scratch array of x's type with at least `n` elements, reused across calls. */
function scratchOf(w: PoolWorker, key: string, like: DataArray, n: number): DataArray {
  const k = `${key}:${like instanceof Float64Array ? 64 : 32}`;
  let s = w.scratch.get(k);
  if (!s || s.length < n) {
    if (s) forgetShared(s.buffer);
    const bytes = Math.max(n, 1024) * (like instanceof Float64Array ? 8 : 4);
    s = like instanceof Float64Array ? new Float64Array(sharedBuffer(bytes)) : new Float32Array(sharedBuffer(bytes));
    w.scratch.set(k, s);
  }
  return s;
}

/** How many products were split by rows and by columns of C so far (tests check which split ran). */
const splits = { rows: 0, columns: 0 };

/** The products split over the pool so far, by rows of C and by columns of C. */
export function gemmSplits(): { rows: number; columns: number } {
  return { ...splits };
}

/**
 * Whether a product is split by columns of C rather than rows. Each thread of a row split packs
 * all of B (k·n) and a band of A; of a column split, all of A (m·k) and a band of B; the
 * multiply-adds are the same. So columns are cheaper when m < n, or m < 2n when the product also
 * sums B's columns (bColumnSums: on a row split the calling thread sums every column, on a column
 * split each thread its own). A B packed beforehand (packedB) is used whole: rows.
 */
function byColumns(args: GemmArgs): boolean {
  if (args.packedB !== undefined) return false;
  return args.m < args.n * (args.bColumnSums !== undefined ? 2 : 1);
}

/**
 * Runs the product on the calling thread and the pool when it is large enough; returns false
 * (nothing done) when it is not, so the caller runs it serially.
 */
export function parallelGemm(layout: Layout, args: GemmArgs, serial: SerialGemm): boolean {
  const { m, n, k } = args;
  if (wanted() <= 1 || m * n * k < minWork) return false;
  const columns = byColumns(args);
  if ((columns ? n : m) < 16) return false;
  const pool = readyWorkers();
  if (pool.length === 0 || gemmSplit === null) return false;
  gemmSplit(columns, layout, args, serial, pool);
  return true;
}

/**
 * The split of a product over the pool, set by `enableGemmSplit` when a host is installed (no
 * worker starts without one): a program that never installs a host (a page without
 * `useWebWorkers`) carries none of the split's code.
 */
let gemmSplit: ((columns: boolean, layout: Layout, args: GemmArgs, serial: SerialGemm, pool: PoolWorker[]) => void) | null = null;

/** Makes large products split over the pool's workers (pool_setup.ts `setPoolHost`). */
export function enableGemmSplit(): void {
  gemmSplit = (columns, layout, args, serial, pool) => (columns ? splitColumns : splitRows)(layout, args, serial, pool);
}

/** A dense copy of A [rows, cols] stored at row stride ld from offset `at`, in `to`. */
function copyRows(from: DataArray, at: number, ld: number, rows: number, cols: number, to: DataArray): void {
  if (ld === cols) {
    to.set(from.subarray(at, at + rows * cols));
    return;
  }
  for (let r = 0; r < rows; r++) to.set(from.subarray(at + r * ld, at + r * ld + cols), r * cols);
}

/** A worker's view of a band [rows, cols] of an operand: the array, its offset and row stride. */
interface Band {
  data: DataArray;
  offset: number;
  ld: number;
  /** Stores a band of C computed on scratch back into the caller's C (nothing when in place). */
  copyBack: () => void;
}

/**
 * The band [rows, cols] of `x` stored at row stride `ld` from `at`, as worker `w` reads or writes
 * it: in place when `x` is shared, else a dense copy in the worker's scratch `key` (filled from x
 * when `fill`; for C, `copyBack` stores it into x afterwards).
 */
function bandOf(w: PoolWorker, key: string, x: DataArray, at: number, ld: number, rows: number, cols: number, fill = true): Band {
  if (isShared(x)) return { data: x, offset: at, ld, copyBack: () => {} };
  const s = scratchOf(w, key, x, rows * cols);
  if (fill) copyRows(x, at, ld, rows, cols, s);
  const copyBack = () => {
    for (let r = 0; r < rows; r++) x.set(s.subarray(r * cols, (r + 1) * cols), at + r * ld);
  };
  return { data: s, offset: 0, ld: cols, copyBack };
}

/** Waits for every job; copies back the C (and column sums) of those that worked on scratch. */
function finish(layout: Layout, args: GemmArgs, jobs: { w: PoolWorker; copyBack: () => void }[]): void {
  let failed = false;
  for (const j of jobs) {
    waitForStatus(j.w.channel.ctrl);
    if (Atomics.load(j.w.channel.ctrl, 1) === 2) failed = true;
    else j.copyBack();
  }
  if (failed) throw new Error(`gemm${layout}: a worker thread failed on [${args.m}, ${args.k}] x [${args.k}, ${args.n}]`);
}

/**
 * Bands of rows of C, multiples of 4 (the kernel's tile height), the caller's first: each worker
 * reads its band of A and all of B, and writes its rows of C.
 */
function splitRows(layout: Layout, args: GemmArgs, serial: SerialGemm, pool: PoolWorker[]): void {
  const { m, n, k } = args;
  splits.rows++;
  const parts = pool.length + 1;
  const band = Math.ceil(m / parts / 4) * 4;
  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  const co = args.cOffset ?? 0;
  const beta = args.beta ?? 0;
  const { lda, ldb, ldc } = strides(layout, args);
  const jobs: { w: PoolWorker; copyBack: () => void }[] = [];
  for (let p = 1; p < parts; p++) {
    const r0 = Math.min(m, p * band);
    const rows = Math.min(m, r0 + band) - r0;
    if (rows <= 0) break;
    const w = pool[p - 1];
    // A's band: rows r0.. of A [m, k] (NN, NT), or columns r0.. of A stored [k, m] (TN)
    const a = layout === 'TN' ? bandOf(w, 'a', args.a, ao + r0, lda, k, rows) : bandOf(w, 'a', args.a, ao + r0 * lda, lda, rows, k);
    const b = layout === 'NT' ? bandOf(w, 'b', args.b, bo, ldb, n, k) : bandOf(w, 'b', args.b, bo, ldb, k, n);
    const c = bandOf(w, 'c', args.c, co + r0 * ldc, ldc, rows, n, beta !== 0);
    post(w, { layout, m: rows, n, k, a: a.data, aOffset: a.offset, lda: a.ld, b: b.data, bOffset: b.offset, ldb: b.ld, c: c.data, cOffset: c.offset, ldc: c.ld, beta });
    jobs.push({ w, copyBack: c.copyBack });
  }
  // the caller's band, in place (A at its row stride; a packed B is used here, workers pack b)
  serial(layout, { ...args, m: Math.min(band, m), lda, ldb, ldc });
  finish(layout, args, jobs);
}

/**
 * Bands of columns of C, multiples of 8 (the wasm kernel's tile width), the caller's first: each
 * worker reads all of A and its band of B's columns (B's rows for NT), writes its columns of C and
 * sums its columns of B when the product does (bColumnSums). Every element of C, and every column
 * sum, is the same sum in the same order as on one thread.
 */
function splitColumns(layout: Layout, args: GemmArgs, serial: SerialGemm, pool: PoolWorker[]): void {
  const { m, n, k } = args;
  splits.columns++;
  const parts = pool.length + 1;
  const band = Math.ceil(n / parts / 8) * 8;
  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  const co = args.cOffset ?? 0;
  const beta = args.beta ?? 0;
  const { lda, ldb, ldc } = strides(layout, args);
  const sums = args.bColumnSums;
  // all of A for every worker: in place when shared, else one dense shared copy they all read
  const a = layout === 'TN' ? bandOf(pool[0], 'a', args.a, ao, lda, k, m) : bandOf(pool[0], 'a', args.a, ao, lda, m, k);
  const jobs: { w: PoolWorker; copyBack: () => void }[] = [];
  for (let p = 1; p < parts; p++) {
    const j0 = Math.min(n, p * band);
    const cols = Math.min(n, j0 + band) - j0;
    if (cols <= 0) break;
    const w = pool[p - 1];
    // B's band: columns j0.. of B [k, n] (NN, TN), or rows j0.. of B stored [n, k] (NT)
    const b = layout === 'NT' ? bandOf(w, 'b', args.b, bo + j0 * ldb, ldb, cols, k) : bandOf(w, 'b', args.b, bo + j0, ldb, k, cols);
    const c = bandOf(w, 'c', args.c, co + j0, ldc, m, cols, beta !== 0);
    const back = [c.copyBack];
    // column sums: the worker adds its float64 sums to float64 copies of sums[j0..], which are
    // then stored back (one rounding, as `sums[j] += s` on one thread)
    let colSums: Float64Array | undefined;
    if (sums !== undefined) {
      const s = scratchOf(w, 'sums', new Float64Array(0), cols) as Float64Array;
      for (let j = 0; j < cols; j++) s[j] = sums[j0 + j];
      colSums = s;
      back.push(() => {
        for (let j = 0; j < cols; j++) sums[j0 + j] = s[j];
      });
    }
    post(w, { layout, m, n: cols, k, a: a.data, aOffset: a.offset, lda: a.ld, b: b.data, bOffset: b.offset, ldb: b.ld, c: c.data, cOffset: c.offset, ldc: c.ld, beta, ...(colSums ? { bColumnSums: colSums } : {}) });
    jobs.push({ w, copyBack: () => back.forEach((f) => f()) });
  }
  // the caller's band, in place: columns [0, band) of B and C at their row strides
  serial(layout, { ...args, n: Math.min(band, n), lda, ldb, ldc });
  finish(layout, args, jobs);
}
