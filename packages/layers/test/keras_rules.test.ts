/** Keras rules at the edges: 'accuracy' picked by the loss object or the shapes; learning_rate in history. */
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import {
  Add, Concatenate, Dense, Embedding, Flatten, LSTM, Model, ReduceLROnPlateau, SGD, Sequential, SymbolicTensor, attachMask, binaryCrossentropy, categoricalCrossentropy,
  input, maskOf, setSeed, sparseCategoricalCrossentropy,
} from '@seqlab/layers';
import { maxAbsDiff } from '../../../tests/support';

/** The share of rows whose argmax is the label. */
function trueAccuracy(p: Tensor, labels: number[]): number {
  const k = p.shape[1];
  let hit = 0;
  labels.forEach((y, i) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (p.data[i * k + j] > p.data[i * k + best]) best = j;
    if (best === y) hit++;
  });
  return hit / labels.length;
}

const x = T.tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [2, 0, 1], [0, 3, 1], [1, 2, 0], [0, 0, 0]]);
const labels = [0, 1, 2, 3, 0, 1, 2, 3];

function model(loss: Parameters<Sequential['compile']>[0]['loss']): Sequential {
  setSeed(4);
  const m = new Sequential([new Dense({ units: 4, inputShape: [3] })]);
  m.compile({ optimizer: 'sgd', loss, metrics: ['accuracy'] });
  return m;
}

describe("metrics: ['accuracy']", () => {
  test('with a loss object (sparse, from logits): sparse categorical accuracy, not binary', () => {
    const m = model(sparseCategoricalCrossentropy({ fromLogits: true }));
    const got = m.evaluate(x, T.tensor(labels), { returnDict: true }) as Record<string, number>;
    expect(got.accuracy).toBeCloseTo(trueAccuracy(m.predict(x) as Tensor, labels), 6);
  });

  test('with a loss object (categorical, one-hot labels)', () => {
    const m = model(categoricalCrossentropy({ fromLogits: true }));
    const oneHot = T.tensor(labels.map((y) => [0, 1, 2, 3].map((j) => (j === y ? 1 : 0))));
    const got = m.evaluate(x, oneHot, { returnDict: true }) as Record<string, number>;
    expect(got.accuracy).toBeCloseTo(trueAccuracy(m.predict(x) as Tensor, labels), 6);
  });

  test('with a custom loss function: by the shapes (sparse labels [n] against [n, 4])', () => {
    const custom = (y: Tensor, p: Tensor): Tensor => A.mean(A.square(A.sub(p, A.reshape(y, [-1, 1]))), -1);
    const m = model(custom);
    const got = m.evaluate(x, T.tensor(labels), { returnDict: true }) as Record<string, number>;
    expect(got.accuracy).toBeCloseTo(trueAccuracy(m.predict(x) as Tensor, labels), 6);
  });

  test('one output per row: binary accuracy (threshold 0.5), also for a binary loss object', () => {
    setSeed(4);
    const m = new Sequential([new Dense({ units: 1, activation: 'sigmoid', inputShape: [3] })]);
    m.compile({ optimizer: 'sgd', loss: binaryCrossentropy(), metrics: ['accuracy'] });
    const y = T.tensor([[1], [0], [1], [1], [0], [0], [1], [0]]);
    const p = m.predict(x) as Tensor;
    const expected = Array.from(p.data).filter((v, i) => (v > 0.5 ? 1 : 0) === y.data[i]).length / 8;
    expect((m.evaluate(x, y, { returnDict: true }) as Record<string, number>).accuracy).toBeCloseTo(expected, 6);
    // the loss object's kind is known: its labels are checked as for the named loss
    expect(() => m.evaluate(x, T.tensor([[2], [0], [1], [1], [0], [0], [1], [0]]))).toThrow(/evaluate: binaryCrossentropy needs labels in \[0, 1\], received 2/);
  });
});

test('history has learning_rate, as ReduceLROnPlateau logs it (History runs after the user callbacks, as in Keras)', async () => {
  setSeed(1);
  const m = new Sequential([new Dense({ units: 1, inputShape: [1] })]);
  m.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss: 'meanSquaredError' });
  const h = await m.fit(T.tensor([[1], [2]]), T.tensor([[3], [5]]), {
    verbose: 0,
    epochs: 4,
    shuffle: false,
    callbacks: [new ReduceLROnPlateau({ monitor: 'loss', patience: 0, factor: 0.5, minDelta: 1e9 })],
  });
  // the rate used during each epoch: the first epoch improves on Infinity, then every epoch without a 1e9 improvement halves it
  expect(h.history.learning_rate).toEqual([0.01, 0.01, 0.005, 0.0025]);
});

