/**
 * The worker of the pool in Node (parallel_node.ts): waits on its control word, takes the job
 * message synchronously from its port, runs it (pool_job.ts), stores "done". A task's module is
 * loaded once, with `require(module)`.
 *
 * Memory: each job message brings new SharedArrayBuffer objects for the caller's buffers, and
 * they keep those buffers alive until this thread's garbage collector runs. A worker spinning on
 * Atomics.wait allocates almost nothing of its own, so its collector would seldom run and the
 * caller's per-step buffers would pile up (resident memory grew by ~18 MB a step at two threads
 * training an LSTM). So the worker collects once the buffers it has been handed since the last
 * collection pass COLLECT_AFTER_BYTES.
 */
import { MessagePort, receiveMessageOnPort, workerData } from 'worker_threads';
import { collect } from './parallel_node';
import { PoolTask, runPoolJob } from './pool_job';

const COLLECT_AFTER_BYTES = 64 * 2 ** 20;

/** Bytes of the shared buffers a job message references (views up to three levels deep, each buffer once). */
function sharedBytes(v: unknown, seen: Set<SharedArrayBuffer>, depth = 0): number {
  if (ArrayBuffer.isView(v)) {
    const b = v.buffer;
    if (!(b instanceof SharedArrayBuffer) || seen.has(b)) return 0;
    seen.add(b);
    return b.byteLength;
  }
  if (depth > 3 || v === null || typeof v !== 'object') return 0;
  let n = 0;
  for (const x of Object.values(v as Record<string, unknown>)) n += sharedBytes(x, seen, depth + 1);
  return n;
}

let handed = 0;

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
    handed += sharedBytes(msg.message, new Set());
    runPoolJob(msg.message, taskOf);
  } catch (e) {
    status = 2;
    console.error(e);
  }
  Atomics.store(ctrl, 1, status);
  Atomics.notify(ctrl, 1);
  if (handed > COLLECT_AFTER_BYTES) {
    // after "done": the caller goes on while this thread collects
    handed = 0;
    collect();
  }
}
