/**
 * Where the pool's workers come from (parallel.ts knows nothing of Node or the browser):
 * `worker_threads` in Node (parallel_node.ts, registered by the Node entry), Web Workers in a
 * cross-origin-isolated page (parallel_web.ts, `useWebWorkers`), or none: one thread.
 */
import type { PoolChannel, WireMessage } from './pool_wire';

/**
 * One started worker. Jobs reach it through its channel (pool_wire.ts): the caller writes a job's
 * text into the channel's slot, or sends it as a message when the worker must be handed new
 * buffers, and signals ctrl[0]; the worker stores its status in ctrl[1].
 */
export interface PoolWorkerHandle {
  /** False until the worker has started and can take a job (a Web Worker loads asynchronously). */
  readonly ready: boolean;
  /** Sends one job message (the caller then signals JOB_IN_MESSAGE on the channel). */
  send(message: WireMessage): void;
  /** Stops the worker (its job, if any, is abandoned). */
  terminate(): void;
}

/** A platform's source of pool workers (see `setPoolHost`). */
export interface PoolHost {
  /** Threads used when neither `setThreads` nor the environment asked. */
  defaultThreads(): number;
  /** Starts one worker on `channel` (handing it the channel's buffers), or returns null when workers cannot run here. */
  start(channel: PoolChannel): PoolWorkerHandle | null;
  /** Whether a ready worker can run `fn` of `module` (`runOnPool`). */
  serves(module: string, fn: string): boolean;
}

/** No workers: everything runs on the calling thread. */
const noWorkers: PoolHost = { defaultThreads: () => 1, start: () => null, serves: () => false };

let host: PoolHost = noWorkers;
const listeners: (() => void)[] = [];

/** Installs the source of workers (the Node entry does so for worker_threads; `useWebWorkers` in a page). */
export function setPoolHost(h: PoolHost): void {
  host = h;
  for (const f of listeners) f();
}

/** The installed source of workers. */
export function poolHost(): PoolHost {
  return host;
}

/** Called after every `setPoolHost` (the pool drops the previous host's workers). */
export function onPoolHostChange(f: () => void): void {
  listeners.push(f);
}

let canBlock: boolean | undefined;

/**
 * Waits until `ctrl[1]` leaves 0: `Atomics.wait` where the thread may block (Node, a worker),
 * a spin on `Atomics.load` on a page's main thread, where blocking is refused.
 */
export function waitForStatus(ctrl: Int32Array): void {
  if (canBlock === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      canBlock = true;
    } catch {
      canBlock = false;
    }
  }
  if (canBlock) {
    while (Atomics.load(ctrl, 1) === 0) Atomics.wait(ctrl, 1, 0, 1000);
  } else {
    while (Atomics.load(ctrl, 1) === 0) {
      // spin: a page's main thread may not block; the workers' bands take a few milliseconds
    }
  }
}
