/**
 * How a job reaches a pool worker: a message of plain values, its shared buffers named by id.
 *
 * Handing a SharedArrayBuffer to a worker in a message costs the sender and the receiver at every
 * message (Chromium serializes each one; the receiver makes a new object for it, which its
 * collector must free): a job of a fused time loop holds some thirty arrays, and posting it cost
 * a page 0.41 ms a call (bench/README.md). The fused kernels and the GEMM bands hand the same
 * buffers over again and again (buffer_pool.ts, per-worker scratch), so each worker keeps the
 * buffers it was given by id (`HeldBuffers`), and a job names them: in the message, each typed
 * array is `{ $view: [id, byteOffset, length, type] }`, and only the buffers the worker does not
 * hold yet travel beside it. The rest of the job is numbers, strings, booleans, arrays and
 * objects, which the message's structured clone carries exactly (-0, NaN and ±Infinity
 * included) and keeps an object held twice as one object; the worker makes one view per
 * descriptor, so an array held twice is one array there too (a loop tests `j.hd !== j.hs`). The
 * key `$view` is the wire's own: a job may not use it.
 *
 * What a worker holds is decided by the caller (`HandedBuffers`, one per worker), which tells it
 * in the next job what to forget: buffers the caller's collector has freed (a FinalizationRegistry;
 * its callbacks run when the caller's event loop turns), buffers the buffer pool dropped
 * (`forgetShared`), and the least recently used beyond HELD_LIMIT_BYTES. So a worker keeps at most
 * HELD_LIMIT_BYTES of buffers alive (more only while one job names more). Every message is
 * delivered, a withdrawn job's too (runOnPool's `sharedQueue`: the worker then applies its
 * buffers and forgets without running it), so the ledger and the worker never disagree.
 */

/** The typed arrays a job may hold, by their code on the wire. */
const VIEWS = [Float32Array, Float64Array, Int32Array, Uint8Array, Uint16Array, Uint32Array, Int16Array, Int8Array, Uint8ClampedArray] as const;
type View = InstanceType<(typeof VIEWS)[number]>;

/** ctrl[0] when a worker has taken the job posted to it (before: the job's number; 0: withdrawn or none). */
export const TAKEN = -1;

/**
 * Bytes of buffers a worker keeps at most, least recently used forgotten first (more only while
 * one job names more). What the workers held after training (bench/src/thread_memory.ts, two threads): 18.6 MB
 * for an LSTM(128) on [64, 50, 32], 42.8 MB for the stacked Embedding/LSTM/GRU model. A model whose
 * jobs name more than this still runs the same, handing some buffers over again.
 */
export const HELD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * The shared memory between the caller and one worker: `ctrl[0]` the number of the job posted
 * and not yet taken (TAKEN once the worker has it, 0 when the caller withdrew it), `ctrl[1]` the
 * worker's status (0 busy, 1 done, 2 failed), `ctrl[2]` how many messages were posted (what a
 * Node worker waits on between jobs).
 */
export interface PoolChannel {
  ctrl: Int32Array;
}

/** A new channel (the worker is given it when it starts). */
export function newChannel(): PoolChannel {
  return { ctrl: new Int32Array(new SharedArrayBuffer(16)) };
}

/** A job as it travels: its number, what to forget, the buffers the worker does not hold yet, the job with its arrays as `$view`s. */
export interface WireMessage {
  seq: number;
  forget: number[];
  fresh: [number, SharedArrayBuffer][];
  job: unknown;
}

let nextId = 1;
const ids = new WeakMap<SharedArrayBuffer, number>();
/** Every caller-side ledger (one per started worker), told when a buffer is gone. */
const ledgers = new Set<HandedBuffers>();
/** Tells the ledgers of the buffers the caller's collector freed (made with the first ledger). */
let collected: FinalizationRegistry<number> | null = null;

/**
 * Tells every worker to forget `buffer` with its next job (the buffer pool calls this for the
 * shared buffers it drops: no one will hand them over again).
 */
export function forgetShared(buffer: ArrayBufferLike): void {
  const id = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer ? ids.get(buffer) : undefined;
  if (id === undefined) return;
  for (const l of ledgers) l.drop(id);
}

/**
 * The caller's record of what one worker holds, by id, least recently used first; it writes
 * that worker's jobs (`encode`). `close` when the worker is stopped.
 */
export class HandedBuffers {
  private held = new Map<number, number>();
  private bytes = 0;
  private forget: number[] = [];
  private fresh: [number, SharedArrayBuffer][] = [];
  private used = new Set<number>();
  /** Objects of the job met so far and what they became (one held twice is written once). */
  private seen = new Map<object, unknown>();

  /** `limit`: the bytes the worker may keep (HELD_LIMIT_BYTES; more only while one job names more). */
  constructor(private readonly limit = HELD_LIMIT_BYTES) {
    ledgers.add(this);
    if (collected === null && typeof FinalizationRegistry === 'function') {
      collected = new FinalizationRegistry<number>((id) => {
        for (const l of ledgers) l.drop(id);
      });
    }
  }

  /** Stops tracking (the worker is gone). */
  close(): void {
    ledgers.delete(this);
  }

  /** Buffers the worker holds now, and their bytes (what the next job's forgets leave). */
  holding(): { buffers: number; bytes: number } {
    return { buffers: this.held.size, bytes: this.bytes };
  }

