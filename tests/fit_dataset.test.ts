/**
 * The datasets package's Dataset and textDatasetFromDirectory into the layers package's fit,
 * evaluate and predict (which read them as plain async iterables of batches).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { Dataset, TextVectorization, textDatasetFromDirectory } from '@seqlab/datasets';
import { Dense, Embedding, GRU, Sequential, setSeed } from '@seqlab/layers';

const weightsOf = (m: Sequential): number[][] => m.getWeights().map((w) => Array.from(w.data));

function sequenceModel(): Sequential {
  setSeed(7);
  const m = new Sequential([new GRU({ units: 4, inputShape: [5, 3] }), new Dense({ units: 1, activation: 'sigmoid' })]);
  m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return m;
}

test('Dataset.fromTensorSlices(...).batch(n) trains bit-identically to the arrays with shuffle off; repeat() with stepsPerEpoch', async () => {
  const x = T.randomNormal([45, 5, 3], 0, 1, { seed: 2 });
  const y = new Tensor(Float32Array.from({ length: 45 }, (_, i) => (x.data[i * 15] > 0 ? 1 : 0)), [45, 1]);
  const a = sequenceModel();
  const ha = await a.fit(x, y, { batchSize: 8, epochs: 2, shuffle: false, validationData: [x, y], verbose: 0 });
  const b = sequenceModel();
  const ds = Dataset.fromTensorSlices([x, y]).batch(8);
  expect(ds.cardinality()).toBe(6);
  const hb = await b.fit(ds, { epochs: 2, validationData: ds, verbose: 0 });
  expect(hb.history).toEqual(ha.history);
  expect(weightsOf(b)).toEqual(weightsOf(a));
  expect(await b.evaluate(ds)).toEqual(a.evaluate(x, y, { batchSize: 8 }));
  expect(Array.from(((await b.predict(ds.map(([bx]) => bx))) as Tensor).data)).toEqual(Array.from((a.predict(x, { batchSize: 8 }) as Tensor).data));
  // an endless shuffled stream needs stepsPerEpoch, and then trains
  const endless = Dataset.fromTensorSlices([x, y]).shuffle(45, { seed: 1 }).batch(8).repeat();
  await expect(b.fit(endless, { verbose: 0 })).rejects.toThrow('fit: the dataset never ends');
  const h = await b.fit(endless, { epochs: 3, stepsPerEpoch: 4, verbose: 0 });
  expect(h.history.loss).toHaveLength(3);
});

describe('textDatasetFromDirectory into fit, as seed 003 writes it', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-fitds-'));
    const good = ['a wonderful moving film', 'great acting and a fine story', 'loved it, superb', 'brilliant and funny'];
    const bad = ['an awful boring film', 'terrible acting, a dull story', 'hated it, dreadful', 'slow and pointless'];
    for (const [cls, texts] of [['neg', bad], ['pos', good]] as const) {
      fs.mkdirSync(path.join(dir, cls));
      for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(dir, cls, `${i}_${cls === 'pos' ? 8 : 2}.txt`), `${texts[i % 4]} <br /> number ${i}`);
    }
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function textModel(tv: TextVectorization): Sequential {
    setSeed(11);
    const m = new Sequential([tv, new Embedding({ inputDim: 50, outputDim: 4 }), new GRU({ units: 4 }), new Dense({ units: 1, activation: 'sigmoid' })]);
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    return m;
  }

  test('adapt on the text-only map, fit(trainDs, { validationData: valDs }) equals fit on the same texts as arrays', async () => {
    const options = { batchSize: 8, validationSplit: 0.2, seed: 123, shuffle: false, verbose: false } as const;
    const trainDs = await textDatasetFromDirectory(dir, { ...options, subset: 'training' });
    const valDs = await textDatasetFromDirectory(dir, { ...options, subset: 'validation' });
    expect([trainDs.cardinality(), valDs.cardinality()]).toEqual([4, 1]);
    const tv = new TextVectorization({ maxTokens: 50, outputSequenceLength: 6 });
    await tv.adapt(trainDs.map(([x]) => x as string[]));
    const a = textModel(tv);
    const hist = await a.fit(trainDs, { epochs: 2, validationData: valDs, verbose: 0 });
    expect(Object.keys(hist.history).sort()).toEqual(['accuracy', 'grad_norm', 'loss', 'val_accuracy', 'val_loss']);
    // the same texts and labels as arrays, in the same order (no shuffle), in the same batches
    const collect = async (ds: Dataset): Promise<[string[], Tensor]> => {
      const texts: string[] = [];
      const labels: number[] = [];
      for await (const [x, y] of ds as AsyncIterable<[string[], Tensor]>) {
        texts.push(...x);
        labels.push(...y.data);
      }
      return [texts, new Tensor(Float32Array.from(labels), [labels.length])];
    };
    const [tx, ty] = await collect(trainDs);
    const [vx, vy] = await collect(valDs);
    expect([tx.length, vx.length]).toEqual([32, 8]);
    const b = textModel(tv);
    const hb = await b.fit(tx as never, ty, { batchSize: 8, epochs: 2, shuffle: false, validationData: [tv.call(vx) as Tensor, vy], verbose: 0 });
    expect(hb.history).toEqual(hist.history);
    expect(weightsOf(b)).toEqual(weightsOf(a));
  });
});
