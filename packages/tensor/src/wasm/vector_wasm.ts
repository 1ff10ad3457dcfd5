/**
 * The vector activations on wasm for float32 buffers: a range in JavaScript memory is copied into
 * this thread's wasm memory, transformed two lanes at a time (vector_kernel.ts), and copied back;
 * a range already in wasm memory (a workspace's) is transformed where it is.
 */
import { arena } from './runtime';
import { VectorFn, vectorModule } from './vector_kernel';

type VectorExports = Record<VectorFn, (p: number, n: number) => void> & Record<`${VectorFn}Rows`, (p: number, n: number, rows: number, stride: number) => void>;

let vector: VectorExports | null = null;

function vectorExports(): VectorExports {
  if (vector === null) vector = arena().instantiate<VectorExports>(vectorModule());
  return vector;
}

/**
 * buf[o .. o+n) = fn(buf[o .. o+n)) in place on the wasm module (a range in wasm memory is worked
 * where it is, any other is copied in and out); returns how many values it did: n.
 */
export function vectorWasm(fn: VectorFn, buf: Float32Array, o: number, n: number): number {
  const mem = arena();
  const v = vectorExports();
  if (mem.holds(buf)) {
    v[fn](buf.byteOffset + 4 * o, n);
    return n;
  }
  const p = mem.region('vector', 4 * n);
  const f32 = mem.f32;
  f32.set(buf.subarray(o, o + n), p >> 2);
  v[fn](p, n);
  buf.set(f32.subarray(p >> 2, (p >> 2) + n), o);
  return n;
}

/**
 * fn over `rows` rows of n values of a buffer in wasm memory, row r at buf[o + r·stride ..): one
 * call for a gate block of every row of a step. False (nothing done) when buf is not in wasm memory.
 */
export function vectorRowsWasm(fn: VectorFn, buf: Float32Array, o: number, n: number, rows: number, stride: number): boolean {
  if (!arena().holds(buf)) return false;
  vectorExports()[`${fn}Rows`](buf.byteOffset + 4 * o, n, rows, 4 * stride);
  return true;
}
