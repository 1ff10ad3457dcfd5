/**
 * The fused kernels split over two threads by bands of batch rows (each cell's rows.ts, threads.ts `runRows`)
 * give the same outputs, final states and every gradient as on one thread, for each cell kind
 * (GRU with and without resetAfter), masks, goBackwards, returnSequences, zeroOutputForMask,
 * dropout masks, initial states, odd batch sizes, float32 and float64. The time loops are per row
 * and the weight gradients are the same GEMMs on the same buffers, so the results are expected
 * bit-identical; the test holds them to 1e-6 relative and reports the largest difference.
 *
 * Workers load the compiled dist/ of @seqlab/tensor and @seqlab/layers: built here (tsc -b,
 * incremental) so that they run the same code as these sources.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
// the Node entry: it gives the pool's workers the compiled rows.js
import '../src/node';
import { oneHotKernelGrad, oneHotRows } from '../src/recurrent/fused/one_hot';
import { bandsModule, compiledModule, oneHotKernelGradSplit, rowBands, setFusedSplit, setOneHotGradSplit, splitParts } from '../src/recurrent/fused/threads';
import { BuiltinArgs, fusedSequence } from './helpers/builtin_args';
import { Adam, Dense, LSTM, Sequential, setSeed } from '../src';

jest.setTimeout(120_000);

let saved: { minRows: number; minWork: number };
let savedOneHot: number;
beforeAll(() => {
  const root = path.join(__dirname, '..', '..', '..');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', path.join(root, 'packages', 'layers')], { stdio: 'pipe' });
  saved = setFusedSplit(2, 0); // split every batch of at least 2 rows
  savedOneHot = setOneHotGradSplit(0); // and every one-hot kernel gradient
});
afterAll(() => {
  setFusedSplit(saved.minRows, saved.minWork);
  setOneHotGradSplit(savedOneHot);
  T.setThreads(1);
});

type Kind = 'simpleRNN' | 'lstm' | 'gruAfter' | 'gruBefore';
const G: Record<Kind, number> = { simpleRNN: 1, lstm: 4, gruAfter: 3, gruBefore: 3 };

interface Config {
  kind: Kind;
  B: number;
  T: number;
  I: number;
  H: number;
  f64: boolean;
  mask: boolean;
  goBackwards: boolean;
  returnSequences: boolean;
  zeroOutputForMask: boolean;
  initialStates: boolean;
  dropout: boolean;
  useBias: boolean;
  /** x one-hot over I features (some rows all zeros): the gather path (one_hot.ts `oneHotRows`). */
  oneHot?: boolean;
  seed: number;
}

function uniform(rng: T.Rng, shape: number[], f64: boolean, lo = -1, hi = 1): Tensor {
  const n = T.sizeOf(shape);
  const d = f64 ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.uniform(lo, hi);
  return new Tensor(d, shape);
}

function makeArgs(c: Config): BuiltinArgs {
  const rng = new T.Rng(c.seed);
  const { B, H, I, f64 } = c;
  const g = G[c.kind];
  let mask: Tensor | null = null;
  if (c.mask) {
    const d = new Float32Array(B * c.T);
    for (let i = 0; i < d.length; i++) d[i] = rng.next() < 0.7 ? 1 : 0;
    for (let t = 0; t < c.T; t++) d[t] = 0; // row 0 fully masked
    mask = new Tensor(d, [B, c.T]);
  }
  const drop = (shape: number[]): Tensor => {
    const n = T.sizeOf(shape);
    const d = f64 ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = rng.next() < 0.3 ? 0 : 1 / 0.7;
    return new Tensor(d, shape);
  };
  const nStates = c.kind === 'lstm' ? 2 : 1;
  return {
    kind: c.kind === 'gruAfter' || c.kind === 'gruBefore' ? 'gru' : c.kind,
    x: c.oneHot ? oneHotInput(rng, [B, c.T, I], f64) : uniform(rng, [B, c.T, I], f64),
    kernel: uniform(rng, [I, g * H], f64, -0.5, 0.5),
    recurrentKernel: uniform(rng, [H, g * H], f64, -0.5, 0.5),
    bias: c.useBias ? uniform(rng, c.kind === 'gruAfter' ? [2, 3 * H] : [g * H], f64, -0.3, 0.3) : null,
    initialStates: c.initialStates ? Array.from({ length: nStates }, () => uniform(rng, [B, H], f64, -0.9, 0.9)) : [],
    mask,
    goBackwards: c.goBackwards,
    returnSequences: c.returnSequences,
    activation: 'tanh',
    recurrentActivation: 'sigmoid',
    resetAfter: c.kind === 'gruAfter' ? true : c.kind === 'gruBefore' ? false : undefined,
    zeroOutputForMask: c.zeroOutputForMask,
    inputDropoutMask: c.dropout ? drop([B, I]) : null,
    recurrentDropoutMask: c.dropout ? drop([B, H]) : null,
  };
}

