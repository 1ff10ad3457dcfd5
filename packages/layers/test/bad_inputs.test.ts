/**
 * The bad and unusual inputs of the robustness table, one reproducer each: every one is refused
 * before anything changes, with an error naming the caller (function or layer), the option, what
 * was expected and what came, or handled as Keras does. The model's weights are checked unchanged
 * after every refusal.
 */
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { firstNonFinite } from '../src/training/validate';
import {
  Adagrad, Adam, Add, Concatenate, Dense, Embedding, GRU, LSTM, Masking, RMSprop, SGD, Sequential, input, setSeed,
} from '@seqlab/layers';

function dense(loss = 'meanSquaredError'): Sequential {
  setSeed(1);
  const m = new Sequential([new Dense({ units: 1, inputShape: [2] })]);
  m.compile({ optimizer: 'sgd', loss });
  return m;
}

const x = T.tensor([[1, 2], [3, 4], [5, 6]]);
const y = T.tensor([[1], [0], [1]]);
const snapshot = (m: Sequential): number[][] => m.getWeights().map((w) => Array.from(w.data));

interface Case {
  row: string;
  what: string;
  /** The call: throws (sync or async) for a refusal. */
  run: (m: Sequential) => unknown;
  /** The error, or null for an input handled as Keras does. */
  error: RegExp | null;
}

