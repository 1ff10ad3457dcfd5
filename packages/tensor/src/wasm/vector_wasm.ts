/**
 * The vector activations on wasm for float32 buffers: a range in JavaScript memory is copied into
 * this thread's wasm memory, transformed two lanes at a time (vector_kernel.ts), and copied back;
 * a range already in wasm memory (a workspace's) is transformed where it is.
 */
import { arena } from './runtime';
import { VectorFn, vectorModule } from './vector_kernel';

type VectorExports = Record<VectorFn, (p: number, n: number) => void>;

let vector: VectorExports | null = null;

/**
 * buf[o .. o+n) = fn(buf[o .. o+n)) in place on the wasm module; returns how many values it did
 * (a range in wasm memory is worked where it is, in pairs: an odd last value is left to the caller).
 */
export function vectorWasm(fn: VectorFn, buf: Float32Array, o: number, n: number): number {
  const mem = arena();
  if (vector === null) vector = mem.instantiate<VectorExports>(vectorModule());
  if (mem.holds(buf)) {
    const pairs = n & ~1;
    vector[fn](buf.byteOffset + 4 * o, pairs);
    return pairs;
  }
  // the module works in pairs: room for one more value
  const p = mem.region('vector', 4 * (n + 1));
  const f32 = mem.f32;
  f32.set(buf.subarray(o, o + n), p >> 2);
  vector[fn](p, n);
  buf.set(f32.subarray(p >> 2, (p >> 2) + n), o);
  return n;
}
