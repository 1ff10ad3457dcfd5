/**
 * The pool's workers in Node: `worker_threads` running parallel_worker.js (Node only; installed
 * by the Node entry, node.ts). A worker blocks in `Atomics.wait` on its channel and takes its job
 * messages from its port synchronously (pool_wire.ts), so a job costs a message of plain values
 * and one notify.
 *
 *   SEQLAB_THREADS=1 node …  one thread: the switch that forces the calling thread only
 *   SEQLAB_THREADS=4 node …  four threads from the start
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, Worker, isMainThread } from 'worker_threads';
import { PoolHost, PoolWorkerHandle } from './pool_host';
import type { PoolChannel } from './pool_wire';

/** Most threads used without SEQLAB_THREADS or setThreads (measured on 2 cores: bench/README.md). */
export const DEFAULT_MAX_THREADS = 2;

/**
 * Young generation of a pool worker's heap, in MB. A worker lives on job messages and little
 * else, and never returns to its event loop; with V8's default (up to 16 MB semispaces, which it
 * grew to) its heap reached ~40 MB, and resident memory at two threads ~90 MB above one thread's
 * on a stacked LSTM/GRU model (bench/README.md, "Resident memory"); with 1 MB, ~12 MB.
 */
const WORKER_YOUNG_GENERATION_MB = 1;

function defaultThreads(): number {
  // a pool worker runs its share on one thread: it never starts a pool of its own
  if (!isMainThread) return 1;
  const env = process.env.SEQLAB_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new Error(`SEQLAB_THREADS: expected a positive integer (1 forces one thread), received '${env}'`);
    return n;
  }
  if (process.env.JEST_WORKER_ID !== undefined) return 1;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(DEFAULT_MAX_THREADS, cores));
}

let script: string | null | undefined;

/**
 * The compiled worker script: beside this file in dist/ (the ESM build sets `__dirname` to dist/
 * too); tests run the TypeScript sources, and use the package's dist/.
 */
function workerScript(): string | null {
  if (script === undefined) {
    script = [path.join(__dirname, 'parallel_worker.js'), path.join(__dirname, '..', 'dist', 'parallel_worker.js')].find((f) => fs.existsSync(f)) ?? null;
  }
  return script;
}

function start(channel: PoolChannel): PoolWorkerHandle | null {
  const file = workerScript();
  if (file === null) return null;
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(file, { workerData: { channel, port: port2 }, transferList: [port2], resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
  // never keep a process (or jest) alive
  worker.unref();
  port1.unref();
  return {
    ready: true,
    send: (message) => port1.postMessage(message),
    terminate: () => void worker.terminate(),
  };
}

/** worker_threads: tasks are modules by absolute path, loaded by the worker with `require`. */
export const nodePoolHost: PoolHost = { defaultThreads, start, serves: (module) => workerScript() !== null && path.isAbsolute(module) };