const CASES: Case[] = [
  { row: '1', what: '+Infinity in x', run: (m) => m.fit(T.tensor([[1, Infinity], [3, 4], [5, 6]]), y, { verbose: 0 }), error: /^fit: input 0 must be finite, received Infinity at index \[0, 1\]/ },
  { row: '1', what: '-Infinity in validation x', run: (m) => m.fit(x, y, { verbose: 0, validationData: [T.tensor([[1, -Infinity]]), T.tensor([[1]])] }), error: /^fit \(validationData\): input 0 must be finite, received -Infinity/ },
  { row: '4', what: 'predict batchSize 0', run: (m) => m.predict(x, { batchSize: 0 }), error: /^predict: batchSize must be an integer >= 1, received 0/ },
  { row: '4', what: 'evaluate batchSize 0', run: (m) => m.evaluate(x, y, { batchSize: 0 }), error: /^evaluate: batchSize must be an integer >= 1, received 0/ },
  { row: '6', what: 'validationSplit 0.99 of 3 samples', run: (m) => m.fit(x, y, { verbose: 0, validationSplit: 0.99 }), error: /^fit: validationSplit 0.99 of 3 samples leaves 0 training samples/ },
  { row: '6', what: 'empty x', run: (m) => m.fit(T.zeros([0, 2]), T.zeros([0, 1]), { verbose: 0 }), error: /^fit: x has 0 samples/ },
  { row: '9', what: 'Infinity label, MSE', run: (m) => m.fit(x, T.tensor([[1], [Infinity], [0]]), { verbose: 0 }), error: /^fit: target 0 must be finite, received Infinity at index \[1, 0\]/ },
  { row: '9', what: 'Infinity label, MAE', run: (m) => m.evaluate(x, T.tensor([[1], [-Infinity], [0]])), error: /^evaluate: target 0 must be finite, received -Infinity/ },
  { row: '9', what: 'NaN sampleWeight', run: (m) => m.fit(x, y, { verbose: 0, sampleWeight: [1, NaN, 1] }), error: /^fit: sampleWeight must hold finite numbers >= 0, received NaN at position 1/ },
  { row: '9', what: 'NaN classWeight', run: (m) => m.fit(x, y, { verbose: 0, classWeight: { 0: NaN } }), error: /^fit: classWeight\[0\] must be a finite number >= 0, received NaN/ },
  ...[NaN, -1, 1.5].flatMap((bs): Case[] => [
    { row: '10', what: `predict batchSize ${bs}`, run: (m) => m.predict(x, { batchSize: bs }), error: new RegExp(`^predict: batchSize must be an integer >= 1, received ${bs}`) },
    { row: '10', what: `evaluate batchSize ${bs}`, run: (m) => m.evaluate(x, y, { batchSize: bs }), error: new RegExp(`^evaluate: batchSize must be an integer >= 1, received ${bs}`) },
  ]),
  { row: '10', what: "fit('hello')", run: (m) => m.fit('hello' as unknown as Tensor, y, { verbose: 0 }), error: /^fit: x must be a Tensor, a nested array of numbers, or integer ids with a shape \(as padSequences returns\), received 'hello'/ },
  { row: '10', what: "fit(x, 'hello')", run: (m) => m.fit(x, 'hello' as unknown as Tensor, { verbose: 0 }), error: /^fit: y must be a Tensor, .* received 'hello'/ },
  { row: '10', what: 'predict(42)', run: (m) => m.predict(42 as unknown as Tensor), error: /^predict: x must be a Tensor, .* received 42/ },
  { row: '10', what: 'ragged x', run: (m) => m.fit([[1, 2], [3]], [[1], [0]], { verbose: 0 }), error: /^fit: x is not a rectangular array of numbers: / },
  { row: '10', what: 'Concatenate shape mismatch', run: () => new Concatenate().apply([input({ shape: [3] }), input({ shape: [4, 2] })]), error: /^Concatenate 'concatenate\w*': inputs must match except on axis -1, received \[None, 3\] and \[None, 4, 2\]/ },
  { row: '10', what: 'Add shape mismatch', run: () => new Add().apply([input({ shape: [3] }), input({ shape: [4] })]), error: /^Add 'add\w*': inputs must have the same shape, received \[None, 3\] and \[None, 4\]/ },
  { row: '10', what: 'Dense 1e7 units on 200 features', run: () => new Sequential([new Dense({ units: 1e7, inputShape: [200] })]), error: /^Dense 'dense\w*': weight 'kernel' of shape \[200, ?10000000\] would hold 2,000,000,000 values \(7.5 GiB in float32\), more than the 268,435,456 one weight may hold; check the layer's sizes \(units/ },
  { row: '10', what: 'LSTM 1e7 units', run: () => new Sequential([new LSTM({ units: 1e7, inputShape: [5, 20] })]), error: /^LSTMCell '[\w/]*lstm_cell\w*': weight 'kernel' of shape \[20, ?40000000\] would hold 800,000,000 values/ },
  { row: '10', what: 'Embedding inputDim 1e9', run: () => new Sequential([new Embedding({ inputDim: 1e9, outputDim: 64, inputShape: [3] })]), error: /^Embedding 'embedding\w*': weight 'embeddings' of shape \[1000000000, ?64\]/ },
  { row: '10', what: 'GRU units 1.5', run: () => new GRU({ units: 1.5 }), error: /units must be a positive integer, received 1.5/ },
  ...[NaN, -1, 1.5].map((e): Case => ({ row: '12', what: `epochs ${e}`, run: (m) => m.fit(x, y, { verbose: 0, epochs: e }), error: new RegExp(`^fit: epochs must be an integer >= 0, received ${e}`) })),
  { row: '12', what: 'validationSplit NaN', run: (m) => m.fit(x, y, { verbose: 0, validationSplit: NaN }), error: /^fit: validationSplit must be a number in \[0, 1\), received NaN/ },
  { row: '12', what: 'SGD learningRate Infinity', run: () => new SGD({ learningRate: Infinity }), error: /^SGD: learningRate must be a finite number > 0, received Infinity/ },
  { row: '12', what: 'Adam learningRate NaN', run: () => new Adam({ learningRate: NaN }), error: /^Adam: learningRate must be a finite number > 0, received NaN/ },
  { row: '12', what: 'SGD momentum 5', run: () => new SGD({ momentum: 5 }), error: /^SGD: momentum must be a number in \[0, 1\], received 5/ },
  { row: '12', what: 'Adam beta1 2', run: () => new Adam({ beta1: 2 }), error: /^Adam: beta1 must be a number in \[0, 1\), received 2/ },
  { row: '12', what: 'Adam beta2 -0.1', run: () => new Adam({ beta2: -0.1 }), error: /^Adam: beta2 must be a number in \[0, 1\), received -0.1/ },
  { row: '12', what: 'Adam epsilon 0', run: () => new Adam({ epsilon: 0 }), error: /^Adam: epsilon must be a finite number > 0, received 0/ },
  { row: '12', what: 'RMSprop rho 1', run: () => new RMSprop({ rho: 1 }), error: /^RMSprop: rho must be a number in \[0, 1\), received 1/ },
  { row: '12', what: 'Adagrad initialAccumulatorValue -1', run: () => new Adagrad({ initialAccumulatorValue: -1 }), error: /^Adagrad: initialAccumulatorValue must be a finite number >= 0, received -1/ },
  { row: '12', what: 'SGD clipnorm Infinity', run: () => new SGD({ clipnorm: Infinity }), error: /^SGD: clipnorm must be a finite number > 0, received Infinity/ },
  { row: '16', what: 'Masking maskValue NaN', run: () => new Masking({ maskValue: NaN }), error: /^Masking 'masking\w*': maskValue must be a number other than NaN \(NaN never equals a value, so no step would be masked\), received NaN/ },
  // handled as Keras does
  { row: '12', what: 'SGD momentum 1 (Keras accepts [0, 1])', run: () => new SGD({ momentum: 1 }), error: null },
  { row: '16', what: 'Masking maskValue -Infinity (equal to itself)', run: () => new Masking({ maskValue: -Infinity }), error: null },
  { row: '11', what: 'padded int32 ids as model input', run: (m) => m.predict({ data: Int32Array.from([1, 2, 3, 4]), shape: [2, 2] }), error: null },
  { row: '10', what: 'int32 ids beyond 2^24 as model input', run: (m) => m.predict({ data: Int32Array.from([1, 2 ** 24 + 1]), shape: [1, 2] }), error: /^predict: x holds 16777217 at flat position 1, beyond 2\^24/ },
];

/** Runs a case; the error (sync or async) or null. */
async function outcome(c: Case, m: Sequential): Promise<Error | null> {
  try {
    await c.run(m);
    return null;
  } catch (e) {
    return e as Error;
  }
}

describe('each row of the table: refused by name before anything changes, or handled as Keras does', () => {
  test.each(CASES.map((c) => [`row ${c.row}: ${c.what}`, c] as const))('%s', async (_name, c) => {
    const m = dense();
    m.predict(x); // built
    const before = snapshot(m);
    const e = await outcome(c, m);
    if (c.error === null) expect(e).toBeNull();
    else {
      expect(e).toBeInstanceOf(Error);
      expect(e!.message).toMatch(c.error);
    }
    expect(snapshot(m)).toEqual(before);
  });
});

test('int32 ids feed a model exactly as the same float32 values do', () => {
  setSeed(3);
  const m = new Sequential([new Embedding({ inputDim: 10, outputDim: 3, inputShape: [4] }), new LSTM({ units: 2 })]);
  const ids = { data: Int32Array.from([0, 1, 2, 9, 5, 5, 0, 3]), shape: [2, 4] };
  const a = m.predict(ids) as Tensor;
  const b = m.predict(new Tensor(Float32Array.from(ids.data), [2, 4])) as Tensor;
  expect(Array.from(a.data)).toEqual(Array.from(b.data));
});

test('firstNonFinite finds the first NaN or infinity of float32, float64 and plain arrays, in any block, as a test per value does', () => {
  const reference = (d: ArrayLike<number>) => {
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return i;
    return -1;
  };
  const rng = new T.Rng(17);
  for (const n of [0, 1, 2, 3, 4095, 4096, 4097, 10_000]) {
    for (const make of [(k: number) => new Float32Array(k), (k: number) => new Float64Array(k), (k: number) => new Array<number>(k).fill(0)]) {
      const d = make(n);
      for (let i = 0; i < n; i++) d[i] = rng.uniform(-1e30, 1e30) * (rng.next() < 0.1 ? -0 : 1);
      expect(firstNonFinite(d)).toBe(-1);
      for (const bad of [NaN, Infinity, -Infinity]) {
        for (const at of n > 0 ? [0, n - 1, Math.floor(rng.next() * n)] : []) {
          const e = d.slice() as typeof d;
          e[at] = bad;
          if (n > 1 && rng.next() < 0.5) e[Math.min(n - 1, at + 1 + Math.floor(rng.next() * 5000))] = NaN; // a later one too
          expect({ n, at, bad, found: firstNonFinite(e) }).toEqual({ n, at, bad, found: reference(e) });
        }
      }
    }
  }
});
