/**
 * The vector activations on wasm for float32 buffers in JavaScript: the range is copied into this
 * thread's wasm memory, transformed two lanes at a time (vector_kernel.ts), and copied back.
 */
import { arena } from './runtime';
import { VectorFn, vectorModule } from './vector_kernel';

type VectorExports = Record<VectorFn, (p: number, n: number) => void>;

let vector: VectorExports | null = null;

/** buf[o .. o+n) = fn(buf[o .. o+n)) in place on the wasm module. */
export function vectorWasm(fn: VectorFn, buf: Float32Array, o: number, n: number): void {
  const mem = arena();
  if (vector === null) vector = mem.instantiate<VectorExports>(vectorModule());
  // the module works in pairs: room for one more value
  const p = mem.region('vector', 4 * (n + 1));
  const f32 = mem.f32;
  f32.set(buf.subarray(o, o + n), p >> 2);
  vector[fn](p, n);
  buf.set(f32.subarray(p >> 2, (p >> 2) + n), o);
}
