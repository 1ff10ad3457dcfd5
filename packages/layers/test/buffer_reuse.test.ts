/**
 * The fused kernels take their step buffers and states from the buffer pool and give them back
 * after backward (or at once for inference): reused memory changes nothing. The same sequence's
 * outputs and gradients, computed with the pool off, then twice with it on around an inference
 * call and a sequence of another shape, are bit-identical, for every cell kind, on one thread and
 * split over two (where the shared copies of inputs, weights and masks come from the pool too).
 *
 * Split over two threads, a sequence and its backward make no new SharedArrayBuffer once the pool
 * holds what they use: a pool worker keeps every shared buffer it is handed alive until its own
 * collector runs (seldom), so buffers made per call piled up there (buffer_pool.ts). Counted by
 * wrapping the SharedArrayBuffer constructor, for every cell kind, a one-hot input, and every
 * gradient (the input's, the bias's and the initial states' are returned as plain copies).
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor, bufferPoolBytes, setBufferPoolLimit } from '@seqlab/tensor';
// the Node entry: it gives the pool's workers the compiled rows.js
import '../src/node';
import { setFusedSplit } from '../src/recurrent/fused/threads';
import { BuiltinArgs, fusedSequence } from './helpers/builtin_args';

jest.setTimeout(120_000);

type Kind = 'simpleRNN' | 'lstm' | 'gruAfter' | 'gruBefore';
const GATES: Record<Kind, number> = { simpleRNN: 1, lstm: 4, gruAfter: 3, gruBefore: 3 };

function uniform(rng: T.Rng, shape: number[], lo = -1, hi = 1): Tensor {
  const d = new Float32Array(T.sizeOf(shape));
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform(lo, hi);
  return new Tensor(d, shape);
}

/** A sequence of every feature at once: mask, dropout, initial states, returnSequences. */
function makeArgs(kind: Kind, B: number, steps: number, seed: number): BuiltinArgs {
  const rng = new T.Rng(seed);
  const [I, H, g] = [8, 32, GATES[kind]];
  const mask = new Tensor(Float32Array.from({ length: B * steps }, () => (rng.next() < 0.8 ? 1 : 0)), [B, steps]);
  const drop = (n: number, shape: number[]) => new Tensor(Float32Array.from({ length: n }, () => (rng.next() < 0.3 ? 0 : 1 / 0.7)), shape);
  return {
    kind: kind === 'gruAfter' || kind === 'gruBefore' ? 'gru' : kind,
    x: uniform(rng, [B, steps, I]),
    kernel: uniform(rng, [I, g * H], -0.5, 0.5),
    recurrentKernel: uniform(rng, [H, g * H], -0.5, 0.5),
    bias: uniform(rng, kind === 'gruAfter' ? [2, 3 * H] : [g * H], -0.3, 0.3),
    initialStates: Array.from({ length: kind === 'lstm' ? 2 : 1 }, () => uniform(rng, [B, H], -0.9, 0.9)),
    mask,
    goBackwards: false,
    returnSequences: true,
    activation: 'tanh',
    recurrentActivation: 'sigmoid',
    resetAfter: kind === 'gruAfter' ? true : kind === 'gruBefore' ? false : undefined,
    zeroOutputForMask: false,
    inputDropoutMask: drop(B * I, [B, I]),
    recurrentDropoutMask: drop(B * H, [B, H]),
  };
}

/** Output, final states and every gradient of Σ output ⊙ R + Σ states ⊙ R', as plain arrays. */
function run(args: BuiltinArgs): number[][] {
  return runTensors(args).map((t) => Array.from(t.data));
}

/** The same, as the tensors themselves. */
function runTensors(args: BuiltinArgs): Tensor[] {
  const wrt = [args.x, args.kernel, args.recurrentKernel, args.bias as Tensor, ...args.initialStates];
  let out: Tensor[] = [];
  const { grads } = A.gradients(() => {
    const r = fusedSequence(args);
    out = [r.output, ...r.states];
    const rng = new T.Rng(99);
    let loss = A.sum(A.mul(r.output, uniform(rng, r.output.shape)));
    for (const s of r.states) loss = A.add(loss, A.sum(A.mul(s, uniform(rng, s.shape))));
    return loss;
  }, wrt);
  return [...out, ...grads];
}

