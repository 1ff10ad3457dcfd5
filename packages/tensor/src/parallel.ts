/**
 * A small pool of worker threads for large GEMMs, and for tasks of other packages (`runOnPool`:
 * the fused recurrent kernels of @seqlab/layers run their time loops on bands of batch rows).
 *
 * A product C[m,n] = op(A)·op(B) is split by rows of C: the calling thread computes rows
 * [0, m₀) in place, each worker a further band of rows on SharedArrayBuffer copies of its operands
 * (B whole, its rows of A, its rows of C), which the caller copies back. Every element of C is
 * still the same sum in the same order whoever computes it, so the result is bit-identical for any
 * number of threads. Operands already on a SharedArrayBuffer are handed over without a copy.
 *
 * The caller stays synchronous: it posts the job (one message with the buffers, then
 * `Atomics.notify`), computes its own band, and blocks in `Atomics.wait` until every worker has
 * stored "done". Workers are started by `setThreads(n > 1)`, never by a test that does not ask,
 * and are `unref`ed so they never keep a process (or jest) alive.
 *
 * Default: as many threads as the machine has cores, at most DEFAULT_MAX_THREADS (the split was
 * measured and tuned on 2 cores); one under jest, where a test that wants threads asks for them.
 *
 *   SEQLAB_THREADS=1 node …  one thread: the switch that forces the calling thread only
 *   SEQLAB_THREADS=4 node …  four threads from the start
 *   setThreads(n)            n threads from now on
 *
 * Only products of at least PARALLEL_MIN_WORK multiply-adds (and 16 rows) are split: below
 * that, measured on a 2-CPU machine, the split lost more than it saved ([1024, 64]x[64, 128] and [64, 128]x[128, 512] ran slower with two threads).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, MessagePort, Worker, isMainThread } from 'worker_threads';
import type { GemmArgs } from './gemm';
import { getKernels } from './kernels';
import type { DType, DataArray } from './tensor';

/** Which operand a GEMM reads transposed: 'NN' C = A·B, 'TN' C = Aᵀ·B, 'NT' C = A·Bᵀ. */
export type Layout = 'NN' | 'TN' | 'NT';
/** A one-thread GEMM kernel, called by `parallelGemm` on each band of rows. */
export type SerialGemm = (layout: Layout, args: GemmArgs) => void;

/** m·n·k below which a product stays on the calling thread (measured: bench/README.md). */
export const PARALLEL_MIN_WORK = 1 << 24;

/** Most threads used without SEQLAB_THREADS or setThreads (measured on 2 cores: bench/README.md). */
export const DEFAULT_MAX_THREADS = 2;

interface PoolWorker {
  worker: Worker;
  port: MessagePort;
  /** [0]: 1 = a job is posted; [1]: 0 = busy, 1 = done, 2 = failed */
  ctrl: Int32Array;
  /** Shared scratch of this worker: a, b, c per dtype. */
  scratch: Map<string, DataArray>;
}

let threads = defaultThreads();
let pool: PoolWorker[] = [];

function defaultThreads(): number {
  // a pool worker runs its share on one thread: it never starts a pool of its own
  if (!isMainThread) return 1;
  const env = process.env.SEQLAB_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new Error(`SEQLAB_THREADS: expected a positive integer (1 forces one thread), received '${env}'`);
    return n;
  }
  if (process.env.JEST_WORKER_ID !== undefined) return 1;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(DEFAULT_MAX_THREADS, cores));
}

/** Where the compiled worker script lives (tests run from src/ through ts-jest: use dist/). */
function workerScript(): string | null {
  const here = path.join(__dirname, 'parallel_worker.js');
  if (fs.existsSync(here)) return here;
  const dist = path.join(__dirname, '..', 'dist', 'parallel_worker.js');
  return fs.existsSync(dist) ? dist : null;
}

/**
 * Uses `n` threads for large GEMMs from now on (1 = the calling thread only). Starts or stops
 * workers as needed; returns the number actually in use (1 if the worker script is missing).
 * @example setThreads(2); gemmNN({ m: 4096, n: 512, k: 512, a, b, c }); setThreads(1);
 */
