/**
 * How a job reaches a pool worker: its shared buffers are handed over once, the job itself as a
 * short text.
 *
 * Handing a SharedArrayBuffer to a worker in a message costs the sender and the receiver at every
 * message (Chromium serializes each one; the receiver makes a new object for it, which its
 * collector must free): a job of a fused time loop holds some thirty arrays, and posting it cost
 * a page 0.41 ms a call (bench/README.md). The fused kernels and the GEMM bands hand the same
 * buffers over again and again (buffer_pool.ts, per-worker scratch), so each worker keeps the
 * buffers it was given by id (`HeldBuffers`), and a job names them: an array travels as
 * `{"$view":[id, byteOffset, length, type]}` inside the job's JSON text, with the buffers the
 * worker does not hold yet beside it. A job whose buffers the worker holds goes as text alone,
 * through shared memory (`PoolChannel`), with no message at all.
 *
 * What a worker holds is decided by the caller (`HandedBuffers`, one per worker), which tells it
 * in the next job what to forget: buffers the caller's collector has freed (a FinalizationRegistry;
 * its callbacks run when the caller's event loop turns), buffers the buffer pool dropped
 * (`forgetShared`), and the least recently used beyond HELD_LIMIT_BYTES. So a worker keeps at most
 * HELD_LIMIT_BYTES of buffers alive (more only while one job names more).
 *
 * Numbers keep their exact value (shortest round-trip text; -0, NaN and ±Infinity spelled out),
 * and an object (an array above all) that a job holds twice is one object on the worker too, as a
 * structured clone keeps it (a loop tests `j.hd !== j.hs`), so a job computes the same on either
 * side of the wire. Keys `$view`, `$ref` and `$num` are the wire's own: a job may not use them.
 */

/** The typed arrays a job may hold, by their code on the wire. */
const VIEWS = [Float32Array, Float64Array, Int32Array, Uint8Array, Uint16Array, Uint32Array, Int16Array, Int8Array, Uint8ClampedArray] as const;
type View = InstanceType<(typeof VIEWS)[number]>;

/** ctrl[0], the job signal: nothing posted, a job in the slot, a job in a message. */
export const NO_JOB = 0;
export const JOB_IN_SLOT = 1;
export const JOB_IN_MESSAGE = 2;

/** Characters of the shared slot a job's text goes through (a longer text goes by message). */
export const SLOT_CHARS = 1 << 14;

/**
 * Bytes of buffers a worker keeps at most, least recently used forgotten first (more only while
 * one job names more). What the workers held after training (bench/src/thread_memory.ts, two threads): 18.6 MB
 * for an LSTM(128) on [64, 50, 32], 42.8 MB for the stacked Embedding/LSTM/GRU model. A model whose
 * jobs name more than this still runs the same, handing some buffers over again.
 */
export const HELD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * The shared memory between the caller and one worker: `ctrl[0]` the job signal (NO_JOB,
 * JOB_IN_SLOT, JOB_IN_MESSAGE), `ctrl[1]` the worker's status (0 busy, 1 done, 2 failed),
 * `ctrl[2]` the length of the text in `slot`.
 */
export interface PoolChannel {
  ctrl: Int32Array;
  slot: Uint16Array;
}

/** A new channel (the worker is given its two buffers when it starts). */
export function newChannel(): PoolChannel {
  return { ctrl: new Int32Array(new SharedArrayBuffer(16)), slot: new Uint16Array(new SharedArrayBuffer(2 * SLOT_CHARS)) };
}

/** A job as it travels by message: its text, and the buffers the worker does not hold yet. */
export interface WireMessage {
  text: string;
  fresh: [number, SharedArrayBuffer][];
}

let nextId = 1;
const ids = new WeakMap<SharedArrayBuffer, number>();
/** Every caller-side ledger (one per started worker), told when a buffer is gone. */
const ledgers = new Set<HandedBuffers>();
const collected =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<number>((id) => {
        for (const l of ledgers) l.drop(id);
      })
    : null;

/**
 * Tells every worker to forget `buffer` with its next job (the buffer pool calls this for the
 * shared buffers it drops: no one will hand them over again).
 */
export function forgetShared(buffer: ArrayBufferLike): void {
  const id = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer ? ids.get(buffer) : undefined;
  if (id === undefined) return;
  for (const l of ledgers) l.drop(id);
}

/** Keys as the wire writes them (`"key":`), made once: jobs use a few dozen names over and over (at most 4096 kept). */
const keys = new Map<string, string>();
const keyOf = (k: string): string => {
  let q = keys.get(k);
  if (q === undefined) {
    q = `${JSON.stringify(k)}:`;
    if (keys.size < 4096) keys.set(k, q);
  }
  return q;
};

const num = (x: number): string => (Number.isFinite(x) ? (Object.is(x, -0) ? '-0' : String(x)) : `{"$num":"${x}"}`);

/**
 * The caller's record of what one worker holds, by id, least recently used first; it writes
 * that worker's jobs (`encode`). `close` when the worker is stopped.
 */
export class HandedBuffers {
  private held = new Map<number, number>();
  private bytes = 0;
  private forget: number[] = [];
  /** The forgets the last job carried (put back if that job is withdrawn unread). */
  private sent: number[] = [];
  private fresh: [number, SharedArrayBuffer][] = [];
  private used = new Set<number>();
  /** Objects of the job written so far, by order of first appearance (a repeat is written as a reference). */
  private seen = new Map<object, number>();

