/**
 * The body of a pool worker in a page (see parallel_web.ts). A worker bundle's entry calls
 * `serveWebWorker(tasks)`; the page then starts it with `useWebWorkers(url)`. Each job arrives as
 * one message of shared arrays; the worker runs it (pool_job.ts) and stores its status.
 * @example // worker.ts, bundled on its own: serveWebWorker({}) serves GEMM bands only
 */
import { PoolTask, runPoolJob } from './pool_job';

interface WorkerScope {
  onmessage: ((e: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
}

/** Serves pool jobs on this Web Worker: GEMM bands, and the tasks named in `tasks` (`runOnPool`). */
export function serveWebWorker(tasks: Record<string, PoolTask>): void {
  const scope = globalThis as unknown as WorkerScope;
  let ctrl: Int32Array | null = null;
  scope.onmessage = (e) => {
    const msg = e.data as { ctrl?: SharedArrayBuffer };
    if (ctrl === null) {
      ctrl = new Int32Array(msg.ctrl as SharedArrayBuffer);
      scope.postMessage({ ready: true, tasks: Object.keys(tasks) });
      return;
    }
    let status = 1;
    try {
      runPoolJob(e.data as never, (_module, fn) => tasks[fn]);
    } catch (err) {
      status = 2;
      console.error(err);
    }
    Atomics.store(ctrl, 1, status);
    Atomics.notify(ctrl, 1);
  };
}
