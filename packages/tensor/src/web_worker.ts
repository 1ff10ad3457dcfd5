/**
 * The body of a pool worker in a page (see parallel_web.ts). A worker bundle's entry calls
 * `serveWebWorker(tasks)`; the page then starts it with `useWebWorkers(url)`. The worker says it is
 * ready, and the pool's first message to it is its channel (pool_wire.ts); every later message is
 * a job, which it runs from its event loop (pool_job.ts). A job names the buffers the worker holds
 * by id, so its message carries numbers, not SharedArrayBuffers (which Chromium serializes one by
 * one): a job that does nothing, posted and waited for, took 0.035 ms in the page (median of
 * 2,000; 0.020 ms for the same job's text through shared memory to a worker blocked in
 * `Atomics.wait`, load 2.1).
 * @example // worker.ts, bundled on its own: serveWebWorker({}) serves GEMM bands only
 */
import { PoolTask, TaskFinder, runWireJob } from './pool_job';
import type { PoolChannel, WireMessage } from './pool_wire';

interface WorkerScope {
  onmessage: ((e: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
}

/** Serves pool jobs on this Web Worker: GEMM bands, and the tasks named in `tasks` (`runOnPool`). */
export function serveWebWorker(tasks: Record<string, PoolTask>): void {
  const scope = globalThis as unknown as WorkerScope;
  const taskOf: TaskFinder = (_module, fn) => tasks[fn];
  let channel: PoolChannel | null = null;
  scope.onmessage = (e) => {
    const m = e.data as { echo?: boolean; channel?: PoolChannel };
    // the page's check that its messages arrive (parallel_web.ts), before any job
    if (m.echo === true) scope.postMessage({ echo: true });
    else if (channel === null) channel = m.channel as PoolChannel;
    else runWireJob(channel, e.data as WireMessage, taskOf);
  };
  scope.postMessage({ ready: true, tasks: Object.keys(tasks) });
}