  /** `limit`: the bytes the worker may keep (HELD_LIMIT_BYTES; more only while one job names more). */
  constructor(private readonly limit = HELD_LIMIT_BYTES) {
    ledgers.add(this);
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

  /** The last job was withdrawn before the worker read it: its forgets go with the next one. */
  withdrawn(): void {
    this.forget.push(...this.sent);
    this.sent = [];
  }

  /**
   * The text of `job` for this worker, and the buffers it must be handed first (empty once it
   * holds every buffer the job names). Throws on what cannot be handed over: a typed array that
   * is not on a SharedArrayBuffer (the worker would write to a copy), a function, a bigint.
   */
  encode(job: unknown): WireMessage {
    this.fresh = [];
    this.used.clear();
    this.seen.clear();
    const body = this.write(job);
    this.seen.clear();
    // forget the least recently used beyond the limit, never what this job names
    for (const [id, b] of this.held) {
      if (this.bytes <= this.limit) break;
      if (this.used.has(id)) continue;
      this.held.delete(id);
      this.bytes -= b;
      this.forget.push(id);
    }
    const text = `{"forget":[${this.forget.join(',')}],"job":${body}}`;
    this.sent = this.forget;
    this.forget = [];
    const fresh = this.fresh;
    this.fresh = [];
    return { text, fresh };
  }

  private write(v: unknown): string {
    switch (typeof v) {
      case 'number':
        return num(v);
      case 'boolean':
        return v ? 'true' : 'false';
      case 'string':
        return JSON.stringify(v);
      case 'undefined':
        return 'null';
      case 'object': {
        if (v === null) return 'null';
        // an object met again is the same object on the worker too (code compares arrays by identity)
        const k = this.seen.get(v);
        if (k !== undefined) return `{"$ref":${k}}`;
        this.seen.set(v, this.seen.size);
        if (ArrayBuffer.isView(v)) return this.view(v);
        if (Array.isArray(v)) return `[${v.map((x) => this.write(x)).join(',')}]`;
        let s = '{';
        for (const k in v) {
          if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
          const x = (v as Record<string, unknown>)[k];
          if (x === undefined) continue;
          s += `${s.length === 1 ? '' : ','}${keyOf(k)}${this.write(x)}`;
        }
        return `${s}}`;
      }
      default:
        throw new Error(`pool job: a ${typeof v} cannot be handed to a worker thread`);
    }
  }

  private view(v: ArrayBufferView): string {
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
    return `{"$view":[${id},${v.byteOffset},${(v as View).length},${code}]}`;
  }
}

/** A worker's buffers by id, as its caller handed them over; rebuilds its jobs (`decode`). */
export class HeldBuffers {
  private buffers = new Map<number, SharedArrayBuffer>();

  /** Buffers held now, and their bytes. */
  holding(): { buffers: number; bytes: number } {
    let bytes = 0;
    for (const b of this.buffers.values()) bytes += b.byteLength;
    return { buffers: this.buffers.size, bytes };
  }

  /** The job of a message (taking its fresh buffers) or of a slot's text. */
  decode(m: WireMessage | string): unknown {
    const wire = JSON.parse(typeof m === 'string' ? m : m.text) as { forget: number[]; job: unknown };
    // what the caller dropped before this job, then what this job hands over
    for (const id of wire.forget) this.buffers.delete(id);
    if (typeof m !== 'string') for (const [id, b] of m.fresh) this.buffers.set(id, b);
    this.seen = [];
    const job = this.read(wire.job);
    this.seen = [];
    return job;
  }

  /** The job's objects by order of first appearance, as `HandedBuffers` counted them. */
  private seen: unknown[] = [];

  private read(v: unknown): unknown {
    if (typeof v !== 'object' || v === null) return v;
    if (Array.isArray(v)) {
      this.seen.push(v);
      for (let i = 0; i < v.length; i++) v[i] = this.read(v[i]);
      return v;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.$num === 'string') return Number(o.$num);
    if (typeof o.$ref === 'number') return this.seen[o.$ref];
    const d = o.$view as number[] | undefined;
    if (d !== undefined) {
      const buffer = this.buffers.get(d[0]);
      if (buffer === undefined) throw new Error(`pool worker: no buffer ${d[0]} was handed over`);
      const view = new VIEWS[d[3]](buffer as unknown as ArrayBuffer, d[1], d[2]);
      this.seen.push(view);
      return view;
    }
    this.seen.push(o);
    for (const k of Object.keys(o)) o[k] = this.read(o[k]);
    return o;
  }
}

/** Writes `text` into the channel's slot (the caller checked that it fits). */
export function writeSlot(ch: PoolChannel, text: string): void {
  const { slot } = ch;
  for (let i = 0; i < text.length; i++) slot[i] = text.charCodeAt(i);
  Atomics.store(ch.ctrl, 2, text.length);
}

/** The text in the channel's slot. */
export function readSlot(ch: PoolChannel): string {
  const n = Atomics.load(ch.ctrl, 2);
  let s = '';
  for (let i = 0; i < n; i += 4096) s += String.fromCharCode.apply(null, ch.slot.subarray(i, Math.min(n, i + 4096)) as unknown as number[]);
  return s;
}