/** [B, T, I] rows with a single 1 at a random feature, one in ten all zeros (padding). */
function oneHotInput(rng: T.Rng, shape: number[], f64: boolean): Tensor {
  const [B, steps, I] = shape;
  const d = f64 ? new Float64Array(B * steps * I) : new Float32Array(B * steps * I);
  for (let r = 0; r < B * steps; r++) if (rng.next() >= 0.1) d[r * I + Math.floor(rng.next() * I)] = 1;
  return new Tensor(d, shape);
}

/** Output, final states, and the gradients of Σ output ⊙ R0 + Σ_k state_k ⊙ R_k. */
function runAll(args: BuiltinArgs, seed: number): { names: string[]; values: Tensor[] } {
  const wrt = [args.x, args.kernel, args.recurrentKernel, ...(args.bias ? [args.bias] : []), ...args.initialStates];
  const names = ['x', 'kernel', 'recurrentKernel', ...(args.bias ? ['bias'] : []), ...args.initialStates.map((_, k) => `initialStates[${k}]`)];
  let out: Tensor[] = [];
  const { grads } = A.gradients(() => {
    const r = fusedSequence(args);
    out = [r.output, ...r.states];
    const rng = new T.Rng(seed);
    let loss = A.sum(A.mul(r.output, uniform(rng, r.output.shape, r.output.dtype === 'float64')));
    for (const s of r.states) loss = A.add(loss, A.sum(A.mul(s, uniform(rng, s.shape, s.dtype === 'float64'))));
    return loss;
  }, wrt);
  return {
    names: ['output', ...out.slice(1).map((_, k) => `state[${k}]`), ...names.map((n) => `d${n}`)],
    values: [...out, ...grads],
  };
}

/** Largest |a - b| / max(1, |b|) over every value. */
function compare(one: { names: string[]; values: Tensor[] }, two: { names: string[]; values: Tensor[] }): { worst: number; where: string } {
  expect(two.names).toEqual(one.names);
  let worst = 0;
  let where = '';
  one.values.forEach((v, k) => {
    expect(two.values[k].shape).toEqual(v.shape);
    for (let i = 0; i < v.size; i++) {
      const e = v.data[i];
      const d = Math.abs(two.values[k].data[i] - e) / Math.max(1, Math.abs(e));
      if (!(d <= worst)) {
        worst = d;
        where = `${one.names[k]}[${i}]`;
      }
    }
  });
  return { worst, where };
}

function oneVsTwo(c: Config): void {
  const args = makeArgs(c);
  expect(oneHotRows(args.x.data, c.B, c.T, c.I, c.goBackwards) !== null).toBe(!!c.oneHot);
  T.setThreads(1);
  const one = runAll(args, c.seed + 1);
  expect(T.setThreads(2)).toBe(2);
  expect(splitParts(c.B, c.T, G[c.kind], c.H, rowsOf(c.kind))).toBe(2);
  const two = runAll(args, c.seed + 1);
  T.setThreads(1);
  const { worst, where } = compare(one, two);
  if (!(worst <= 1e-6)) throw new Error(`${JSON.stringify(c)}: 1 vs 2 threads differ by ${worst} at ${where}`);
  expect(worst).toBe(0); // bit-identical: same sums in the same order on either thread
}

const kinds: Kind[] = ['simpleRNN', 'lstm', 'gruAfter', 'gruBefore'];
const base: Omit<Config, 'kind'> = {
  B: 5, T: 7, I: 6, H: 8, f64: false, mask: false, goBackwards: false, returnSequences: false,
  zeroOutputForMask: false, initialStates: false, dropout: false, useBias: true, seed: 1,
};
const variants: [string, Partial<Config>][] = [
  ['plain, B = 5', {}],
  ['B = 101, returnSequences', { B: 101, returnSequences: true, seed: 2 }],
  ['mask, goBackwards, returnSequences', { mask: true, goBackwards: true, returnSequences: true, seed: 3 }],
  ['mask, zeroOutputForMask, initial states', { B: 9, mask: true, returnSequences: true, zeroOutputForMask: true, initialStates: true, seed: 4 }],
  ['dropout masks, initial states, goBackwards', { B: 7, dropout: true, initialStates: true, goBackwards: true, seed: 5 }],
  ['no bias, B = 2, float64', { B: 2, useBias: false, f64: true, initialStates: true, mask: true, seed: 6 }],
  ['B = 101, H = 33, everything', { B: 101, T: 5, H: 33, I: 10, mask: true, dropout: true, initialStates: true, returnSequences: true, seed: 7 }],
  ['one-hot input (row gather), mask, goBackwards, B = 37', { B: 37, I: 20, oneHot: true, mask: true, goBackwards: true, returnSequences: true, seed: 8 }],
];

