/**
 * Seed 003: raw review strings into a Sequential whose first layer is a TextVectorization
 * (from @seqlab/datasets, wrapped by @seqlab/layers without either importing the other).
 */
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { TextVectorization } from '@seqlab/datasets';
import { Dense, Embedding, Sequential, SimpleRNN, VectorizerLayer, setSeed } from '@seqlab/layers';

const texts = [
  'A wonderful film, moving and funny.',
  'Terrible plot; awful acting. A waste of time!',
  'I loved every minute of it',
  'Boring, slow and far too long',
];
const labels = T.tensor([[1], [0], [1], [0]]);

test("seed 003's stacked SimpleRNN model on raw text: 329,857 parameters, strings in, predictions out", async () => {
  setSeed(1);
  const tv = new TextVectorization({ maxTokens: 10000, outputSequenceLength: 100 });
  tv.adapt(texts);
  const model = new Sequential([
    tv,
    new Embedding({ inputDim: 10000, outputDim: 32, name: 'embedding' }),
    new SimpleRNN({ units: 64, returnSequences: true }),
    new SimpleRNN({ units: 32 }),
    new Dense({ units: 16, activation: 'relu' }),
    new Dense({ units: 1, activation: 'sigmoid' }),
  ]);
  expect(model.layers[0]).toBeInstanceOf(VectorizerLayer);
  expect(model.countParams()).toBe(329857);
  const rows = model.summaryText();
  // the long name wraps onto a second line, as in the seed's table ("text_vectorization_1 (TextVe")
  const i = rows.findIndex((r) => /^ text_vectorization\S* \(TextVe\S*\s+\(None, 100\)\s+0\s*$/.test(r));
  expect(i).toBeGreaterThan(0);
  expect(rows[i + 1]).toMatch(/ctorization\)/);
  expect(rows.some((r) => /embedding \(Embedding\)\s+\(None, 100, 32\)\s+320000/.test(r))).toBe(true);
  const p = model.predict(texts) as Tensor;
  expect(p.shape).toEqual([4, 1]);
  // the same as feeding ids vectorized beforehand
  expect(Array.from((model.predict(tv.call(texts)) as Tensor).data)).toEqual(Array.from(p.data));
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const h = await model.fit(texts, labels, { epochs: 2, batchSize: 2, verbose: 0 });
  expect(h.history.loss.length).toBe(2);
  expect(() => model.predict(['ok'] as string[]).toString()).not.toThrow();
});

test('strings for an input that no vectorizer reads are refused', () => {
  const m = new Sequential([new Dense({ units: 1, inputShape: [3] })]);
  expect(() => m.predict(['a', 'b'])).toThrow('received strings, but no text vectorizer reads that input');
});
