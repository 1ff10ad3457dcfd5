/**
 * The GEMM pool (parallel.ts): two and three threads give bit-identical results to one, for every
 * layout, both kernels (wasm and js: each worker runs the caller's), both precisions, beta 0 and
 * 1, offsets, and row counts that do not split evenly. Workers keep the buffers they were handed
 * (pool_wire.ts): jobs on them go through shared memory, what they hold stays bounded, and stays
 * what the pool says when jobs are withdrawn unread (runOnPool's sharedQueue).
 * Workers run the compiled dist/parallel_worker.js (built here if missing).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { GemmArgs, Rng, allocShared, gemmNN, gemmNT, gemmSplits, gemmTN, getThreads, packGemmB, poolHeldBuffers, poolJobMessages, poolJobsPosted, poolJobsWithdrawn, runOnPool, setGemmSplit, setKernels, setThreads, stepBuffer, toShared, withStepBuffers } from '@seqlab/tensor';
import { isShared } from '../src/parallel';
import { HELD_LIMIT_BYTES, forgetShared } from '../src/pool_wire';

jest.setTimeout(60_000);

beforeAll(() => {
  // workers run the compiled dist/: build it (incremental, quick when up to date) so that they run these sources
  const pkg = path.join(__dirname, '..');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', pkg], { stdio: 'pipe' });
  if (!fs.existsSync(path.join(pkg, 'dist', 'parallel_worker.js'))) throw new Error('tsc -b did not produce dist/parallel_worker.js');
});
afterAll(() => setThreads(1));

test('step buffers are on SharedArrayBuffers with two threads (a split product hands them to the workers without copies), plain arrays with one', () => {
  for (const threads of [1, 2]) {
    setThreads(threads);
    withStepBuffers(() => {
      for (const dtype of ['float32', 'float64'] as const) {
        const a = stepBuffer(dtype, 1 << 16);
        expect({ threads, dtype, shared: isShared(a) }).toEqual({ threads, dtype, shared: threads > 1 });
      }
    });
  }
  setThreads(1);
});

function fill(n: number, rng: Rng, f64: boolean): Float32Array | Float64Array {
  const a = f64 ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

const layouts: [string, (a: GemmArgs) => void][] = [['NN', gemmNN], ['TN', gemmTN], ['NT', gemmNT]];

test.each(layouts)('gemm%s: two and three threads are bit-identical to one, on either kernel', (_name, gemm) => {
  for (const [kernels, f64] of [['wasm', false], ['js', false], ['js', true]] as const) {
    for (const beta of [0, 1]) {
      const was = setKernels(kernels);
      // m·n·k above PARALLEL_MIN_WORK; m = 301 leaves a band that is not a multiple of 4
      const m = 301, k = 250, n = 230;
      const rng = new Rng(7);
      const a = fill(3 + m * k, rng, f64);
      const b = fill(5 + k * n, rng, f64);
      const c0 = fill(2 + m * n, rng, f64);
      const run = (threads: number) => {
        expect(setThreads(threads)).toBe(threads);
        const c = c0.slice();
        gemm({ m, n, k, a, aOffset: 3, b, bOffset: 5, c, cOffset: 2, beta });
        return c;
      };
      const one = run(1);
      const two = run(2);
      expect(getThreads()).toBe(2);
      const three = run(3);
      setKernels(was);
      let same = true;
      for (let i = 0; i < one.length; i++) if (one[i] !== two[i] || one[i] !== three[i]) same = false;
      expect({ kernels, f64, beta, same }).toEqual({ kernels, f64, beta, same: true });
    }
  }
});

test('setThreads refuses nonsense and small products stay on the calling thread', () => {
  expect(() => setThreads(0)).toThrow(/positive integer/);
  expect(() => setThreads(1.5)).toThrow(/positive integer/);
  expect(() => setGemmSplit(-1)).toThrow(/setGemmSplit: expected a non-negative integer of multiply-adds, received -1/);
  expect(() => setGemmSplit(0.5)).toThrow(/setGemmSplit/);
  setThreads(2);
  const c = new Float32Array(4);
  const before = gemmSplits();
  gemmNN({ m: 2, n: 2, k: 2, a: Float32Array.of(1, 2, 3, 4), b: Float32Array.of(5, 6, 7, 8), c });
  expect(Array.from(c)).toEqual([19, 22, 43, 50]);
  expect(gemmSplits()).toEqual(before);
  setThreads(1);
  expect(getThreads()).toBe(1);
});

test('the default: the cores (at most DEFAULT_MAX_THREADS) outside jest, SEQLAB_THREADS=1 forces one, a bad value is refused', () => {
  const dist = path.join(__dirname, '..', 'dist', 'node.js');
  const threadsIn = (env: Record<string, string>): string => {
    const clean = { ...process.env, ...env };
    delete clean.JEST_WORKER_ID;
    if (!('SEQLAB_THREADS' in env)) delete clean.SEQLAB_THREADS;
    const code = `const t = require(${JSON.stringify(dist)}); console.log(t.getThreads(), t.DEFAULT_MAX_THREADS, require('os').availableParallelism())`;
    return execFileSync(process.execPath, ['-e', code], { env: clean, stdio: 'pipe' }).toString().trim();
  };
  const [n, max, cores] = threadsIn({}).split(' ').map(Number);
  expect(n).toBe(Math.min(max, cores));
  expect(threadsIn({ SEQLAB_THREADS: '1' }).split(' ')[0]).toBe('1');
  expect(threadsIn({ SEQLAB_THREADS: '3' }).split(' ')[0]).toBe('3');
  expect(() => threadsIn({ SEQLAB_THREADS: 'two' })).toThrow(/SEQLAB_THREADS: expected a positive integer \(1 forces one thread\), received 'two'/);
  // and jest itself runs on one thread unless a test asks
  expect(process.env.JEST_WORKER_ID).toBeDefined();
});

test.each(layouts)('gemm%s: shared operands (read in place at their row stride), lda, packed B: bit-identical', (name, gemm) => {
  // A is a band of columns of a wider matrix (lda), on a SharedArrayBuffer, so the workers read it
  // in place instead of copying their band; B packed once (the caller uses it, the workers pack b)
  const m = 203, k = 300, n = 290, extra = 5;
  const rng = new Rng(9);
  const aRows = name === 'TN' ? k : m;
  const aCols = name === 'TN' ? m : k;
  const lda = aCols + extra + 3;
  const a = toShared(fill(aRows * lda, rng, false));
  const b = toShared(fill(k * n, rng, false));
  const packedB = packGemmB(b, k, n, name === 'NT');
  const c0 = fill(m * n, rng, false);
  const run = (threads: number, args: Partial<GemmArgs>) => {
    setThreads(threads);
    const c = args.c ?? c0.slice();
    gemm({ m, n, k, a, aOffset: extra, lda, b, beta: 1, ...args, c } as GemmArgs);
    return c;
  };
  const one = run(1, {});
  const sums: Float32Array[] = [];
  const withSums = (threads: number) => {
    const s = new Float32Array(n).fill(0.5);
    sums.push(s);
    return run(threads, name === 'NT' ? {} : { bColumnSums: s });
  };
  for (const [what, two] of [['two threads', run(2, {})], ['two threads, packed B', run(2, { packedB })], ['shared C', run(2, { c: toShared(c0) })], ['column sums, one thread', withSums(1)], ['column sums, two threads', withSums(2)]] as const) {
    let same = true;
    for (let i = 0; i < one.length; i++) if (one[i] !== two[i]) same = false;
    expect({ what, same }).toEqual({ what, same: true });
  }
  expect(Array.from(sums[1])).toEqual(Array.from(sums[0]));
});

test('workers keep the buffers they were handed: later jobs on them go through shared memory; what they hold stays bounded and is what the pool says', async () => {
  expect(setThreads(2)).toBe(2);
  const task = path.join(__dirname, '..', 'dist', 'pool_job.js');
  const out = allocShared('float64', 2);
  const run = (arg: Record<string, unknown>) => runOnPool(task, 'reportHeldBuffers', [{ out, ...arg }], () => undefined);
  const report = (arg: Record<string, unknown> = {}) => {
    run(arg);
    return { buffers: out[0], bytes: out[1] };
  };
  report(); // hands `out` over
  const messages = poolJobMessages();
  const posted = poolJobsPosted();
  for (let i = 0; i < 5; i++) report();
  expect([poolJobsPosted() - posted, poolJobMessages() - messages]).toEqual([5, 0]);
  expect(report()).toEqual(poolHeldBuffers()[0]);
  // 100 jobs, each handing over a new 4 MiB buffer (400 MiB in all): the worker keeps at most HELD_LIMIT_BYTES
  for (let i = 0; i < 100; i++) {
    run({ extra: allocShared('float32', 1 << 20) });
    expect(poolHeldBuffers()[0].bytes).toBeLessThanOrEqual(HELD_LIMIT_BYTES);
  }
  expect(report()).toEqual(poolHeldBuffers()[0]);
  expect(poolHeldBuffers()[0].bytes).toBeGreaterThan(HELD_LIMIT_BYTES / 2);
  // buffers the caller's collector frees are forgotten with the next job
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  await new Promise((r) => setTimeout(r, 100));
  expect(report()).toEqual({ buffers: 1, bytes: 16 });
  // sharedQueue: a job the worker has not read when local() returns is withdrawn, its forgets kept
  // for the next job (whichever way each race goes, the worker ends up holding what the pool says)
  const posted0 = poolJobsPosted();
  for (let i = 0; i < 200; i++) {
    const a = allocShared('float32', 64);
    run({ a }); // hands a over (by message: waited for)
    forgetShared(a.buffer);
    runOnPool(task, 'reportHeldBuffers', [{ out }], () => undefined, { sharedQueue: true });
  }
  expect(poolJobsPosted() - posted0).toBe(400);
  expect(poolJobsWithdrawn()).toBeLessThanOrEqual(200);
  expect(report()).toEqual(poolHeldBuffers()[0]);
  expect(report()).toEqual({ buffers: 1, bytes: 16 });
  setThreads(1);
});

const splitCases = layouts.flatMap(([name, gemm]) => [[name, 37, 203, 'columns', gemm], [name, 203, 37, 'rows', gemm]] as const);

test.each(splitCases)('gemm%s [%i, %i]: split by %s of C, bit-identical to one thread (row strides, shared or not, column sums)', (name, m, n, split, gemm) => {
  // m < n: every thread packs all of A and a band of B's columns (n = 203 leaves bands that are
  // not multiples of 8); m > n: all of B and a band of A's rows. C's rows are ldc apart (C a band
  // of a wider matrix), B's ldb apart. k = 300 crosses one k block (256); m·n·k is below
  // PARALLEL_MIN_WORK, so the split's least work is lowered for the test (setGemmSplit)
  const k = 300, extra = 3;
  const bRows = name === 'NT' ? n : k;
  const bCols = name === 'NT' ? k : n;
  const aRows = name === 'TN' ? k : m;
  const aCols = name === 'TN' ? m : k;
  const lda = aCols + 1, ldb = bCols + extra, ldc = n + extra + 2;
  // every variant's operands, then the products thread count by thread count: setThreads(1)
  // stops the pool's workers, so going 1, 2, 3 once starts each worker once, not once a variant
  const variants = (['wasm', 'js', 'js64'] as const).flatMap((kind) => [false, true].flatMap((shared) => [0, 1].map((beta) => {
    const f64 = kind === 'js64';
    const rng = new Rng(11);
    const put = <X extends Float32Array | Float64Array>(x: X) => (shared ? toShared(x) : x);
    return {
      what: { kernels: f64 ? 'js' : kind, f64, shared, beta },
      put,
      a: put(fill(2 + aRows * lda, rng, f64)),
      b: put(fill(1 + bRows * ldb, rng, f64)),
      c0: fill(4 + m * ldc, rng, f64),
      s0: fill(n, rng, f64),
    };
  })));
  const minWork = setGemmSplit(0);
  const runs = [1, 2, 3].map((threads) => {
    expect(setThreads(threads)).toBe(threads);
    return variants.map(({ what, put, a, b, c0, s0 }) => {
      const was = setKernels(what.kernels as 'wasm' | 'js');
      const c = put(c0.slice());
      const sums = s0.slice();
      const before = gemmSplits();
      gemm({ m, n, k, a, aOffset: 2, lda, b, bOffset: 1, ldb, c, cOffset: 4, ldc, beta: what.beta, ...(name === 'NT' ? {} : { bColumnSums: sums }) });
      const after = gemmSplits();
      setKernels(was);
      return { c, sums, columns: after.columns - before.columns, rows: after.rows - before.rows };
    });
  });
  setThreads(1);
  expect(setGemmSplit(minWork)).toBe(0);
  const once = split === 'columns' ? [1, 0] : [0, 1];
  variants.forEach(({ what }, v) => {
    const [one, two, three] = runs.map((r) => r[v]);
    expect({ ...what, one: [one.columns, one.rows], two: [two.columns, two.rows], three: [three.columns, three.rows] }).toEqual({ ...what, one: [0, 0], two: once, three: once });
    let same = true;
    for (let i = 0; i < one.c.length; i++) if (!Object.is(one.c[i], two.c[i]) || !Object.is(one.c[i], three.c[i])) same = false;
    for (let j = 0; j < n; j++) if (!Object.is(one.sums[j], two.sums[j]) || !Object.is(one.sums[j], three.sums[j])) same = false;
    expect({ ...what, same }).toEqual({ ...what, same: true });
  });
});

test('a tall product is split by rows, a wide one by columns, a B packed beforehand by rows', () => {
  const rng = new Rng(3);
  const splitOf = (m: number, n: number, k: number, packed: boolean) => {
    const a = fill(m * k, rng, false);
    const b = fill(k * n, rng, false);
    const before = gemmSplits();
    gemmNN({ m, n, k, a, b, c: new Float32Array(m * n), ...(packed ? { packedB: packGemmB(b, k, n, false) } : {}) });
    const after = gemmSplits();
    return after.columns > before.columns ? 'columns' : after.rows > before.rows ? 'rows' : 'none';
  };
  setThreads(2);
  expect(splitOf(512, 128, 300, false)).toBe('rows');
  expect(splitOf(128, 512, 300, false)).toBe('columns');
  expect(splitOf(128, 512, 300, true)).toBe('rows');
  expect(splitOf(128, 128, 100, false)).toBe('none');
  setThreads(1);
});