export function setThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setThreads: expected a positive integer, received ${n}`);
  threads = n;
  if (n - 1 < pool.length) {
    for (const w of pool.slice(n - 1)) void w.worker.terminate();
    pool = pool.slice(0, n - 1);
  }
  return getThreads();
}

/** Threads in use for large GEMMs. */
export function getThreads(): number {
  if (threads <= 1) return 1;
  if (!ensurePool()) return 1;
  return pool.length + 1;
}

function ensurePool(): boolean {
  if (pool.length >= threads - 1) return true;
  const script = workerScript();
  if (script === null) return false;
  while (pool.length < threads - 1) {
    const ctrl = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(script, { workerData: { ctrl: ctrl.buffer, port: port2 }, transferList: [port2] });
    worker.unref();
    port1.unref();
    pool.push({ worker, port: port1, ctrl, scratch: new Map() });
  }
  return true;
}

function isShared(x: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && x.buffer instanceof SharedArrayBuffer;
}

/** A zeroed array of `dtype` on a SharedArrayBuffer (visible to the pool's workers without a copy). */
export function allocShared(dtype: DType, n: number): DataArray {
  return dtype === 'float64' ? new Float64Array(new SharedArrayBuffer(8 * n)) : new Float32Array(new SharedArrayBuffer(4 * n));
}

/** `x` itself when it is on a SharedArrayBuffer, else a shared copy. */
export function toShared<A extends DataArray | Uint8Array>(x: A): A {
  if (isShared(x)) return x;
  const Ctor = x.constructor as new (b: SharedArrayBuffer) => A;
  const out = new Ctor(new SharedArrayBuffer(x.byteLength));
  (out as DataArray).set(x as DataArray);
  return out;
}

/**
 * Runs a task of a module on the pool: `args[i]` goes to worker i, which calls
 * `require(module)[fn](args[i])`, while the calling thread runs `local()`; returns when every
 * part is done (throws if a worker failed). Every typed array in `args` must be on a
 * SharedArrayBuffer (checked: anything else would be copied and the worker's writes lost).
 * The caller must not use the pool from `local` (its workers are busy): call `gemmSerial` there.
 * `module` is a path to compiled JavaScript (workers do not run TypeScript). Needs
 * `getThreads() > args.length`.
 * @example runOnPool(require.resolve('./task'), 'rows', [{ b0: 50, b1: 100, buf }], () => rows({ b0: 0, b1: 50, buf }));
 */
export function runOnPool(module: string, fn: string, args: Record<string, unknown>[], local: () => void): void {
  if (!ensurePool() || pool.length < args.length) {
    throw new Error(`runOnPool(${fn}): ${args.length + 1} threads needed, ${getThreads()} available (setThreads)`);
  }
  for (const a of args) {
    for (const [key, v] of Object.entries(a)) {
      if (ArrayBuffer.isView(v) && !isShared(v)) throw new Error(`runOnPool(${fn}): argument '${key}' is not on a SharedArrayBuffer`);
    }
  }
  const busy = pool.slice(0, args.length);
  busy.forEach((w, i) => {
    w.port.postMessage({ task: { module, fn, arg: args[i] }, kernels: getKernels() });
    Atomics.store(w.ctrl, 1, 0);
    Atomics.store(w.ctrl, 0, 1);
    Atomics.notify(w.ctrl, 0);
  });
  let localError: unknown = null;
  try {
    local();
  } catch (e) {
    localError = e;
  }
  let failed = false;
  for (const w of busy) {
    while (Atomics.load(w.ctrl, 1) === 0) Atomics.wait(w.ctrl, 1, 0, 1000);
    if (Atomics.load(w.ctrl, 1) === 2) failed = true;
  }
  if (localError !== null) throw localError;
  if (failed) throw new Error(`runOnPool(${fn}): a worker thread failed (${module})`);
}

/** A shared scratch array of x's type with at least `n` elements, reused across calls. */
function scratchOf(w: PoolWorker, key: string, like: DataArray, n: number): DataArray {
  const k = `${key}:${like instanceof Float64Array ? 64 : 32}`;
  let s = w.scratch.get(k);
  if (!s || s.length < n) {
    const bytes = Math.max(n, 1024) * (like instanceof Float64Array ? 8 : 4);
    s = like instanceof Float64Array ? new Float64Array(new SharedArrayBuffer(bytes)) : new Float32Array(new SharedArrayBuffer(bytes));
    w.scratch.set(k, s);
  }
  return s;
}

/**
 * Runs the product on the calling thread and the pool when it is large enough; returns false
 * (nothing done) when it is not, so the caller runs it serially.
 */
export function parallelGemm(layout: Layout, args: GemmArgs, serial: SerialGemm): boolean {
  const { m, n, k } = args;
  if (threads <= 1 || m < 16 || m * n * k < PARALLEL_MIN_WORK) return false;
  if (!ensurePool()) return false;
  const parts = pool.length + 1;
  // bands of rows, multiples of 4 (the kernel's tile height), the caller's first
  const band = Math.ceil(m / parts / 4) * 4;
  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  const co = args.cOffset ?? 0;
  const beta = args.beta ?? 0;
  const lda = args.lda ?? (layout === 'TN' ? m : k);
  const jobs: { w: PoolWorker; r0: number; rows: number; c: DataArray; cOff: number }[] = [];
  for (let p = 1; p < parts; p++) {
    const r0 = Math.min(m, p * band);
    const rows = Math.min(m, r0 + band) - r0;
    if (rows <= 0) break;
    const w = pool[p - 1];
    // A's band: rows r0.. of A [m, k] (NN, NT), or columns r0.. of A stored [k, m] (TN), read in
    // place (at its row stride lda) when shared, else copied contiguous
    let a: DataArray;
    let aOff = 0;
    let aLd: number;
    if (isShared(args.a)) {
      a = args.a;
      aOff = layout === 'TN' ? ao + r0 : ao + r0 * lda;
      aLd = lda;
    } else if (layout === 'TN') {
      a = scratchOf(w, 'a', args.a, k * rows);
      for (let p2 = 0; p2 < k; p2++) {
        const src = ao + p2 * lda + r0;
        const dst = p2 * rows;
        for (let r = 0; r < rows; r++) a[dst + r] = args.a[src + r];
      }
      aLd = rows;
    } else {
      a = scratchOf(w, 'a', args.a, rows * k);
      for (let r = 0; r < rows; r++) a.set(args.a.subarray(ao + (r0 + r) * lda, ao + (r0 + r) * lda + k), r * k);
      aLd = k;
    }
    let b: DataArray;
    let bOff = 0;
    if (isShared(args.b)) {
      b = args.b;
      bOff = bo;
    } else {
      b = scratchOf(w, 'b', args.b, k * n);
      b.set(args.b.subarray(bo, bo + k * n));
    }
    let c: DataArray;
    let cOff = 0;
    if (isShared(args.c)) {
      c = args.c;
      cOff = co + r0 * n;
    } else {
      c = scratchOf(w, 'c', args.c, rows * n);
      if (beta !== 0) c.set(args.c.subarray(co + r0 * n, co + (r0 + rows) * n));
    }
    w.port.postMessage({ layout, m: rows, n, k, a, aOffset: aOff, lda: aLd, b, bOffset: bOff, c, cOffset: cOff, beta, kernels: getKernels() });
    Atomics.store(w.ctrl, 1, 0);
    Atomics.store(w.ctrl, 0, 1);
    Atomics.notify(w.ctrl, 0);
    jobs.push({ w, r0, rows, c, cOff });
  }
  // the caller's band, in place (A at its row stride; a packed B is used here, workers pack b)
  const mine = Math.min(band, m);
  serial(layout, { ...args, m: mine, lda });
  let failed = false;
  for (const j of jobs) {
    while (Atomics.load(j.w.ctrl, 1) === 0) Atomics.wait(j.w.ctrl, 1, 0, 1000);
    if (Atomics.load(j.w.ctrl, 1) === 2) failed = true;
    else if (j.c !== args.c) args.c.set(j.c.subarray(j.cOff, j.cOff + j.rows * n), co + j.r0 * n);
  }
  if (failed) throw new Error(`gemm${layout}: a worker thread failed on [${m}, ${k}] x [${k}, ${n}]`);
  return true;
}
