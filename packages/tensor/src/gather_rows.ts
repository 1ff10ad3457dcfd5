/**
 * Rows of a table picked by ids, and the gradient that adds rows back: `gather` (an Embedding's
 * lookup; along an inner axis, each outer block is a table) and its vector-Jacobian product.
 *
 *   out[i] = table[ids[i]]                       i = 0 .. k-1
 *   dTable[v] = Σ_{i : ids[i] = v} dOut[i]        the sum in ascending i, zero where no id is v
 *
 * Both are split over the thread pool by bands of rows (row_split.ts) with the same values bit
 * for bit: the lookup by bands of the ids (each row of out is one copy), the gradient by bands of
 * the table's rows (each band scans every id and adds the ones that fall in it, in ascending i, so
 * every row of dTable is the same sum in the same order whichever thread makes it).
 * Ids are checked by the callers (`gather`): here they are trusted.
 */
import { lanes } from './lanes';
import { runRowKernel } from './row_split';
import { gatherRowsWasm, scatterAddRowsWasm } from './wasm/gather_wasm';
import type { DataArray } from './tensor';

/** The arrays of `gatherRows`: `n` values a row. */
export interface GatherJob {
  n: number;
  table: DataArray;
  ids: DataArray;
  out: DataArray;
}

/** `gatherRows` over the ids [r0, r1). */
export function gatherBand(j: GatherJob, r0: number, r1: number): void {
  const { n, table, ids, out } = j;
  if (gatherRowsWasm(table, ids, n, out, r0, r1)) return; // the same copies, in wasm memory (wasm/gather_wasm.ts)
  for (let r = r0, o = r0 * n; r < r1; r++, o += n) {
    lanes.copy(out, o, table, ids[r] * n, n);
  }
}

/**
 * out[i, :] = table[ids[i], :] for the `k` ids, rows of `n` values.
 * @example const out = new Float32Array(4); gatherRows(Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(2, 0), 2, out);  // [5, 6, 1, 2]
 */
export function gatherRows(table: DataArray, ids: DataArray, n: number, out: DataArray): void {
  runRowKernel('gather', gatherBand, ids.length, { n, table, ids, out }, ['out']);
}

/** The arrays of `scatterAddRows`: `count` ids and rows of `g`, `n` values a row. */
export interface ScatterAddJob {
  n: number;
  count: number;
  g: DataArray;
  ids: DataArray;
  dx: DataArray;
}

/** `scatterAddRows` over the table rows [v0, v1): zeroes them, then adds the rows of g whose id falls there, in ascending i. */
export function scatterAddBand(j: ScatterAddJob, v0: number, v1: number): void {
  const { n, count, g, ids, dx } = j;
  if (scatterAddRowsWasm(g, ids, n, count, dx, v0, v1)) return; // the same adds, in wasm memory (wasm/gather_wasm.ts)
  dx.fill(0, v0 * n, v1 * n);
  for (let i = 0; i < count; i++) {
    const v = ids[i];
    if (v < v0 || v >= v1) continue;
    const d = v * n;
    const s = i * n;
    for (let c = 0; c < n; c++) dx[d + c] += g[s + c];
  }
}

/**
 * dx[v, :] = Σ g[i, :] over the i with ids[i] = v (ascending i), for the `rows` rows of dx; rows
 * no id names are zero. dx is written whole.
 * @example const dx = new Float32Array(6); scatterAddRows(Float32Array.of(1, 2, 3, 4), Float32Array.of(2, 2), 2, 3, dx);  // [0, 0, 0, 0, 4, 6]
 */
export function scatterAddRows(g: DataArray, ids: DataArray, n: number, rows: number, dx: DataArray): void {
  runRowKernel('scatterAdd', scatterAddBand, rows, { n, count: ids.length, g, ids, dx }, ['dx']);
}
