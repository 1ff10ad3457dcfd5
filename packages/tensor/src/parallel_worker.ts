/**
 * The worker of the GEMM pool (parallel.ts): waits on its control word, takes the job message
 * synchronously from its port, runs its band of rows with the serial kernel, stores "done".
 */
import { MessagePort, receiveMessageOnPort, workerData } from 'worker_threads';
import { gemmSerial } from './gemm';

const ctrl = new Int32Array(workerData.ctrl as SharedArrayBuffer);
const port = workerData.port as MessagePort;

for (;;) {
  Atomics.wait(ctrl, 0, 0);
  Atomics.store(ctrl, 0, 0);
  let status = 1;
  try {
    const msg = receiveMessageOnPort(port);
    if (!msg) throw new Error('parallel worker: woken without a job');
    const job = msg.message;
    gemmSerial(job.layout, job);
  } catch (e) {
    status = 2;
    console.error(e);
  }
  Atomics.store(ctrl, 1, status);
  Atomics.notify(ctrl, 1);
}