test('row bands cover the batch in order, about two per thread, multiples of 4 rows where possible', () => {
  for (let B = 1; B <= 130; B++) {
    for (const parts of [2, 3]) {
      const b = Array.from(rowBands(B, parts));
      expect(b[0]).toBe(0);
      expect(b[b.length - 1]).toBe(B);
      for (let k = 0; k < b.length; k += 2) expect(b[k + 1]).toBeGreaterThan(b[k]);
      for (let k = 2; k < b.length; k += 2) expect(b[k]).toBe(b[k - 1]);
      if (B >= 16 * parts) expect(b[1] % 4).toBe(0);
    }
  }
  expect(Array.from(rowBands(100, 2))).toEqual([0, 28, 28, 56, 56, 84, 84, 100]);
  expect(Array.from(rowBands(32, 2))).toEqual([0, 16, 16, 32]);
});

/** Where each cell's rows are, under src/recurrent, and the row functions its compiled module exports. */
const ROWS: Record<Kind, [string, string, string[]]> = {
  simpleRNN: ['simple_rnn', 'rows.js', ['simpleRnnForwardRows', 'simpleRnnBackwardRows']],
  lstm: ['lstm', 'rows.js', ['lstmForwardRows', 'lstmBackwardRows']],
  gruAfter: ['gru', 'rows_reset_after.js', ['gruAfterForwardRows', 'gruAfterBackwardRows']],
  gruBefore: ['gru', 'rows_reset_before.js', ['gruBeforeForwardRows', 'gruBeforeBackwardRows']],
};

function rowsOf(kind: Kind): string | null {
  const [dir, file] = ROWS[kind];
  return compiledModule(dir, file);
}

test('the compiled modules the workers load are found, with the functions the kernels name', () => {
  expect(bandsModule()).toMatch(/dist[\\/]recurrent[\\/]fused[\\/]bands\.js$/);
  expect(Object.keys(require(bandsModule() as string))).toEqual(expect.arrayContaining(['runBands', 'columnSumsCols']));
  for (const kind of kinds) {
    const [dir, file, fns] = ROWS[kind];
    const at = rowsOf(kind) as string;
    expect(at.endsWith(path.join('dist', 'recurrent', dir, file))).toBe(true);
    const mod = require(at) as Record<string, unknown>;
    for (const fn of fns) expect(typeof mod[fn]).toBe('function');
  }
  expect(compiledModule('fused', 'no_such_module.js')).toBeNull();
});

describe.each(kinds)('%s: one thread vs two (batch split)', (kind) => {
  test.each(variants)('%s', (_name, v) => {
    oneVsTwo({ ...base, ...v, kind });
  });
});

