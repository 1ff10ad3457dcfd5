/**
 * Step buffers in training and evaluation (tensor's step_buffers.ts, trainer.ts `trainStep`,
 * evaluator.ts `evalBatch`): the embedding's rows, the Dense layers' products, the loss's arrays, the
 * recurrent output sequences and all their gradients live for one step and then go back to the
 * buffer pool. Recycling changes nothing: losses, metrics, carried states and weights over several
 * steps of `fit`, `trainOnBatch` and `evaluate` are bit-identical with every step buffer new
 * ('fresh'), with them recycled ('reuse'), and recycled full of NaN ('poison', which also shows a
 * buffer taken unzeroed and not overwritten whole), on one thread and with the recurrent loops
 * split over two.
 * What a user can still hold is never recycled: predictions handed to a metric (which may keep
 * them), `predict`'s output, a stateful layer's states.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import * as T from '@seqlab/tensor';
import { StepBufferMode, Tensor, setStepBufferMode } from '@seqlab/tensor';
import { Adam, Dense, Embedding, GRU, LSTM, Metric, Sequential, setSeed } from '@seqlab/layers';
// the Node entry: it gives the pool's workers the compiled rows.js
import '../src/node';
import { setFusedSplit } from '../src/recurrent/fused/threads';

jest.setTimeout(120_000);

// sizes above the pool's least (POOL_MIN_VALUES = 32768 values): rows [16, 40, 64], table [600, 64], characters [16, 40, 65]
const [B, L, V, E, H, C] = [16, 40, 600, 64, 32, 65];

/** Ids [n, L], each row padded with 0 in front to a random length (as pad_sequences). */
function ids(n: number, seed: number): Tensor {
  const rng = new T.Rng(seed);
  const out = new Float32Array(n * L);
  for (let b = 0; b < n; b++) {
    const pad = Math.floor(rng.next() * L * 0.5);
    for (let t = pad; t < L; t++) out[b * L + t] = 1 + Math.floor(rng.next() * (V - 1));
  }
  return new Tensor(out, [n, L]);
}

function labels(n: number, seed: number): Tensor {
  const rng = new T.Rng(seed);
  return new Tensor(Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? 0 : 1)), [n, 1]);
}

/**
 * Embedding (maskZero) -> LSTM (the whole sequence, masked) -> LSTM -> Dense(1, sigmoid), as the
 * IMDb case with a second recurrent layer; stateful with a fixed batch when asked.
 */
