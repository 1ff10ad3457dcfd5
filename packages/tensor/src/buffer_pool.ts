/**
 * Reuse of large per-sequence buffers.
 *
 * A fresh typed array of a few megabytes costs more than its contents: the engine takes new pages
 * from the operating system for it, and the first touch of every page faults (measured on an LSTM
 * training step at (100, 128, 64, 32): 53 ms of a 193 ms step went to copying into buffers just
 * allocated, and 3.5 ms when the same copies went to memory already in use). The fused recurrent
 * kernels allocate the same buffers for every batch (gates, states, their gradients) and know when
 * they are done with them (after backward, or at once for inference), so they take them from here
 * and give them back: the next batch gets the same memory, already mapped, zeroed with a fill.
 *
 * Shared buffers matter for another reason: the pool's workers are handed them (threads split the
 * fused time loops), and a worker keeps every SharedArrayBuffer it was handed alive until its own
 * collector runs, which it seldom does (it spins on `Atomics.wait`). Fresh shared buffers for every
 * step piled up that way (resident memory at two threads grew by about 15 MB a training step), so
 * what the kernels hand to workers is taken from here: the same memory every step. Workers now keep
 * the buffers they were handed by id (pool_wire.ts), so the same buffers also make the jobs
 * cheap to hand over; a buffer the pool drops is forgotten by the workers with their next job.
 *
 * Plain arrays are kept from POOL_MIN_VALUES values (smaller ones come from the engine's heap
 * cheaply), shared ones of any size; at most `setBufferPoolLimit` bytes in all (256 MiB by
 * default; the oldest go first). A buffer given back must not be used again by the giver: nothing
 * else may hold it (an output tensor must be a copy, not a view of it).
 */
import { isShared } from './parallel';
import { forgetShared } from './pool_wire';
import type { DType, DataArray } from './tensor';

/** Least values for which a plain buffer is pooled (128 KiB of float32: below that, allocation is cheap); shared ones are pooled at any size. */
export const POOL_MIN_VALUES = 1 << 15;

/** The typed arrays the pool keeps. */
export type Pooled = DataArray | Uint8Array | Int32Array;
type PooledCtor = { new (n: number): Pooled; new (b: SharedArrayBuffer): Pooled; readonly BYTES_PER_ELEMENT: number; readonly name: string };

let limit = 256 * 1024 * 1024;
let held = 0;
/** Free buffers by kind and length, and all of them in the order they were given back (for eviction). */
const free = new Map<string, Pooled[]>();
const order: Pooled[] = [];
const inPool = new WeakSet<ArrayBufferLike>();

const kindOf = (a: Pooled): string => `${a.constructor.name}:${isShared(a) ? 'shared' : 'plain'}:${a.length}`;

/** A zeroed array (unless `zero` is false) of `Ctor` of `n` values, plain or on a SharedArrayBuffer made by `shared`, from the pool when one of that kind is there. */
function take(Ctor: PooledCtor, n: number, shared: ((bytes: number) => SharedArrayBuffer) | null, zero = true): Pooled {
  if (n >= POOL_MIN_VALUES || shared !== null) {
    const list = free.get(`${Ctor.name}:${shared === null ? 'plain' : 'shared'}:${n}`);
    const a = list?.pop();
    if (a !== undefined) {
      held -= a.byteLength;
      inPool.delete(a.buffer);
      order.splice(order.lastIndexOf(a), 1);
      if (zero) a.fill(0);
      return a;
    }
  }
  return shared === null ? new Ctor(n) : new Ctor(shared(n * Ctor.BYTES_PER_ELEMENT));
}

/**
 * A zeroed float array of `n` values (`shared`: on a SharedArrayBuffer, made by `makeShared`), from
 * the pool when one of that kind is there, else new. With `zeroed` false, one from the pool keeps
 * whatever its last user left in it: for a buffer the caller overwrites whole before reading it
 * (the fill is a pass over memory: ~1.3 ms for 16 MB on the machine measured).
 */
export function takeBuffer(dtype: DType, n: number, shared: ((bytes: number) => SharedArrayBuffer) | null = null, zeroed = true): DataArray {
  return take(dtype === 'float64' ? Float64Array : Float32Array, n, shared, zeroed) as DataArray;
}

/**
 * A copy of `a` (a float, Int32 or Uint8 array) on a SharedArrayBuffer made by `shared`, from the
 * pool when one of its kind is there, else new: what a thread of the pool reads of a plain array.
 * Give it back when done (`giveBack`).
 */
export function takeSharedCopy<A extends Pooled>(a: A, shared: (bytes: number) => SharedArrayBuffer): A {
  // not zeroed first: every value is overwritten
  const out = take(a.constructor as PooledCtor, a.length, shared, false) as A;
  out.set(a as never);
  return out;
}

/**
 * Gives buffers back for reuse (null and small plain ones are ignored, and so are views that do not
 * cover their whole buffer). The caller must hold no other reference to them.
 */
export function giveBack(...arrays: (Pooled | null)[]): void {
  for (const a of arrays) {
    if (a === null || (a.length < POOL_MIN_VALUES && !isShared(a)) || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) continue;
    if (inPool.has(a.buffer)) throw new Error('giveBack: this buffer was already given back (a buffer may be given back once per take)');
    if (a.byteLength > limit) continue;
    const key = kindOf(a);
    let list = free.get(key);
    if (list === undefined) free.set(key, (list = []));
    list.push(a);
    order.push(a);
    inPool.add(a.buffer);
    held += a.byteLength;
    while (held > limit) evictOldest();
  }
}

function evictOldest(): void {
  const a = order.shift() as Pooled;
  const list = free.get(kindOf(a)) as Pooled[];
  list.splice(list.indexOf(a), 1);
  inPool.delete(a.buffer);
  held -= a.byteLength;
  // no one hands it over again: the pool's workers may let it go
  forgetShared(a.buffer);
}

/**
 * The most bytes the pool keeps (0: keep nothing, and drop what is kept now); returns the previous
 * limit. A non-negative integer, or an error naming what came.
 */
export function setBufferPoolLimit(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < 0) throw new Error(`setBufferPoolLimit: expected a non-negative integer number of bytes, received ${bytes}`);
  const prev = limit;
  limit = bytes;
  while (held > limit) evictOldest();
  return prev;
}

/** Bytes the pool holds now (buffers given back and not taken since). */
export function bufferPoolBytes(): number {
  return held;
}