test('the one-hot kernel gradient split by columns over 2 and 3 threads: the same dW and db bit for bit, and jobs posted', () => {
  const rng = new T.Rng(11);
  for (const [rows, I, cols, f64] of [[300, 20, 64, false], [97, 7, 30, true], [120, 5, 100, false], [50, 3, 9, false]] as [number, number, number, boolean][]) {
    const hot = new Int32Array(new SharedArrayBuffer(4 * rows));
    for (let r = 0; r < rows; r++) hot[r] = rng.next() < 0.1 ? -1 : Math.floor(rng.next() * I);
    const dG = f64 ? new Float64Array(new SharedArrayBuffer(8 * rows * cols)) : new Float32Array(new SharedArrayBuffer(4 * rows * cols));
    for (let i = 0; i < dG.length; i++) dG[i] = rng.uniform(-1, 1) * 10 ** Math.floor(rng.uniform(-3, 4));
    const make = () => (f64 ? new Float64Array(I * cols) : new Float32Array(I * cols));
    const bias = () => Float64Array.from({ length: cols }, (_, k) => k / 7);
    T.setThreads(1);
    const dW1 = make();
    const db1 = bias();
    oneHotKernelGrad(hot, dG, cols, dW1, db1);
    // the reference: the same float64 sums written out, row by row
    const ref = new Float64Array(I * cols);
    const refB = bias();
    const sums = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < cols; k++) {
        sums[k] += dG[r * cols + k];
        if (hot[r] >= 0) ref[hot[r] * cols + k] += dG[r * cols + k];
      }
    }
    for (let k = 0; k < cols; k++) refB[k] += sums[k];
    expect(Array.from(dW1)).toEqual(Array.from(f64 ? ref : Float32Array.from(ref)));
    expect(Array.from(db1)).toEqual(Array.from(refB));
    for (const threads of [2, 3]) {
      expect(T.setThreads(threads)).toBe(threads);
      const posted = T.poolJobsPosted();
      const dW = make();
      const db = bias();
      oneHotKernelGradSplit({ B: rows, parts: threads, rows: null }, hot, dG, cols, dW, db);
      // bands of whole multiples of 8 columns, at most one a thread; the calling thread takes the first
      const parts = Math.min(threads, Math.floor(cols / 8));
      const jobs = parts > 1 ? Math.ceil(cols / (Math.ceil(cols / parts / 8) * 8)) - 1 : 0;
      expect(T.poolJobsPosted() - posted).toBe(jobs);
      expect(Array.from(dW)).toEqual(Array.from(dW1));
      expect(Array.from(db)).toEqual(Array.from(db1));
      const dWnoBias = make();
      oneHotKernelGradSplit({ B: rows, parts: threads, rows: null }, hot, dG, cols, dWnoBias, null);
      expect(Array.from(dWnoBias)).toEqual(Array.from(dW1));
    }
  }
  T.setThreads(1);
});

test('a character model (one-hot -> LSTM -> Dense(softmax) on every step, cross-entropy from the logits) trains bit for bit the same on one, two and three threads', () => {
  // every split on: the time loops, the one-hot kernel gradient by columns, the softmax and the
  // loss rows by bands of rows (and the Dense GEMMs where large enough)
  const savedRows = T.setRowSplit(0);
  try {
    const [B, steps, V, H] = [20, 9, 17, 12];
    const rng = new T.Rng(21);
    const x = new Float32Array(B * steps * V);
    const y = new Float32Array(B * steps * V);
    for (let r = 0; r < B * steps; r++) {
      x[r * V + Math.floor(rng.next() * V)] = 1;
      y[r * V + Math.floor(rng.next() * V)] = 1;
    }
    const train = (threads: number) => {
      expect(T.setThreads(threads)).toBe(threads);
      setSeed(3);
      const m = new Sequential([new LSTM({ units: H, returnSequences: true, inputShape: [steps, V] }), new Dense({ units: V, activation: 'softmax' })]);
      m.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
      const losses = [0, 1, 2].map(() => m.trainOnBatch(new Tensor(x, [B, steps, V]), new Tensor(y, [B, steps, V])) as number);
      return { losses, weights: m.getWeights().map((w) => Array.from(w.data)) };
    };
    const one = train(1);
    for (const threads of [2, 3]) {
      const splits = T.rowSplits();
      const posted = T.poolJobsPosted();
      const many = train(threads);
      expect(T.rowSplits() - splits).toBeGreaterThanOrEqual(3 * 3); // softmax, loss, loss gradient each step
      expect(T.poolJobsPosted()).toBeGreaterThan(posted);
      expect(many.losses).toEqual(one.losses);
      many.weights.forEach((w, k) => expect({ threads, weight: k, values: w }).toEqual({ threads, weight: k, values: one.weights[k] }));
    }
  } finally {
    T.setRowSplit(savedRows);
    T.setThreads(1);
  }
});

test('a split whose worker fails is reported, and the next call works (the worker prints its error)', () => {
  // arrays that are not shared would be copied to the worker: runOnPool refuses them up front
  expect(T.setThreads(2)).toBe(2);
  expect(() => T.runOnPool(rowsOf('lstm') as string, 'lstmForwardRows', [{ gates: new Float32Array(4) }], () => undefined)).toThrow(/SharedArrayBuffer/);
  expect(() => T.runOnPool(rowsOf('lstm') as string, 'noSuchFunction', [{}], () => undefined)).toThrow(/worker thread failed/);
  const bands = { module: rowsOf('lstm'), fn: 'noSuchFunction', bands: new Int32Array(new SharedArrayBuffer(8)), counter: new Int32Array(new SharedArrayBuffer(4)) };
  bands.bands[1] = 1;
  expect(() => T.runOnPool(bandsModule() as string, 'runBands', [bands], () => undefined)).toThrow(/worker thread failed/);
  oneVsTwo({ ...base, kind: 'lstm', seed: 9 });
});
