/**
 * The body of a pool worker in a page (see parallel_web.ts). A worker bundle's entry calls
 * `serveWebWorker(tasks)`; the page then starts it with `useWebWorkers(url)`. The worker says it is
 * ready, and the pool's first message to it is its channel (pool_wire.ts). From then on the worker
 * blocks in `Atomics.wait` (a worker may) for the next job and reads it from the channel's slot
 * (pool_job.ts); only a job that hands over new buffers comes by message, and then the worker
 * returns to its event loop to take it, runs it, and blocks again. So a job whose buffers the
 * worker holds costs the page a notify, not a message (Chromium serializes every
 * SharedArrayBuffer of a message) and a turn of the worker's event loop.
 * @example // worker.ts, bundled on its own: serveWebWorker({}) serves GEMM bands only
 */
import { PoolTask, TaskFinder, runWireJob, serveChannel } from './pool_job';
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
    if (channel === null) channel = (e.data as { channel: PoolChannel }).channel;
    else runWireJob(channel, e.data as WireMessage, taskOf);
    serveChannel(channel, taskOf, null);
  };
  scope.postMessage({ ready: true, tasks: Object.keys(tasks) });
}
