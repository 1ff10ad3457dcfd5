/**
 * gather_rows.ts on one thread, held to plain loops: the rows of a table by ids, and their
 * gradient, the rows of g added back by id in ascending order (ids repeated, rows no id names
 * zero, whatever dx held before). parallel_rows.test.ts holds the split to one thread.
 */
import fc from 'fast-check';
import { gatherRows, scatterAddRows } from '@seqlab/tensor';
import { FC } from './helpers';

const problem = fc.record({
  rows: fc.integer({ min: 1, max: 12 }),
  n: fc.integer({ min: 1, max: 9 }),
  count: fc.integer({ min: 0, max: 30 }),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
  f64: fc.boolean(),
});

test('property: gatherRows and scatterAddRows are the plain loops, float32 and float64', () => {
  fc.assert(fc.property(problem, ({ rows, n, count, seed, f64 }) => {
    let s = seed;
    const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const make = (len: number) => (f64 ? new Float64Array(len) : new Float32Array(len)).map(() => next() * 4 - 2);
    const table = make(rows * n);
    const ids = (f64 ? new Float64Array(count) : new Float32Array(count)).map(() => Math.floor(next() * rows));
    const g = make(count * n);

    const out = make(count * n);
    gatherRows(table, ids, n, out);
    for (let i = 0; i < count; i++) for (let c = 0; c < n; c++) expect(out[i * n + c]).toBe(table[ids[i] * n + c]);

    const dx = make(rows * n); // garbage: scatterAddRows writes every row
    scatterAddRows(g, ids, n, rows, dx);
    const want = f64 ? new Float64Array(rows * n) : new Float32Array(rows * n);
    for (let i = 0; i < count; i++) for (let c = 0; c < n; c++) want[ids[i] * n + c] += g[i * n + c];
    expect(Array.from(dx)).toEqual(Array.from(want));
  }), FC);
});

test('examples from the docs', () => {
  const out = new Float32Array(4);
  gatherRows(Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(2, 0), 2, out);
  expect(Array.from(out)).toEqual([5, 6, 1, 2]);
  const dx = new Float32Array(6).fill(9);
  scatterAddRows(Float32Array.of(1, 2, 3, 4), Float32Array.of(2, 2), 2, 3, dx);
  expect(Array.from(dx)).toEqual([0, 0, 0, 0, 4, 6]);
});