  /** The worker is to forget buffer `id` with its next job (if it holds it). */
  drop(id: number): void {
    const b = this.held.get(id);
    if (b === undefined) return;
    this.held.delete(id);
    this.bytes -= b;
    this.forget.push(id);
  }

  /**
   * The message of job number `seq` for this worker: the job with its typed arrays as `$view`s,
   * and the buffers it must be handed first (none once it holds every buffer the job names).
   * Throws on what cannot be handed over: a typed array that is not on a SharedArrayBuffer (the
   * worker would write to a copy), a function, a bigint.
   */
  encode(job: unknown, seq: number): WireMessage {
    this.used.clear();
    const plain = this.plain(job);
    this.seen.clear();
    // forget the least recently used beyond the limit, never what this job names
    for (const [id, b] of this.held) {
      if (this.bytes <= this.limit) break;
      if (this.used.has(id)) continue;
      this.held.delete(id);
      this.bytes -= b;
      this.forget.push(id);
    }
    const m: WireMessage = { seq, forget: this.forget, fresh: this.fresh, job: plain };
    this.forget = [];
    this.fresh = [];
    return m;
  }

  /** `v` with its typed arrays as `$view`s (undefined fields left out, as a clone leaves them undefined). */
  private plain(v: unknown): unknown {
    if (typeof v === 'function' || typeof v === 'bigint' || typeof v === 'symbol') throw new Error(`pool job: a ${typeof v} cannot be handed to a worker thread`);
    if (typeof v !== 'object' || v === null) return v;
    const known = this.seen.get(v);
    if (known !== undefined) return known;
    if (ArrayBuffer.isView(v)) {
      const d = this.view(v);
      this.seen.set(v, d);
      return d;
    }
    const out: Record<string, unknown> | unknown[] = Array.isArray(v) ? [] : {};
    this.seen.set(v, out);
    if (Array.isArray(v)) for (const x of v) (out as unknown[]).push(this.plain(x));
    else {
      for (const k in v) {
        const x = (v as Record<string, unknown>)[k];
        if (x !== undefined && Object.prototype.hasOwnProperty.call(v, k)) (out as Record<string, unknown>)[k] = this.plain(x);
      }
    }
    return out;
  }

  private view(v: ArrayBufferView): { $view: number[] } {
    const code = VIEWS.indexOf(v.constructor as never);
    if (code < 0) throw new Error(`pool job: a ${v.constructor.name} cannot be handed to a worker thread (typed arrays only)`);
    const buffer = v.buffer;
    if (typeof SharedArrayBuffer === 'undefined' || !(buffer instanceof SharedArrayBuffer)) {
      throw new Error('pool job: a typed array is not on a SharedArrayBuffer (a worker thread would write to a copy)');
    }
    let id = ids.get(buffer);
    if (id === undefined) {
      id = nextId++;
      ids.set(buffer, id);
      collected?.register(buffer, id);
    }
    const b = this.held.get(id);
    if (b !== undefined) {
      // most recently used last
      this.held.delete(id);
      this.held.set(id, b);
    } else if (!this.used.has(id)) {
      this.held.set(id, buffer.byteLength);
      this.bytes += buffer.byteLength;
      this.fresh.push([id, buffer]);
    }
    this.used.add(id);
    return { $view: [id, v.byteOffset, (v as View).length, code] };
  }
}

/** A worker's buffers by id, as its caller handed them over (`take`); rebuilds its jobs (`job`). */
export class HeldBuffers {
  private buffers = new Map<number, SharedArrayBuffer>();
  /** The job's objects read so far and what they became (a `$view`: its array). */
  private seen = new Map<object, unknown>();

  /** Buffers held now, and their bytes. */
  holding(): { buffers: number; bytes: number } {
    let bytes = 0;
    for (const b of this.buffers.values()) bytes += b.byteLength;
    return { buffers: this.buffers.size, bytes };
  }

  /** Forgets what the caller dropped before this message, and takes the buffers it hands over (done for every message, withdrawn or not). */
  take(m: WireMessage): void {
    for (const id of m.forget) this.buffers.delete(id);
    for (const [id, b] of m.fresh) this.buffers.set(id, b);
  }

  /** The job of a message (after `take`), its `$view`s as arrays on the buffers held. */
  job(m: WireMessage): unknown {
    const job = this.read(m.job);
    this.seen.clear();
    return job;
  }

  private read(v: unknown): unknown {
    if (typeof v !== 'object' || v === null) return v;
    const known = this.seen.get(v);
    if (known !== undefined) return known;
    const d = (v as { $view?: number[] }).$view;
    if (d !== undefined) {
      const buffer = this.buffers.get(d[0]);
      if (buffer === undefined) throw new Error(`pool worker: no buffer ${d[0]} was handed over`);
      const view = new VIEWS[d[3]](buffer as unknown as ArrayBuffer, d[1], d[2]);
      this.seen.set(v, view);
      return view;
    }
    this.seen.set(v, v);
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) v[i] = this.read(v[i]);
    else for (const k of Object.keys(v)) (v as Record<string, unknown>)[k] = this.read((v as Record<string, unknown>)[k]);
    return v;
  }
}
