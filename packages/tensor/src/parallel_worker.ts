/**
 * The worker of the pool in Node (parallel_node.ts): waits on its control word, takes the job
 * message synchronously from its port, runs it (pool_job.ts), stores "done". A task's module is
 * loaded once, with `require(module)`.
 *
 * Memory: each job message brings new SharedArrayBuffer objects for the caller's buffers, which
 * keep those buffers alive until this thread's collector frees the objects. The worker never
 * returns to its event loop (it blocks in Atomics.wait) and allocates little, so it collects
 * seldom: buffers the caller made afresh for every job piled up (resident memory grew by ~15 MB a
 * step at two threads training an LSTM). Callers hand over the same buffers every time instead
 * (the fused kernels take theirs from the buffer pool, GEMM bands use per-worker scratch), and the
 * worker's young generation is kept small (parallel_node.ts), so that its heap stays small too.
 */
import { MessagePort, receiveMessageOnPort, workerData } from 'worker_threads';
import { PoolTask, runPoolJob } from './pool_job';

const ctrl = new Int32Array(workerData.ctrl as SharedArrayBuffer);
const port = workerData.port as MessagePort;
const modules = new Map<string, Record<string, PoolTask>>();

function taskOf(module: string, fn: string): PoolTask | undefined {
  let mod = modules.get(module);
  if (mod === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    mod = require(module) as Record<string, PoolTask>;
    modules.set(module, mod);
  }
  return mod[fn];
}

for (;;) {
  Atomics.wait(ctrl, 0, 0);
  Atomics.store(ctrl, 0, 0);
  let status = 1;
  try {
    const msg = receiveMessageOnPort(port);
    if (!msg) throw new Error('parallel worker: woken without a job');
    runPoolJob(msg.message, taskOf);
  } catch (e) {
    status = 2;
    console.error(e);
  }
  Atomics.store(ctrl, 1, status);
  Atomics.notify(ctrl, 1);
}