describe('Concatenate and Add keep the mask (Keras: joined along time, else ANDed)', () => {
  function merged(kind: 'concat' | 'add' | 'time'): Model {
    setSeed(6);
    const ids = input({ shape: [null] });
    const a = new Embedding({ inputDim: 10, outputDim: 3, maskZero: true }).apply(ids) as SymbolicTensor;
    const b = new Embedding({ inputDim: 10, outputDim: 3, maskZero: true }).apply(ids) as SymbolicTensor;
    const joined = (kind === 'add' ? new Add() : new Concatenate({ axis: kind === 'time' ? 1 : -1 })).apply([a, b]) as SymbolicTensor;
    return new Model({ inputs: ids, outputs: new LSTM({ units: 2 }).apply(joined) as SymbolicTensor });
  }

  test.each(['concat', 'add'] as const)('%s: a post-padded sequence gives the unpadded output', (kind) => {
    const m = merged(kind);
    const padded = m.predict(T.tensor([[3, 4, 7, 0, 0]])) as Tensor;
    const plain = m.predict(T.tensor([[3, 4, 7]])) as Tensor;
    expect(maxAbsDiff(padded, plain)).toBeLessThan(1e-6);
  });

  test('concatenated along time: the masks are concatenated', () => {
    const m = merged('time');
    const padded = m.predict(T.tensor([[3, 4, 0]])) as Tensor; // [3, 4, pad, 3, 4, pad] along time
    const a = new Concatenate({ axis: 1 });
    const x1 = attachMask(T.ones([1, 2, 1]), T.tensor([[1, 0]]));
    const x2 = T.ones([1, 3, 1]);
    expect(Array.from(maskOf(a.apply([x1, x2]) as Tensor)!.data)).toEqual([1, 0, 1, 1, 1]);
    expect(padded.data.every(Number.isFinite)).toBe(true);
  });
});

