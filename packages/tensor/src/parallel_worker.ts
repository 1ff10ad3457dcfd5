/**
 * The worker of the pool in Node (parallel_node.ts): waits on its control word, takes the job
 * message synchronously from its port, runs it (pool_job.ts), stores "done". A task's module is
 * loaded once, with `require(module)`.
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
