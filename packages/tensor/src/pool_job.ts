/**
 * What a pool worker does with one job, wherever it runs (parallel_worker.ts in Node,
 * web_worker.ts in a page): a band of rows of a GEMM on the serial kernel, or a task
 * `{ module, fn, arg }` of another package (`runOnPool`), on the caller's kernels ('wasm' or
 * 'js': each thread has its own wasm instance and memory).
 */
import { gemmSerial } from './gemm';
import { KernelsName, setKernels } from './kernels';

/** A task a pool worker runs with the argument the caller gave (`runOnPool`). */
export type PoolTask = (arg: never) => void;

/** One job message: a GEMM band (its arguments) or a task, with the caller's kernels. */
export interface PoolJob {
  kernels: KernelsName;
  task?: { module: string; fn: string; arg: unknown };
  [key: string]: unknown;
}

/** Runs `job`; `taskOf` finds the function of a task (Node: `require(module)[fn]`; a page: by name). */
export function runPoolJob(job: PoolJob, taskOf: (module: string, fn: string) => PoolTask | undefined): void {
  setKernels(job.kernels);
  if (job.task) {
    const { module, fn, arg } = job.task;
    const f = taskOf(module, fn);
    if (typeof f !== 'function') throw new Error(`parallel worker: ${module} has no function '${fn}'`);
    (f as (a: unknown) => void)(arg);
  } else {
    gemmSerial(job.layout as never, job as never);
  }
}
