/**
 * The row kernels split over the pool by bands of rows (row_split.ts): the softmax rows forward and
 * backward, the cross-entropy rows, and the rows of a table by ids and their gradient (gather_rows.ts,
 * ids repeated and unused) give bit-identical results on one, two and three threads,
 * on either kernel ('wasm' and 'js' exp), in float32 and float64, with rows that do not split
 * evenly, rows of -∞ and NaN, arrays on SharedArrayBuffers or not, and an output that is its
 * input's buffer. The splits are counted, so the test fails if nothing was split.
 * Workers run the compiled dist/parallel_worker.js (built here).
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import {
  DataArray, Rng, crossentropyGradRows, crossentropyRows, gatherRows, rowSplits, scatterAddRows, setKernels, setRowSplit, setThreads, softmaxBackwardRows, softmaxRows, sparseCrossentropyGradRows, toShared,
} from '@seqlab/tensor';

jest.setTimeout(60_000);

let saved: number;
beforeAll(() => {
  const pkg = path.join(__dirname, '..');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', pkg], { stdio: 'pipe' });
  saved = setRowSplit(0); // split every input of enough rows, however short
});
afterAll(() => {
  setRowSplit(saved);
  setThreads(1);
});

function fill(n: number, rng: Rng, f64: boolean, lo = -5, hi = 5): DataArray {
  const a = f64 ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
  return a;
}

/** Every output of the seven row kernels on `threads` threads, from the same inputs. */
function runAll(threads: number, rows: number, n: number, f64: boolean, shared: boolean): { name: string; values: ArrayLike<number> }[] {
  expect(setThreads(threads)).toBe(threads);
  const rng = new Rng(rows * 31 + n);
  const share = <A extends DataArray>(a: A): A => (shared ? toShared(a) : a);
  const z = fill(rows * n, rng, f64);
  for (let k = 0; k < n; k++) z[3 * n + k] = -Infinity; // a row of -∞: p = NaN
  z[5 * n + 1] = NaN;
  const y = fill(rows * n, rng, f64, 0, 1);
  const g = fill(rows, rng, f64);
  const dy = fill(rows * n, rng, f64);
  const classes = (f64 ? new Float64Array(rows) : new Float32Array(rows)).map(() => Math.floor(rng.next() * n));
  const p = share(f64 ? new Float64Array(rows * n) : new Float32Array(rows * n));
  const lse = new Float64Array(rows);
  softmaxRows(share(z), p, rows, n, lse);
  const loss = f64 ? new Float64Array(rows) : new Float32Array(rows);
  const ySum = new Float64Array(rows);
  crossentropyRows(share(z), share(y), lse, loss, ySum, rows, n);
  const dz = f64 ? new Float64Array(rows * n) : new Float32Array(rows * n);
  crossentropyGradRows(p, share(y), g, ySum, dz, rows, n);
  const dzSparse = f64 ? new Float64Array(rows * n) : new Float32Array(rows * n);
  sparseCrossentropyGradRows(p, classes, g, share(dzSparse), rows, n);
  const dx = share(dy.slice()); // dx written over dy
  softmaxBackwardRows(p, dx, dx, rows, n);
  // softmax in place: z and p one buffer
  const inPlace = share(z.slice());
  softmaxRows(inPlace, inPlace, rows, n);
  // a table of `rows` rows by ids: a third of the rows named, most of them many times
  const ids = (f64 ? new Float64Array(rows) : new Float32Array(rows)).map(() => Math.floor(rng.next() * rows / 3));
  const gathered = share(f64 ? new Float64Array(rows * n) : new Float32Array(rows * n));
  gatherRows(share(y), share(ids), n, gathered);
  const dTable = share(fill(rows * n, rng, f64)); // written whole: what was there is overwritten
  scatterAddRows(share(dy), ids, n, rows, dTable);
  return [
    { name: 'p', values: p }, { name: 'lse', values: lse }, { name: 'loss', values: loss }, { name: 'ySum', values: ySum },
    { name: 'dz', values: dz }, { name: 'dzSparse', values: dzSparse }, { name: 'dx', values: dx }, { name: 'p in place', values: inPlace },
    { name: 'gathered', values: gathered }, { name: 'dTable', values: dTable },
  ];
}

test.each([
  ['6400 x 65, float32, wasm', 6400, 65, false, 'wasm'],
  ['1001 x 7, float32, js', 1001, 7, false, 'js'],
  ['777 x 33, float64', 777, 33, true, 'js'],
] as const)('%s: two and three threads give the outputs of one bit for bit, shared or not', (_name, rows, n, f64, kernels) => {
  const was = setKernels(kernels);
  try {
    for (const shared of [false, true]) {
      const one = runAll(1, rows, n, f64, shared);
      for (const threads of [2, 3]) {
        const before = rowSplits();
        const many = runAll(threads, rows, n, f64, shared);
        expect(rowSplits() - before).toBe(8); // every kernel call was split
        one.forEach((o, k) => {
          expect(many[k].name).toBe(o.name);
          let first = -1;
          for (let i = 0; i < o.values.length && first < 0; i++) if (!Object.is(o.values[i], many[k].values[i])) first = i;
          expect({ threads, shared, output: o.name, firstDifference: first }).toEqual({ threads, shared, output: o.name, firstDifference: -1 });
        });
      }
    }
    // the -∞ row gives NaN probabilities, as on one thread
    expect(Number.isNaN(runAll(2, rows, n, f64, false)[0].values[3 * n])).toBe(true);
  } finally {
    setKernels(was);
  }
});

test('inputs too small to pay stay on the calling thread', () => {
  setRowSplit(saved);
  try {
    expect(setThreads(2)).toBe(2);
    const before = rowSplits();
    const z = new Float32Array(100 * 65);
    softmaxRows(z, new Float32Array(z.length), 100, 65);
    expect(rowSplits()).toBe(before);
  } finally {
    setRowSplit(0);
  }
});
