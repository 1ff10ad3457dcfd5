/**
 * What each thread of a split runs (threads.ts): the bands of batch rows of a cell's time loop, and
 * the bands of columns of a bias gradient. Pool workers load this module (compiled, from dist/)
 * and, through the job, the compiled module of the cell's rows: nothing here knows any cell.
 */
import type { DataArray } from '@seqlab/tensor';
import type { RowsJob } from './loop';

/** Modules of rows by name, for workers that cannot `require` (a page's: `@seqlab/layers/worker`). */
const served = new Map<string, Record<string, RowFunction>>();

/** Serves the rows functions of `module` (a name such as 'lstm/rows.js') to this thread's `runBands`. */
export function serveRowsModule(module: string, functions: Record<string, unknown>): void {
  served.set(module, functions as Record<string, RowFunction>);
}

/** The exports of a rows module: served by name, else (Node's workers) the compiled file by path. */
function rowsModule(module: string): Record<string, RowFunction> {
  const mod = served.get(module);
  if (mod !== undefined) return mod;
  if (typeof require !== 'function') throw new Error(`runBands: no rows module '${module}' is served on this worker`);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require(module) as Record<string, RowFunction>;
}

/** A cell's forward or backward rows over the band [j.b0, j.b1). */
export type RowFunction<J extends RowsJob = RowsJob> = (job: J) => void;

export interface BandsJob extends RowsJob {
  /** The compiled module that exports the rows function `fn` (what a worker `require`s). */
  module: string;
  fn: string;
  /** [b0, b1) pairs. */
  bands: Int32Array;
  /** [1]: the next band to take. */
  counter: Int32Array;
}

/**
 * Takes bands from the shared counter and runs `rows` on each until none is left: the calling
 * thread and every worker of a split run this, so a thread slowed by other load takes fewer bands.
 */
export function takeBands(j: BandsJob, rows: RowFunction): void {
  const n = j.bands.length >> 1;
  for (;;) {
    const k = Atomics.add(j.counter, 0, 1);
    if (k >= n) return;
    rows({ ...j, b0: j.bands[2 * k], b1: j.bands[2 * k + 1] });
  }
}

/** A worker's part of a split: `takeBands` with the rows function `j.fn` of `j.module`. */
export function runBands(j: BandsJob): void {
  const rows = rowsModule(j.module)[j.fn];
  if (typeof rows !== 'function') throw new Error(`runBands: '${j.fn}' is not a function of ${j.module}`);
  takeBands(j, rows);
}

export interface ColumnSumsJob {
  /** [rows, cols] */
  g: DataArray;
  rows: number;
  cols: number;
  /** out[offset + k] += Σ_r g[r, k] for k in [c0, c1) */
  out: DataArray;
  offset: number;
  c0: number;
  c1: number;
}

/**
 * Column sums over a band of columns: every column summed in float64 over the rows in order and
 * added to out once, whoever sums it (the same sums as a GEMM's `bColumnSums`).
 */
export function columnSumsCols(j: ColumnSumsJob): void {
  const { g, rows, cols, out, offset, c0, c1 } = j;
  const acc = new Float64Array(c1 - c0);
  for (let r = 0; r < rows; r++) {
    const o = r * cols + c0;
    for (let k = 0; k < c1 - c0; k++) acc[k] += g[o + k];
  }
  for (let k = 0; k < c1 - c0; k++) out[offset + c0 + k] += acc[k];
}
