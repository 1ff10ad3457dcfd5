/**
 * The worker of the pool (parallel.ts): waits on its control word, takes the job message
 * synchronously from its port, runs it, stores "done". A job is either a band of rows of a GEMM
 * (run with the serial kernel) or a task `{ module, fn, arg }` (runOnPool): the worker calls
 * `require(module)[fn](arg)`, loading each module once. Either runs on the caller's kernels
 * (`kernels`, 'wasm' or 'js': each thread has its own wasm instance and memory).
 */
import { MessagePort, receiveMessageOnPort, workerData } from 'worker_threads';
import { gemmSerial } from './gemm';
import { setKernels } from './kernels';

const ctrl = new Int32Array(workerData.ctrl as SharedArrayBuffer);
const port = workerData.port as MessagePort;
const modules = new Map<string, Record<string, (a: unknown) => void>>();

for (;;) {
  Atomics.wait(ctrl, 0, 0);
  Atomics.store(ctrl, 0, 0);
  let status = 1;
  try {
    const msg = receiveMessageOnPort(port);
    if (!msg) throw new Error('parallel worker: woken without a job');
    const job = msg.message;
    // the caller's kernels, so every thread computes its rows the same way
    setKernels(job.kernels);
    if (job.task) {
      const { module, fn, arg } = job.task as { module: string; fn: string; arg: unknown };
      let mod = modules.get(module);
      if (mod === undefined) {
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        mod = require(module) as Record<string, (a: unknown) => void>;
        modules.set(module, mod);
      }
      const f = mod[fn];
      if (typeof f !== 'function') throw new Error(`parallel worker: ${module} has no function '${fn}'`);
      f(arg);
    } else {
      gemmSerial(job.layout, job);
    }
  } catch (e) {
    status = 2;
    console.error(e);
  }
  Atomics.store(ctrl, 1, status);
  Atomics.notify(ctrl, 1);
}