describe('buffer reuse in the fused kernels', () => {
  let saved: number;
  let split: { minRows: number; minWork: number };
  beforeAll(() => {
    saved = setBufferPoolLimit(0);
    // pool workers run the compiled dist/: built here so that it is these sources
    const root = path.join(__dirname, '..', '..', '..');
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', path.join(root, 'packages', 'layers')], { stdio: 'pipe' });
    split = setFusedSplit(2, 0);
  });
  afterAll(() => {
    setBufferPoolLimit(saved);
    setFusedSplit(split.minRows, split.minWork);
    T.setThreads(1);
  });

  test.each([
    ...(['lstm', 'gruAfter', 'gruBefore', 'simpleRNN'] as Kind[]).map((k) => [k, 1] as const),
    ...(['lstm', 'gruAfter', 'gruBefore', 'simpleRNN'] as Kind[]).map((k) => [k, 2] as const),
  ])('%s on %i thread(s): the same results with the pool off and on, around inference and another shape', (kind, threads) => {
    const args = makeArgs(kind, 32, 32, 5);
    T.setThreads(1);
    setBufferPoolLimit(0);
    const off = run(args);
    T.setThreads(threads);
    setBufferPoolLimit(256 * 1024 * 1024);
    const first = run(args);
    expect(bufferPoolBytes()).toBeGreaterThan(0); // the step buffers came back
    fusedSequence(makeArgs(kind, 32, 32, 6)); // inference: takes them, gives them back dirty
    run(makeArgs(kind, 24, 40, 7)); // another shape in between
    const again = run(args);
    for (const got of [first, again]) {
      got.forEach((values, k) => values.forEach((v, i) => {
        if (!Object.is(v, off[k][i])) throw new Error(`${kind}: tensor ${k} value ${i}: ${v} with the pool, ${off[k][i]} without`);
      }));
    }
  });

  test.each([
    ...(['lstm', 'gruAfter', 'gruBefore', 'simpleRNN'] as Kind[]).map((k) => [k, 1] as const),
    ...(['lstm', 'gruAfter', 'gruBefore', 'simpleRNN'] as Kind[]).map((k) => [k, 2] as const),
  ])('%s on %i thread(s): step buffers the loops write whole are taken unzeroed, and NaN left in the pool reaches nothing', (kind, threads) => {
    const [B, steps, I, H] = [32, 32, 8, 32];
    const args = makeArgs(kind, B, steps, 5);
    T.setThreads(1);
    setBufferPoolLimit(0);
    const off = run(args);
    T.setThreads(threads);
    setBufferPoolLimit(256 * 1024 * 1024);
    // every size of step buffer a loop writes (gates and their gradients, act(c), q_h, r ⊙ h, the
    // dropped states, the step-major input, the states), plain and shared, four of each, full of NaN
    const sizes = [...[GATES[kind] * H, 2 * H, H, I].map((w) => steps * B * w), (steps + 1) * B * H];
    const poisoned: T.DataArray[] = [];
    for (const n of sizes) {
      for (const shared of [null, T.sharedBuffer]) {
        for (let k = 0; k < 4; k++) poisoned.push(T.takeBuffer('float32', n, shared, false).fill(NaN));
      }
    }
    T.giveBack(...poisoned);
    const got = run(args);
    got.forEach((values, k) => values.forEach((v, i) => {
      if (!Object.is(v, off[k][i])) throw new Error(`${kind}: tensor ${k} value ${i}: ${v} after NaN in the pool, ${off[k][i]} without the pool`);
    }));
  });

  test.each(['lstm', 'gruAfter', 'gruBefore', 'simpleRNN'] as Kind[])('%s: the wasm workspace is taken unzeroed, and NaN in it (poison mode) reaches nothing, with masks, dropout, a one-hot input, backwards', (kind) => {
    T.setThreads(1);
    setBufferPoolLimit(256 * 1024 * 1024);
    expect(T.getKernels()).toBe('wasm');
    // a one-hot input (no input dropout: it takes the gather path), and a sequence run backwards
    const hot = { ...makeArgs(kind, 32, 32, 8), inputDropoutMask: null };
    const rng = new T.Rng(4);
    const I = 16;
    const ids = new Float32Array(32 * 32 * I);
    for (let r = 0; r < 32 * 32; r++) if (rng.next() < 0.9) ids[r * I + Math.floor(rng.next() * I)] = 1; // some rows all zeros
    hot.x = new Tensor(ids, [32, 32, I]);
    hot.kernel = uniform(rng, [I, GATES[kind] * 32], -0.5, 0.5);
    const backwards = { ...makeArgs(kind, 24, 20, 10), goBackwards: true };
    for (const args of [makeArgs(kind, 32, 32, 5), hot, backwards]) {
      const plain = run(args);
      const prev = T.setStepBufferMode('poison');
      let poisoned: number[][];
      try {
        poisoned = run(args);
      } finally {
        T.setStepBufferMode(prev);
      }
      poisoned.forEach((values, k) => values.forEach((v, i) => {
        if (!Object.is(v, plain[k][i])) throw new Error(`${kind}: tensor ${k} value ${i}: ${v} with the workspace full of NaN, ${plain[k][i]} without`);
      }));
    }
  });

  test.each(['lstm', 'gruAfter', 'gruBefore', 'simpleRNN'] as Kind[])('%s on two threads: returned outputs and gradients keep their values when the next sequence reuses the buffers', (kind) => {
    T.setThreads(2);
    setBufferPoolLimit(256 * 1024 * 1024);
    const kept = runTensors(makeArgs(kind, 32, 32, 5));
    const values = kept.map((t) => Array.from(t.data));
    run(makeArgs(kind, 32, 32, 9)); // the same shapes: every pooled buffer is taken again
    kept.forEach((t, k) => expect(Array.from(t.data)).toEqual(values[k]));
  });

  test.each(['lstm', 'gruAfter', 'gruBefore', 'simpleRNN'] as Kind[])('%s on two threads: no new shared buffer once the pool holds them', (kind) => {
    T.setThreads(2);
    setBufferPoolLimit(256 * 1024 * 1024);
    const masked = makeArgs(kind, 32, 32, 5);
    // a one-hot input (no input dropout: it takes the gather path)
    const hot = { ...makeArgs(kind, 32, 32, 8), inputDropoutMask: null };
    const rng = new T.Rng(4);
    const I = 16;
    const ids = new Float32Array(32 * 32 * I);
    for (let r = 0; r < 32 * 32; r++) ids[r * I + Math.floor(rng.next() * I)] = 1;
    hot.x = new Tensor(ids, [32, 32, I]);
    hot.kernel = uniform(rng, [I, GATES[kind] * 32], -0.5, 0.5);
    const Shared = globalThis.SharedArrayBuffer;
    let made = 0;
    class Counted extends Shared {
      // buffers made before still count as shared
      static [Symbol.hasInstance](x: unknown): boolean {
        return x instanceof Shared;
      }
      constructor(bytes: number) {
        super(bytes);
        made += bytes;
      }
    }
    for (const args of [masked, hot]) {
      run(args);
      fusedSequence(args); // inference
      made = 0;
      globalThis.SharedArrayBuffer = Counted as SharedArrayBufferConstructor;
      const posted = T.poolJobsPosted();
      try {
        run(args);
        fusedSequence(args);
      } finally {
        globalThis.SharedArrayBuffer = Shared;
      }
      expect(T.poolJobsPosted()).toBeGreaterThan(posted); // split, not on one thread
      expect({ kind, oneHot: args === hot, newSharedBytes: made }).toEqual({ kind, oneHot: args === hot, newSharedBytes: 0 });
    }
  });
});
