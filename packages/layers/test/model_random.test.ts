/** Each model draws dropout and shuffles from its own generator: concurrent fits are reproducible. */
import * as T from '@seqlab/tensor';
import { Dense, Dropout, LSTM, Sequential, setSeed } from '@seqlab/layers';

function make(): Sequential {
  const m = new Sequential([new LSTM({ units: 4, dropout: 0.3, recurrentDropout: 0.2, inputShape: [5, 2] }), new Dropout({ rate: 0.5 }), new Dense({ units: 1 })]);
  m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  return m;
}

const x = T.randomNormal([24, 5, 2], 0, 1, { seed: 3 });
const y = T.randomNormal([24, 1], 0, 1, { seed: 4 });
const weightsOf = (m: Sequential): number[][] => m.getWeights().map((w) => Array.from(w.data));
const options = { verbose: 0 as const, epochs: 2, batchSize: 4, yieldEvery: 'batch' as const };

test('two models training at once end with the weights each gets training alone', async () => {
  setSeed(11);
  const a1 = make();
  const b1 = make();
  await a1.fit(x, y, options);
  await b1.fit(x, y, options);

  setSeed(11);
  const a2 = make();
  const b2 = make();
  // interleaved batch by batch: with one shared generator each fit would draw the other's masks
  await Promise.all([a2.fit(x, y, options), b2.fit(x, y, options)]);
  expect(weightsOf(a2)).toEqual(weightsOf(a1));
  expect(weightsOf(b2)).toEqual(weightsOf(b1));
  expect(weightsOf(a1)).not.toEqual(weightsOf(b1));
});

test("a model's generator comes from setSeed and the creation order, not from draws made elsewhere", async () => {
  setSeed(7);
  const first = make();
  await first.fit(x, y, options);
  setSeed(7);
  const again = make();
  new Dense({ units: 30 }).apply(T.zeros([1, 20])); // draws from the shared generator do not move the model's stream
  await again.fit(x, y, options);
  expect(weightsOf(again)).toEqual(weightsOf(first));
});