function imdbLike(stateful: boolean): Sequential {
  setSeed(7);
  const model = new Sequential([
    new Embedding({ inputDim: V, outputDim: E, maskZero: true, ...(stateful ? { batchInputShape: [B, L] } : { inputLength: L }) }),
    new LSTM({ units: E, stateful, returnSequences: true }),
    new LSTM({ units: H, stateful, dropout: 0.2 }),
    new Dense({ units: 1, activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'binaryCrossentropy', metrics: ['accuracy', 'auc'] });
  return model;
}

/** One-hot characters [n, L, C] and the one-hot next characters. */
function chars(n: number, seed: number): [Tensor, Tensor] {
  const rng = new T.Rng(seed);
  const x = new Float32Array(n * L * C);
  const y = new Float32Array(n * L * C);
  for (let r = 0; r < n * L; r++) {
    x[r * C + Math.floor(rng.next() * C)] = 1;
    y[r * C + Math.floor(rng.next() * C)] = 1;
  }
  return [new Tensor(x, [n, L, C]), new Tensor(y, [n, L, C])];
}

/** One-hot characters -> GRU or LSTM (returnSequences) -> Dense(C, softmax), as the char-model case. */
function charLike(cell: 'LSTM' | 'GRU'): Sequential {
  setSeed(8);
  const rnn = { units: E, returnSequences: true, inputShape: [L, C] };
  const model = new Sequential([cell === 'LSTM' ? new LSTM(rnn) : new GRU({ ...rnn, resetAfter: false }), new Dense({ units: C, activation: 'softmax' })]);
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

type Kind = 'imdb' | 'imdb stateful' | 'char LSTM' | 'char GRU';

/** The model of a kind, and its n samples of data from `seed`. */
function setupOf(kind: Kind): { model: Sequential; data: (n: number, seed: number) => [Tensor, Tensor] } {
  if (kind === 'char LSTM' || kind === 'char GRU') return { model: charLike(kind === 'char LSTM' ? 'LSTM' : 'GRU'), data: chars };
  return { model: imdbLike(kind === 'imdb stateful'), data: (n, seed) => [ids(n, seed), labels(n, seed + 1)] };
}

/** Every number a short training run produces: fit's history, trainOnBatch's results, carried states, final weights. */
async function train(mode: StepBufferMode, kind: Kind): Promise<number[][]> {
  const prev = setStepBufferMode(mode);
  try {
    const { model, data } = setupOf(kind);
    const stateful = kind === 'imdb stateful';
    const [x, y] = data(3 * B, 1);
    const h = await model.fit(x, y, { batchSize: B, epochs: 2, shuffle: !stateful, seed: 3, verbose: 0 });
    const out: number[][] = Object.keys(h.history).sort().map((k) => h.history[k] as number[]);
    for (let s = 0; s < 3; s++) {
      const r = model.trainOnBatch(...data(B, 10 + 2 * s));
      out.push(Array.isArray(r) ? r : [r]);
    }
    const e = model.evaluate(...data(2 * B, 30), { batchSize: B });
    out.push(Array.isArray(e) ? e : [e]);
    if (stateful) for (const l of model.layers) if (l instanceof LSTM) out.push(...l.getStates().map((t) => Array.from(t.data)));
    out.push(...model.getWeights().map((w) => Array.from(w.data)));
    return out;
  } finally {
    setStepBufferMode(prev);
  }
}

function expectSame(got: number[][], want: number[][], what: string): void {
  expect(got.length).toBe(want.length);
  got.forEach((values, k) => {
    expect(values.length).toBe(want[k].length);
    values.forEach((v, i) => {
      if (!Object.is(v, want[k][i])) throw new Error(`${what}: series ${k} value ${i}: ${v}, ${want[k][i]} with every step buffer new`);
    });
  });
}

/** Throws naming the first value of `t` that is not `values`' (expect's diff of 40,960 values would bury it). */
function expectUnchanged(t: Tensor, values: number[], what: string): void {
  const i = values.findIndex((v, k) => !Object.is(v, t.data[k]));
  if (i >= 0) throw new Error(`${what}: value ${i} is ${t.data[i]}, was ${values[i]}`);
}

/** A metric that keeps every prediction it is handed, and a copy of its values at the time. */
class KeepingMetric implements Metric {
  readonly name = 'kept';
  readonly kept: { t: Tensor; values: number[] }[] = [];
  reset(): void {}
  update(_yTrue: Tensor, yPred: Tensor): void {
    this.kept.push({ t: yPred, values: Array.from(yPred.data) });
  }
  result(): number {
    return this.kept.length;
  }
}

describe('step buffers in training', () => {
  let split: { minRows: number; minWork: number };
  beforeAll(() => {
    // pool workers run the compiled dist/: built here so that it is these sources
    const root = path.join(__dirname, '..', '..', '..');
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', path.join(root, 'packages', 'layers')], { stdio: 'pipe' });
    split = setFusedSplit(2, 0);
  });
  afterAll(() => {
    setFusedSplit(split.minRows, split.minWork);
    T.setThreads(1);
  });

  test.each(([1, 2] as const).flatMap((threads) => (['imdb', 'imdb stateful', 'char LSTM', 'char GRU'] as Kind[]).map((kind) => [kind, threads] as const)))(
    '%s on %i thread(s): losses, metrics, states and weights the same with step buffers new, recycled and poisoned',
    async (kind, threads) => {
      T.setThreads(threads);
      const fresh = await train('fresh', kind);
      expectSame(await train('reuse', kind), fresh, 'reuse');
      expectSame(await train('poison', kind), fresh, 'poison');
    },
  );

  test.each(['imdb', 'char LSTM'] as Kind[])('%s: the large arrays of a step are recycled: later steps make no new float array of their sizes', async (kind) => {
    T.setThreads(1);
    const { model, data } = setupOf(kind);
    const [x, y] = data(B, 1);
    model.trainOnBatch(x, y);
    // imdb: the rows and the recurrent input gradient, the table's gradient; char: the output sequence, the Dense products, softmax, loss and their gradients
    const sizes = new Set(kind === 'imdb' ? [B * L * E, V * E] : [B * L * E, B * L * C]);
    const Base = globalThis.Float32Array;
    let made = 0;
    class Counted extends Base {
      static [Symbol.hasInstance](v: unknown): boolean {
        return v instanceof Base;
      }
      constructor(...args: unknown[]) {
        super(...(args as [number]));
        if (typeof args[0] === 'number' && sizes.has(args[0])) made++;
      }
    }
    Object.defineProperty(Counted, 'name', { value: 'Float32Array' }); // the pool files buffers by their constructor's name
    globalThis.Float32Array = Counted as unknown as Float32ArrayConstructor;
    try {
      model.trainOnBatch(x, y);
      model.trainOnBatch(x, y);
    } finally {
      globalThis.Float32Array = Base;
    }
    expect(made).toBe(0);
  });

  test('predictions handed to a metric, predict output and carried states keep their values while later steps recycle step buffers full of NaN', async () => {
    const prev = setStepBufferMode('poison');
    try {
      T.setThreads(1);
      // the model's output is the embedding's rows: the predictions are step buffers until the trainer keeps them
      setSeed(3);
      const keeping = new KeepingMetric();
      const model = new Sequential([new Embedding({ inputDim: V, outputDim: E, inputLength: L })]);
      model.compile({ optimizer: 'adam', loss: 'mse', metrics: [keeping] });
      const x = ids(2 * B, 4);
      const y = T.randomNormal([2 * B, L, E], 0, 0.1, { seed: 5 });
      const predicted = model.predict(x) as Tensor;
      const predictedValues = Array.from(predicted.data);
      await model.fit(x, y, { batchSize: B, epochs: 2, verbose: 0 });
      model.evaluate(x, y, { batchSize: B });
      model.trainOnBatch(T.slice(x, [0], [B]), T.slice(y, [0], [B]));
      expect(keeping.kept.length).toBe(7);
      // held across later steps (training and evaluation), each of which recycled (and poisoned) the step buffers of this size
      keeping.kept.forEach((k, i) => expectUnchanged(k.t, k.values, `predictions of step ${i + 1}, kept by a metric`));
      expectUnchanged(predicted, predictedValues, 'predict output');

      const stateful = imdbLike(true);
      stateful.trainOnBatch(ids(B, 6), labels(B, 7));
      const lstm = stateful.layers[2] as LSTM;
      const held = lstm.getStates();
      const heldValues = held.map((t) => Array.from(t.data));
      stateful.trainOnBatch(ids(B, 8), labels(B, 9));
      held.forEach((t, k) => expectUnchanged(t, heldValues[k], `carried state ${k}`));
    } finally {
      setStepBufferMode(prev);
    }
  });
});
