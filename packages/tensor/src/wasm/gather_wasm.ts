/**
 * The Embedding's lookup and its gradient (gather_rows.ts) on the lanes module's id-row functions,
 * for float32 on the 'wasm' kernels: the table (or the gradient's rows) is copied into this
 * thread's wasm memory as one block, the rows are picked there, and the result is copied back as
 * one block. In JavaScript each row is a call of its own (a typed-array view per row, or a loop at
 * 3-5 ns a value on the machines measured), which costs more than those block copies whenever
 * the table is not much larger than what is picked from it (the condition below).
 * The same values bit for bit: a copy is a copy, and every add is the same float32 add, taken in
 * the same order of ids.
 */
import { wasmWorkspace } from '../lanes';
import type { DataArray } from '../tensor';
import { laneExports } from './lanes_wasm';

/**
 * At most this many values copied in for each value picked or made (else the rows run in
 * JavaScript). Measured on the IMDb model's step: its gradient split over two threads (each band
 * copies every gradient row, 5x its own rows) ran 6% faster with 8 than with 4, which left it to
 * JavaScript.
 */
const MAX_COPY_RATIO = 8;

/** At most this many values in wasm memory (64 MiB): the memory only grows, and stays grown for the thread's life. */
const MAX_VALUES = 1 << 24;

/**
 * The lanes module's gatherRows or scatterAddRows (lanes_kernel.ts) on a workspace: `rows` rows of
 * n values that it writes (zeroed first for the adds), `src` copied in, and the ids [i0, i1) as
 * int32; the rows written are copied to `dest` at `at`.
 */
function idRows(add: boolean, rows: number, src: Float32Array, ids: DataArray, i0: number, i1: number, n: number, lo: number, span: number, dest: Float32Array, at: number): boolean {
  if (rows * n + src.length > MAX_VALUES) return false;
  const ws = wasmWorkspace([rows * n, src.length, i1 - i0], [], [add, false, false]);
  if (ws === null) return false;
  const [base, s, slot] = ws;
  s.set(src);
  new Int32Array(slot.buffer, slot.byteOffset, i1 - i0).set(ids.subarray(i0, i1));
  laneExports()[add ? 'scatterAddRows' : 'gatherRows'](base.byteOffset, s.byteOffset, slot.byteOffset, n, i1 - i0, lo, span);
  dest.set(base, at);
  return true;
}

/** out rows [r0, r1) = table rows ids[r0 .. r1), `n` values a row, in wasm memory; false where it does not pay or cannot run. */
export function gatherRowsWasm(table: DataArray, ids: DataArray, n: number, out: DataArray, r0: number, r1: number): boolean {
  return table instanceof Float32Array && out instanceof Float32Array && table.length <= MAX_COPY_RATIO * (r1 - r0) * n &&
    idRows(false, r1 - r0, table, ids, r0, r1, n, 0, table.length / n, out, r0 * n);
}

/** dx rows [v0, v1) = Σ of the rows of g whose id falls there (in id order), in wasm memory; false where it does not pay or cannot run. */
export function scatterAddRowsWasm(g: DataArray, ids: DataArray, n: number, count: number, dx: DataArray, v0: number, v1: number): boolean {
  return g instanceof Float32Array && dx instanceof Float32Array && count <= MAX_COPY_RATIO * (v1 - v0) &&
    idRows(true, v1 - v0, g.subarray(0, count * n), ids, 0, count, n, v0, v1 - v0, dx, v0 * n);
}
