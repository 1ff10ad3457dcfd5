/**
 * The TensorFlow.js layers format, held to TensorFlow.js itself (cpu backend): models written by
 * `saveTfjsModel` load in `tf.loadLayersModel` and predict within 1e-5 of seqlab on random inputs
 * with masks; `loadTfjsModel` reads them back bit-identically, and reads models built and saved
 * by TensorFlow.js (its defaults: hard_sigmoid, VarianceScaling) and the Python converter's naming.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-var-requires */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import * as L from '@seqlab/layers';
import { maxAbsDiff, postPaddedFloats, postPaddedIds, randomizeWeights, tfjsDirectoryReader, tfjsDirectoryWriter } from '../support';

const tf = require('@tensorflow/tfjs');
tf.env().set('IS_TEST', true);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-tfjs-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
  L.setSeed(21);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const rng = new T.Rng(13);

async function tfPredict(dir: string, xs: Tensor[]): Promise<Float32Array[]> {
  const m = await tf.loadLayersModel(tfjsDirectoryReader(dir));
  const ins = xs.map((x) => tf.tensor(Array.from(x.data), x.shape));
  const out = m.predict(ins.length === 1 ? ins[0] : ins);
  const list = Array.isArray(out) ? out : [out];
  return list.map((o: any) => o.dataSync() as Float32Array);
}

/** seqlab -> directory -> tf.loadLayersModel (within 1e-5) and -> loadTfjsModel (bit-identical). */
async function checkBothWays(model: L.Model, xs: Tensor[], name: string): Promise<number> {
  const dir = path.join(tmp, name);
  const { warnings } = await L.saveTfjsModel(model, dir);
  expect(warnings).toEqual([]);
  const ours = model.predict(xs.length === 1 ? xs[0] : xs);
  const list = Array.isArray(ours) ? ours : [ours];
  const theirs = await tfPredict(dir, xs);
  let worst = 0;
  list.forEach((o, i) => {
    const d = maxAbsDiff(o.data, theirs[i]);
    worst = Math.max(worst, d);
    expect([name, i, d <= 1e-5]).toEqual([name, i, true]);
  });
  const back = await L.loadTfjsModel(dir);
  const again = back.predict(xs.length === 1 ? xs[0] : xs);
  (Array.isArray(again) ? again : [again]).forEach((o, i) => expect(Array.from(o.data)).toEqual(Array.from(list[i].data)));
  return worst;
}

