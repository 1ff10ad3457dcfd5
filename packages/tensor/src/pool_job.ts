/**
 * What a pool worker does with its jobs, wherever it runs (parallel_worker.ts in Node,
 * web_worker.ts in a page): takes each job message, rebuilds the job from it (pool_wire.ts: its
 * arrays name the buffers this worker holds by id), and runs it: a band of
 * rows of a GEMM on the serial kernel, a band of rows of this package's row kernels (row_tasks.ts),
 * or a task `{ module, fn, arg }` of another package (`runOnPool`), on the caller's kernels ('wasm' or 'js': each thread has its own wasm instance and
 * memory). Then stores its status, 1 done or 2 failed, in ctrl[1].
 */
import { gemmSerial } from './gemm';
import { KernelsName, setKernels } from './kernels';
import { HeldBuffers, PoolChannel, TAKEN, WireMessage } from './pool_wire';
import { ROW_TASKS_MODULE } from './row_split';
import * as rowTasks from './row_tasks';

/** A task a pool worker runs with the argument the caller gave (`runOnPool`). */
export type PoolTask = (arg: never) => void;

/** One job: a GEMM band (its arguments) or a task, with the caller's kernels. */
export interface PoolJob {
  kernels: KernelsName;
  task?: { module: string; fn: string; arg: unknown };
  [key: string]: unknown;
}

/** Finds the function of a task (Node: `require(module)[fn]`; a page: by name). */
export type TaskFinder = (module: string, fn: string) => PoolTask | undefined;

/** Runs `job`. */
export function runPoolJob(job: PoolJob, taskOf: TaskFinder): void {
  setKernels(job.kernels);
  if (job.task) {
    const { module, fn, arg } = job.task;
    const f = module === ROW_TASKS_MODULE ? (rowTasks as Record<string, PoolTask>)[fn] : taskOf(module, fn);
    if (typeof f !== 'function') throw new Error(`parallel worker: ${module} has no function '${fn}'`);
    (f as (a: unknown) => void)(arg);
  } else {
    gemmSerial(job.layout as never, job as never);
  }
}

/** This worker's buffers, as its caller handed them over. */
const held = new HeldBuffers();

/** Buffers this worker holds now, and their bytes (a task, for tests: writes them into `out`). */
export function reportHeldBuffers(arg: { out: Float64Array }): void {
  const h = held.holding();
  arg.out[0] = h.buffers;
  arg.out[1] = h.bytes;
}

/**
 * Takes one job message: its buffers and forgets always; then the job itself, unless the caller
 * withdrew it (ctrl[0] no longer holds its number): runs it and stores its status.
 */
export function runWireJob(ch: PoolChannel, m: WireMessage, taskOf: TaskFinder): void {
  held.take(m);
  if (Atomics.compareExchange(ch.ctrl, 0, m.seq, TAKEN) !== m.seq) return;
  let status = 1;
  try {
    runPoolJob(held.job(m) as PoolJob, taskOf);
  } catch (e) {
    status = 2;
    console.error(e);
  }
  Atomics.store(ch.ctrl, 1, status);
  Atomics.notify(ch.ctrl, 1);
}

/**
 * Runs the job messages of `ch` for ever, blocking in `Atomics.wait` on the count of messages
 * posted between them (Node: `receive` takes the next message from the worker's port
 * synchronously, undefined when none is there).
 */
export function serveChannel(ch: PoolChannel, taskOf: TaskFinder, receive: () => WireMessage | undefined): void {
  let seen = 0;
  for (;;) {
    Atomics.wait(ch.ctrl, 2, seen);
    seen = Atomics.load(ch.ctrl, 2);
    for (let m = receive(); m !== undefined; m = receive()) runWireJob(ch, m, taskOf);
  }
}