describe('a Sequential without an input shape (Keras without input_length)', () => {
  test('accepts any sequence length after the first batch', () => {
    setSeed(8);
    const m = new Sequential([new Embedding({ inputDim: 10, outputDim: 3 }), new LSTM({ units: 2 })]);
    const five = m.predict(T.tensor([[1, 2, 3, 4, 5]])) as Tensor;
    expect(m.inputs[0].shape).toEqual([null, null]);
    const seven = m.predict(T.tensor([[1, 2, 3, 4, 5, 6, 7], [7, 6, 5, 4, 3, 2, 1]])) as Tensor;
    expect(seven.shape).toEqual([2, 2]);
    // the same weights on the longer batch's first five steps give the five-step output
    expect(maxAbsDiff(m.predict(T.tensor([[1, 2, 3, 4, 5]])) as Tensor, five)).toBe(0);
  });

  test('keeps the first length when a layer needs it (Flatten then Dense)', () => {
    setSeed(8);
    const m = new Sequential([new Embedding({ inputDim: 10, outputDim: 3 }), new Flatten(), new Dense({ units: 1 })]);
    expect((m.predict(T.tensor([[1, 2, 3, 4]])) as Tensor).shape).toEqual([1, 1]);
    expect(m.inputs[0].shape).toEqual([null, 4]);
    expect(() => m.predict(T.tensor([[1, 2, 3]]))).toThrow(/expected input/);
  });

  const ids = (n: number, rows = 1): Tensor => T.tensor(Array.from({ length: rows }, (_, r) => Array.from({ length: n }, (_, i) => ((i + r) % 9) + 1)));
  const embedLstm = (): Sequential => new Sequential([new Embedding({ inputDim: 10, outputDim: 3 }), new LSTM({ units: 2 })]);
  const functionalEmbedLstm = (): Model => {
    const x = input({ shape: [null] });
    return new Model({ inputs: x, outputs: new LSTM({ units: 2 }).apply(new Embedding({ inputDim: 10, outputDim: 3 }).apply(x) as SymbolicTensor) as SymbolicTensor });
  };

  test.each([
    ['a nested Sequential without an input shape', embedLstm],
    ['a functional Model whose input leaves the length open', functionalEmbedLstm],
  ])('the first layer is itself a model: %s; any length, the same output as the inner model alone', (_what, makeInner) => {
    setSeed(8);
    const inner = makeInner();
    const m = new Sequential([inner]);
    const five = m.predict(ids(5)) as Tensor;
    expect(m.inputs[0].shape).toEqual([null, null]);
    const nine = m.predict(ids(9, 2)) as Tensor;
    expect(nine.shape).toEqual([2, 2]);
    expect(maxAbsDiff(five, inner.predict(ids(5)) as Tensor)).toBe(0);
    expect(maxAbsDiff(nine, inner.predict(ids(9, 2)) as Tensor)).toBe(0);
  });

  test('a nested model first, fit on one length then another (and a Dense after it)', async () => {
    setSeed(8);
    const inner = new Sequential([new Sequential([new Embedding({ inputDim: 10, outputDim: 3 })]), new LSTM({ units: 2 })]); // nested twice
    const m = new Sequential([inner, new Dense({ units: 1, activation: 'sigmoid' })]);
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const h5 = await m.fit(ids(5, 4), T.tensor([[0], [1], [0], [1]]), { verbose: 0, epochs: 2 });
    const h9 = await m.fit(ids(9, 4), T.tensor([[1], [0], [1], [0]]), { verbose: 0, epochs: 2 });
    expect([...(h5.history.loss as number[]), ...(h9.history.loss as number[])].every(Number.isFinite)).toBe(true);
    expect(m.inputs[0].shape).toEqual([null, null]);
    expect((m.predict(ids(7)) as Tensor).shape).toEqual([1, 1]);
  });

  test('a mask still crosses a nested model declaring no input, now at any length', () => {
    setSeed(9);
    const m = new Sequential([new Sequential([new Embedding({ inputDim: 10, outputDim: 3, maskZero: true })]), new LSTM({ units: 2 })]);
    const padded = m.predict(T.tensor([[3, 4, 7, 0, 0]])) as Tensor;
    const plain = m.predict(T.tensor([[3, 4, 7]])) as Tensor;
    expect(maxAbsDiff(padded, plain)).toBeLessThan(1e-6);
  });

  test('a nested model that needs the length (Flatten then Dense) keeps the first one', () => {
    setSeed(8);
    const m = new Sequential([new Sequential([new Embedding({ inputDim: 10, outputDim: 3 }), new Flatten(), new Dense({ units: 1 })])]);
    expect((m.predict(ids(4)) as Tensor).shape).toEqual([1, 1]);
    expect(m.inputs[0].shape).toEqual([null, 4]);
    expect(() => m.predict(ids(3))).toThrow(/expected input/);
  });

  test('a nested model with a fixed length keeps it', () => {
    setSeed(8);
    const x = input({ shape: [5] });
    const inner = new Model({ inputs: x, outputs: new LSTM({ units: 2 }).apply(new Embedding({ inputDim: 10, outputDim: 3 }).apply(x) as SymbolicTensor) as SymbolicTensor });
    const m = new Sequential([inner]);
    expect((m.predict(ids(5)) as Tensor).shape).toEqual([1, 2]);
    expect(() => m.predict(ids(9))).toThrow(/expected input \[batch, 5\], received \[1, 9\]/);
  });
});

test('a mask crosses the boundary of a nested Sequential or Model (Keras passes it on)', () => {
  setSeed(9);
  const embed = new Sequential([new Embedding({ inputDim: 10, outputDim: 3, maskZero: true, inputShape: [null] })]);
  const outer = new Sequential([embed, new LSTM({ units: 2 })]);
  outer.build([null, null]);
  const padded = outer.predict(T.tensor([[3, 4, 7, 0, 0]])) as Tensor;
  const plain = outer.predict(T.tensor([[3, 4, 7]])) as Tensor;
  expect(maxAbsDiff(padded, plain)).toBeLessThan(1e-6);
  // and through a functional model used as a layer
  const ids = input({ shape: [null] });
  const inner = new Model({ inputs: ids, outputs: embed.apply(ids) as SymbolicTensor });
  const ids2 = input({ shape: [null] });
  const m = new Model({ inputs: ids2, outputs: new LSTM({ units: 2 }).apply(inner.apply(ids2) as SymbolicTensor) as SymbolicTensor });
  expect(maxAbsDiff(m.predict(T.tensor([[3, 4, 7, 0, 0]])) as Tensor, m.predict(T.tensor([[3, 4, 7]])) as Tensor)).toBeLessThan(1e-6);
});
