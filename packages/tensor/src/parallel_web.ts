/**
 * The pool's workers in a page: Web Workers over shared memory. They need a cross-origin-isolated
 * page (served with `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
 * require-corp`), where `SharedArrayBuffer` exists; elsewhere the pool stays at one thread.
 *
 * The worker script is a bundle whose entry calls `serveWebWorker` (web_worker.ts) with the tasks
 * it can run; `@seqlab/layers/worker` is one that serves the recurrent layers' time loops. A job
 * reaches a worker by `postMessage`, naming the buffers the worker holds by id (pool_wire.ts,
 * web_worker.ts); the page's main thread may not block, so
 * it spins on the worker's status word while the workers compute (the bands take milliseconds).
 */
import { PoolHost, PoolWorkerHandle } from './pool_host';
import { setPoolHost } from './pool_setup';
import type { PoolChannel } from './pool_wire';

/** The part of the DOM's Worker that the pool uses (no DOM typings needed to compile this). */
interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: unknown) => void) | null;
}

type WorkerConstructor = new (url: string | URL, options?: { type?: 'module' | 'classic'; name?: string }) => WebWorker;

const g = globalThis as unknown as { Worker?: WorkerConstructor; crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };

/** Options of `useWebWorkers`. */
export interface WebWorkersOptions {
  /** Threads to use, counting the calling one (default: the machine's cores, at most 2). */
  threads?: number;
  /** 'module' for a worker bundle in ESM format (default 'classic'). */
  type?: 'module' | 'classic';
}

/** Whether this page can share memory with workers (cross-origin isolated, SharedArrayBuffer present). */
export function sharedMemoryAvailable(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && g.crossOriginIsolated !== false;
}

const waiting: (() => void)[] = [];

interface WebHandle extends PoolWorkerHandle {
  ready: boolean;
  /** Hands the worker its channel (its first message). */
  bind(channel: PoolChannel): void;
  /** The tasks the worker script serves (runOnPool's `fn`). */
  tasks: string[];
}

/**
 * Runs the pool on Web Workers loading `url`. Resolves, once the workers have started, to the
 * number of threads in use: 1 (nothing started) when the page is not cross-origin isolated or
 * has no `Worker`. Results are bit-identical to one thread.
 * @example const n = await useWebWorkers(new URL('./worker.js', location.href), { threads: 2 });
 */
export function useWebWorkers(url: string | URL, options: WebWorkersOptions = {}): Promise<number> {
  const { threads, type = 'classic' } = options;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new Error(`useWebWorkers: 'threads' must be a positive integer, received ${threads}`);
  }
  const Ctor = g.Worker;
  if (!sharedMemoryAvailable() || Ctor === undefined) return Promise.resolve(1);
  const cores = g.navigator?.hardwareConcurrency ?? 1;
  const want = threads ?? Math.max(1, Math.min(2, cores));
  const handles: WebHandle[] = [];
  /** Workers started here, not yet taken by the pool (its first `start` calls take these). */
  const spare: WebHandle[] = [];
  let failure: string | null = null;
  const create = (): WebHandle | null => {
    if (failure !== null) return null;
    const worker = new Ctor(url, { type, name: 'seqlab-pool' });
    const h: WebHandle = {
      ready: false,
      tasks: [],
      bind: (channel) => worker.postMessage({ channel }),
      send: (m) => worker.postMessage(m),
      terminate: () => worker.terminate(),
    };
    worker.onmessage = (e) => {
      const m = e.data as { ready?: boolean; tasks?: string[]; echo?: boolean };
      if (m && m.ready) {
        // not ready yet: a page that posted its first job as soon as 'ready' came, and spun
        // waiting for it (the main thread may not block), spun for ever in Chromium: the worker
        // never got the job (messages to a worker are held until the page has run a task of its
        // own, it seems, and a spinning page runs none). A 200 ms pause first was enough; so is
        // waiting until the worker has answered a message of the page's.
        h.tasks = m.tasks ?? [];
        worker.postMessage({ echo: true });
      } else if (m && m.echo) {
        h.ready = true;
        for (const f of waiting.splice(0)) f();
      }
    };
    worker.onerror = (e) => {
      failure = `the worker script ${String(url)} failed to load (${String((e as { message?: string }).message ?? e)})`;
      for (const f of waiting.splice(0)) f();
    };
    handles.push(h);
    return h;
  };
  const host: PoolHost = {
    defaultThreads: () => want,
    start: (channel) => {
      const h = spare.shift() ?? create();
      // the channel is the worker's first message: every job comes after it
      h?.bind(channel);
      return h;
    },
    serves: (_module, fn) => handles.every((h) => !h.ready || h.tasks.includes(fn)),
  };
  setPoolHost(host);
  // start the workers now and wait for them to report ready
  for (let i = 0; i < want - 1; i++) {
    const h = create();
    if (h !== null) spare.push(h);
  }
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (failure !== null) return reject(new Error(`useWebWorkers: ${failure}`));
      const ready = handles.filter((h) => h.ready).length;
      if (ready >= want - 1) resolve(ready + 1);
      else waiting.push(check);
    };
    check();
  });
}
