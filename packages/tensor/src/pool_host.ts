/**
 * Where the pool's workers come from (parallel.ts knows nothing of Node or the browser):
 * `worker_threads` in Node (parallel_node.ts, registered by the Node entry), Web Workers in a
 * cross-origin-isolated page (parallel_web.ts, `useWebWorkers`), or none: one thread.
 */
import { HandedBuffers, PoolChannel, WireMessage, newChannel } from './pool_wire';

/**
 * One started worker. Jobs reach it as messages (pool_wire.ts), with their number in its
 * channel's ctrl[0] until it takes them; it stores its status in ctrl[1].
 */
export interface PoolWorkerHandle {
  /** False until the worker has started and can take a job (a Web Worker loads asynchronously). */
  readonly ready: boolean;
  /** Sends one job message. */
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

/** A started worker: its handle, its channel, and the caller's record of the buffers it holds. */
export interface StartedWorker {
  handle: PoolWorkerHandle;
  channel: PoolChannel;
  handed: HandedBuffers;
}

/**
 * Starts one worker of the installed host, or returns null when none can run. Set with the host
 * (`setPoolHost`), so a program that never installs one (a page without `useWebWorkers`) carries
 * none of the wire's job writing.
 */
let starter: () => StartedWorker | null = () => null;

/** Installs the source of workers: `setPoolHost` (pool_setup.ts), which also enables the pool's splits. */
export function installPoolHost(h: PoolHost): void {
  host = h;
  starter = () => {
    const channel = newChannel();
    const handle = h.start(channel);
    return handle === null ? null : { handle, channel, handed: new HandedBuffers() };
  };
  for (const f of listeners) f();
}

/** Starts one worker of the installed host (null where workers cannot run). */
export function startWorker(): StartedWorker | null {
  return starter();
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
 * Milliseconds a posted job may stay untaken (ctrl[0] still its number) before the wait gives up
 * with an error: a worker that died, or never woke, would otherwise hang its caller for ever.
 * A job that has been taken is waited for as long as it runs.
 */
let takeLimitMs = 60_000;

/** Sets the limit on an untaken job's wait (tests); returns the previous value. */
export function setTakeLimit(ms: number): number {
  const prev = takeLimitMs;
  takeLimitMs = ms;
  return prev;
}

/** Throws when the job posted on `ctrl` is still untaken after `waitedMs` past the limit. */
function giveUpIfUntaken(ctrl: Int32Array, waitedMs: number): void {
  if (Atomics.load(ctrl, 0) > 0 && waitedMs >= takeLimitMs) {
    throw new Error(`parallel: a pool worker has not taken its job in ${Math.round(waitedMs / 1000)} s (it stopped, or never woke); run on one thread (SEQLAB_THREADS=1 or setThreads(1))`);
  }
}

/**
 * Waits until `ctrl[1]` leaves 0: `Atomics.wait` where the thread may block (Node, a worker),
 * a spin on `Atomics.load` on a page's main thread, where blocking is refused. Where it blocks,
 * every second without an answer it wakes the worker again (ctrl[2]), so that a wake-up the worker
 * missed costs a second, not the process; either way, past `takeLimitMs` with the job still
 * untaken it throws.
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
  if (!canBlock) {
    spinForStatus(ctrl);
    return;
  }
  let waited = 0;
  while (Atomics.load(ctrl, 1) === 0) {
    if (Atomics.wait(ctrl, 1, 0, 1000) !== 'timed-out') continue;
    waited += 1000;
    giveUpIfUntaken(ctrl, waited);
    Atomics.notify(ctrl, 2);
  }
}

/**
 * The wait of a page's main thread, which may not block: spins on ctrl[1] (the workers' bands take
 * a few milliseconds), and looks at the clock every 65,536 loads for an untaken job past the limit.
 */
export function spinForStatus(ctrl: Int32Array): void {
  const t0 = Date.now();
  for (let i = 1; Atomics.load(ctrl, 1) === 0; i++) {
    if ((i & 0xffff) === 0) giveUpIfUntaken(ctrl, Date.now() - t0);
  }
}
