/**
 * The worker of the pool in Node (parallel_node.ts): blocks in `Atomics.wait` on its channel until
 * a job is posted, takes the job messages synchronously from its port (`receiveMessageOnPort`, no
 * turn of its event loop), runs them and stores "done" (pool_job.ts). A task's module is loaded
 * once, with `require(module)`.
 *
 * Memory: the worker keeps the shared buffers it was handed by id, as many as its caller says
 * (pool_wire.ts: the caller tells it what to forget, and bounds the rest), and gets no new object
 * for them per job. Before, every job message brought new SharedArrayBuffer objects, which kept
 * their buffers alive until this thread's collector freed them, and it collects seldom (it blocks
 * in Atomics.wait and allocates little): buffers the caller made afresh for every job piled up
 * (resident memory grew by ~15 MB a step at two threads training an LSTM). The worker's young
 * generation is kept small (parallel_node.ts), so that its heap stays small too.
 */
import { MessagePort, receiveMessageOnPort, workerData } from 'worker_threads';
import { PoolTask, serveChannel } from './pool_job';
import type { PoolChannel, WireMessage } from './pool_wire';

const channel = workerData.channel as PoolChannel;
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

function receive(): WireMessage | undefined {
  return receiveMessageOnPort(port)?.message as WireMessage | undefined;
}

serveChannel(channel, taskOf, receive);
