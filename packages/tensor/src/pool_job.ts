/**
 * What a pool worker does with its jobs, wherever it runs (parallel_worker.ts in Node,
 * web_worker.ts in a page): waits on its channel for the next one, rebuilds it from the wire
 * (pool_wire.ts: its text, naming the buffers this worker holds by id), and runs it: a band of
 * rows of a GEMM on the serial kernel, a band of rows of this package's row kernels (row_tasks.ts),
 * or a task `{ module, fn, arg }` of another package (`runOnPool`), on the caller's kernels ('wasm' or 'js': each thread has its own wasm instance and
 * memory). Then stores its status, 1 done or 2 failed, in ctrl[1].
 */
import { gemmSerial } from './gemm';
import { KernelsName, setKernels } from './kernels';
import { HeldBuffers, JOB_IN_MESSAGE, JOB_IN_SLOT, NO_JOB, PoolChannel, WireMessage, readSlot } from './pool_wire';
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

/** Runs one job from the wire (a message, or the slot's text) and stores its status. */
export function runWireJob(ch: PoolChannel, wire: WireMessage | string, taskOf: TaskFinder): void {
  let status = 1;
  try {
    runPoolJob(held.decode(wire) as PoolJob, taskOf);
  } catch (e) {
    status = 2;
    console.error(e);
  }
  Atomics.store(ch.ctrl, 1, status);
  Atomics.notify(ch.ctrl, 1);
}

/**
 * Waits in `Atomics.wait` for jobs on `ch` and runs them, for ever; returns only when a job comes
 * by message and `receive` is null (a Web Worker, which must return to its event loop to get it).
 * `receive` takes a job message synchronously (Node: from the worker's port).
 */
export function serveChannel(ch: PoolChannel, taskOf: TaskFinder, receive: (() => WireMessage) | null): void {
  for (;;) {
    Atomics.wait(ch.ctrl, 0, NO_JOB);
    // a job the caller withdrew before this read (runOnPool's sharedQueue) leaves NO_JOB: wait again
    const signal = Atomics.exchange(ch.ctrl, 0, NO_JOB);
    if (signal === JOB_IN_SLOT) runWireJob(ch, readSlot(ch), taskOf);
    else if (signal === JOB_IN_MESSAGE) {
      if (receive === null) return;
      let wire: WireMessage;
      try {
        wire = receive();
      } catch (e) {
        console.error(e);
        Atomics.store(ch.ctrl, 1, 2);
        Atomics.notify(ch.ctrl, 1);
        continue;
      }
      runWireJob(ch, wire, taskOf);
    }
  }
}