describe('TensorFlow.js layers format', () => {
  test('Embedding with mask, LSTM, GRU (resetAfter false), Dense: tfjs predicts the same', async () => {
    const model = new L.Sequential([
      new L.Embedding({ inputDim: 30, outputDim: 5, maskZero: true, inputLength: 7 }),
      new L.LSTM({ units: 4, returnSequences: true }),
      new L.GRU({ units: 3, resetAfter: false }),
      new L.Dense({ units: 2, activation: 'softmax' }),
    ]);
    randomizeWeights(model, rng);
    await checkBothWays(model, [postPaddedIds(rng, 6, 7, 30)], 'lstm_gru');
  });

  test('Masking, SimpleRNN, TimeDistributed(Dense), BatchNormalization, Dropout, Bidirectional LSTM, hard_sigmoid_keras2', async () => {
    const model = new L.Sequential([
      new L.Masking({ maskValue: 0, inputShape: [6, 3] }),
      new L.SimpleRNN({ units: 4, returnSequences: true }),
      new L.TimeDistributed({ layer: new L.Dense({ units: 3, activation: 'relu' }) }),
      new L.BatchNormalization(),
      new L.Dropout({ rate: 0.4 }),
      new L.Bidirectional({ layer: new L.LSTM({ units: 3, recurrentActivation: 'hard_sigmoid_keras2' }), mergeMode: 'ave' }),
      new L.Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    randomizeWeights(model, rng);
    await checkBothWays(model, [postPaddedFloats(rng, 5, 6, 3)], 'masking_bidi');
  });

  test('a functional model: two inputs, shared Dense, Concatenate, Add, GRU into RepeatVector, a nested Sequential', async () => {
    const a = L.input({ shape: [5, 3], name: 'a' });
    const b = L.input({ shape: [5, 3], name: 'b' });
    const shared = new L.Dense({ units: 4, activation: 'tanh' });
    const sa = shared.apply(a) as L.SymbolicTensor;
    const sb = shared.apply(b) as L.SymbolicTensor;
    const sum = new L.Add().apply([sa, sb]) as L.SymbolicTensor;
    const cat = new L.Concatenate().apply([sum, sa]) as L.SymbolicTensor;
    const g = new L.GRU({ units: 3, resetAfter: false, recurrentActivation: 'hard_sigmoid_keras2', goBackwards: true }).apply(cat) as L.SymbolicTensor;
    const rep = new L.RepeatVector({ n: 2 }).apply(g) as L.SymbolicTensor;
    const inner = new L.Sequential({ name: 'head', layers: [new L.Flatten({ inputShape: [2, 3] }), new L.Dense({ units: 6 }), new L.Activation({ activation: 'softmax' })] });
    const pooled = new L.GlobalAveragePooling1D().apply(new L.Reshape({ targetShape: [3, 2] }).apply(inner.apply(rep) as L.SymbolicTensor) as L.SymbolicTensor);
    const model = new L.Model({ inputs: [a, b], outputs: [pooled as L.SymbolicTensor, g], name: 'two_heads' });
    randomizeWeights(model, rng);
    await checkBothWays(model, [postPaddedFloats(rng, 4, 5, 3), postPaddedFloats(rng, 4, 5, 3)], 'functional');
  });

  test('returnState into initialState (an encoder-decoder), SimpleRNN and LSTM states, in TensorFlow.js', async () => {
    const src = L.input({ shape: [5, 3], name: 'source' });
    const tgt = L.input({ shape: [4, 2], name: 'target' });
    const [, h, c] = new L.LSTM({ units: 4, returnState: true, name: 'encoder' }).apply(src) as L.SymbolicTensor[];
    const dec = new L.LSTM({ units: 4, returnSequences: true, name: 'decoder' }).apply(tgt, { initialState: [h, c] }) as L.SymbolicTensor;
    const [last, s] = new L.SimpleRNN({ units: 3, returnState: true, name: 'tail' }).apply(dec) as L.SymbolicTensor[];
    const y = new L.Dense({ units: 2 }).apply(new L.Concatenate().apply([last, s, h]) as L.SymbolicTensor) as L.SymbolicTensor;
    const model = new L.Model({ inputs: [src, tgt], outputs: [y, dec] });
    randomizeWeights(model, rng);
    await checkBothWays(model, [T.randomNormal([3, 5, 3], 0, 1, { rng }), T.randomNormal([3, 4, 2], 0, 1, { rng })], 'encoder_decoder');
  });

  test('RNN of a built-in cell both ways; an RNN of several cells is refused', async () => {
    const model = new L.Sequential([new L.RNN({ cell: new L.GRUCell({ units: 3, resetAfter: false }), inputShape: [4, 2], returnSequences: true }), new L.Flatten()]);
    randomizeWeights(model, rng);
    await checkBothWays(model, [T.randomNormal([3, 4, 2], 0, 1, { rng })], 'rnn_cell');
    const stacked = new L.Sequential([new L.RNN({ cell: [new L.LSTMCell({ units: 2 }), new L.LSTMCell({ units: 2 })], inputShape: [3, 1] })]);
    expect(() => L.toTfjs(stacked)).toThrow(/two weights would both be named '.*\/stacked_rnn_cells\/kernel'/);
  });

  test('GRU resetAfter true: Keras-valid JSON, a clear warning, TensorFlow.js refuses it, seqlab reads it', async () => {
    const model = new L.Sequential([new L.GRU({ units: 3, inputShape: [4, 2] }), new L.Dense({ units: 1 })]);
    randomizeWeights(model, rng);
    const dir = path.join(tmp, 'gru_reset_after');
    const seen: string[] = [];
    const { warnings } = await L.saveTfjsModel(model, dir, { onWarning: (w) => seen.push(w) });
    expect(warnings).toHaveLength(1);
    expect(seen[0]).toMatch(/GRU '.*' has resetAfter: true.*TensorFlow.js itself refuses to load it/);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(json.modelTopology.config.layers[0].config.reset_after).toBe(true);
    // Keras 2's weight names (the Python converter looks them up; TensorFlow.js drops the cell part)
    const [gru, dense] = model.layers.map((l) => l.name);
    expect(json.weightsManifest[0].weights.map((w: any) => w.name)).toEqual([`${gru}/gru_cell/kernel`, `${gru}/gru_cell/recurrent_kernel`, `${gru}/gru_cell/bias`, `${dense}/kernel`, `${dense}/bias`]);
    expect(json.weightsManifest[0].weights[2]).toEqual({ name: `${gru}/gru_cell/bias`, shape: [2, 9], dtype: 'float32' });
    await expect(tf.loadLayersModel(tfjsDirectoryReader(dir))).rejects.toThrow(/reset_after/);
    const x = T.randomNormal([3, 4, 2], 0, 1, { rng });
    const back = await L.loadTfjsModel(dir);
    expect(Array.from((back.predict(x) as Tensor).data)).toEqual(Array.from((model.predict(x) as Tensor).data));
  });

  test("refusals: Keras 3's hard_sigmoid, a layer TensorFlow.js lacks, mismatching weights", async () => {
    const m = new L.Sequential([new L.LSTM({ units: 2, inputShape: [3, 1], recurrentActivation: 'hard_sigmoid' })]);
    expect(() => L.toTfjs(m)).toThrow(/LSTM '.*' uses recurrent_activation 'hard_sigmoid' \(Keras 3.*TensorFlow.js does not have/);
    const ok = new L.Sequential([new L.Dense({ units: 2, inputShape: [3] })]);
    const { modelJson, shards } = L.toTfjs(ok);
    expect(() => L.fromTfjs(modelJson, shards[0].bytes.subarray(4))).toThrow(/weight '.*bias' points at bytes \[24, \+2×4\) outside the 28-byte data section/);
    const renamed = JSON.parse(JSON.stringify(modelJson));
    renamed.weightsManifest[0].weights[0].name = 'other/kernel';
    expect(() => L.fromTfjs(renamed, shards[0].bytes)).toThrow(/weight 'other\/kernel' matches no weight of the model/);
    await expect(L.loadTfjsModel(path.join(tmp, 'nowhere'))).rejects.toThrow(/loadTfjsModel: cannot read .*nowhere\/model.json/);
  });

  test('a model built and saved by TensorFlow.js (its defaults) loads into seqlab with the same predictions', async () => {
    const seq = tf.sequential();
    seq.add(tf.layers.embedding({ inputDim: 25, outputDim: 4, maskZero: true, inputLength: 6 }));
    seq.add(tf.layers.lstm({ units: 5, returnSequences: true })); // hard_sigmoid, VarianceScaling: tfjs defaults
    seq.add(tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3 }), mergeMode: 'concat' }));
    seq.add(tf.layers.batchNormalization());
    seq.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
    // non-trivial moving statistics and biases (tfjs lists the moving statistics last)
    expect(seq.weights[seq.weights.length - 1].originalName).toMatch(/moving_variance$/);
    seq.setWeights(seq.getWeights().map((w: any, i: number) => (i === seq.getWeights().length - 1 ? tf.randomUniform(w.shape, 0.5, 1.5, 'float32', 3) : tf.randomNormal(w.shape, 0, 0.5, 'float32', i + 1))));
    const dir = path.join(tmp, 'from_tfjs');
    await seq.save(tfjsDirectoryWriter(dir));
    const ours = await L.loadTfjsModel(dir);
    expect((ours.layers[1] as L.LSTM).getConfig().recurrent_activation).toBe('hard_sigmoid_keras2');
    const x = postPaddedIds(rng, 5, 6, 25);
    const theirs = seq.predict(tf.tensor(Array.from(x.data), x.shape)).dataSync();
    expect(maxAbsDiff((ours.predict(x) as Tensor).data, theirs)).toBeLessThanOrEqual(1e-5);

    // a functional tfjs model, and the Python converter's layout (model_config wrapper, cell in the weight names)
    const inp = tf.input({ shape: [4, 3] });
    const h = tf.layers.simpleRNN({ units: 3, returnSequences: true }).apply(inp);
    const out = tf.layers.concatenate().apply([h, tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }).apply(inp)]);
    const fm = tf.model({ inputs: inp, outputs: tf.layers.globalAveragePooling1d().apply(out) });
    fm.setWeights(fm.getWeights().map((w: any, i: number) => tf.randomNormal(w.shape, 0, 0.5, 'float32', 40 + i)));
    const fdir = path.join(tmp, 'from_tfjs_functional');
    await fm.save(tfjsDirectoryWriter(fdir));
    const json = JSON.parse(fs.readFileSync(path.join(fdir, 'model.json'), 'utf8'));
    json.modelTopology = { keras_version: '2.15.0', backend: 'tensorflow', model_config: json.modelTopology };
    for (const w of json.weightsManifest[0].weights) w.name = w.name.replace(/^(simple_rnn[^/]*)\//, '$1/simple_rnn_cell/');
    fs.writeFileSync(path.join(fdir, 'model.json'), JSON.stringify(json));
    const fours = await L.loadTfjsModel(path.join(fdir, 'model.json'));
    const fx = T.randomNormal([3, 4, 3], 0, 1, { rng });
    const ftheirs = fm.predict(tf.tensor(Array.from(fx.data), fx.shape)).dataSync();
    expect(maxAbsDiff((fours.predict(fx) as Tensor).data, ftheirs)).toBeLessThanOrEqual(1e-5);
  });
});
