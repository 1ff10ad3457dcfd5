/**
 * ONNX export held to ONNX Runtime (onnxruntime-web, wasm, in a child process): every exported
 * model predicts within 1e-5 of seqlab on random inputs, post-padded masks included, and what
 * ONNX cannot express is refused with the reason.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import * as L from '@seqlab/layers';
import { maxAbsDiff, postPaddedFloats, postPaddedIds, randomizeWeights, runOnnxModels } from '../support';

const rng = new T.Rng(17);
L.setSeed(5);


interface Case {
  model: L.Model;
  xs: Tensor[];
}
const cases = new Map<string, Case>();
let results = new Map<string, Record<string, { data: Float32Array; dims: number[] }>>();

/** Registers a model to run in ONNX Runtime (all cases run in one ONNX Runtime process). */
function onnxCase(name: string, model: L.Model, xs: Tensor[]): void {
  randomizeWeights(model, rng);
  cases.set(name, { model, xs });
}

/** Compares every output of a case with seqlab's; returns the largest difference. */
function compare(name: string): number {
  const { model, xs } = cases.get(name)!;
  const run = results.get(name)!;
  const ours = model.predict(xs.length === 1 ? xs[0] : xs);
  const list = Array.isArray(ours) ? ours : [ours];
  let worst = 0;
  list.forEach((o, i) => {
    expect(run[`output_${i}`].dims).toEqual(o.shape);
    worst = Math.max(worst, maxAbsDiff(o.data, run[`output_${i}`].data));
  });
  expect([name, worst <= 1e-5]).toEqual([name, true]);
  return worst;
}

// ---------------------------------------------------------------------------------------------
// the models

onnxCase(
  'lstm_gru_reset_after',
  new L.Sequential([
    new L.Embedding({ inputDim: 30, outputDim: 5, maskZero: true, inputLength: 7 }),
    new L.LSTM({ units: 4, returnSequences: true }),
    new L.GRU({ units: 3 }),
    new L.Dense({ units: 2, activation: 'softmax' }),
  ]),
  [postPaddedIds(rng, 6, 7, 30)],
);
onnxCase(
  'gru_reset_before_simple_rnn',
  new L.Sequential([
    new L.Embedding({ inputDim: 12, outputDim: 3, maskZero: true, inputLength: 5 }),
    new L.GRU({ units: 3, resetAfter: false, returnSequences: true }),
    new L.SimpleRNN({ units: 2, activation: 'relu' }),
  ]),
  [postPaddedIds(rng, 5, 5, 12)],
);
onnxCase(
  'bidirectional',
  new L.Sequential([
    new L.Embedding({ inputDim: 20, outputDim: 4, maskZero: true, inputLength: 6 }),
    new L.Bidirectional({ layer: new L.GRU({ units: 3, returnSequences: true, resetAfter: false }) }),
    new L.Bidirectional({ layer: new L.LSTM({ units: 3, returnSequences: true }), mergeMode: 'ave' }),
    new L.Bidirectional({ layer: new L.SimpleRNN({ units: 2, returnSequences: true }), mergeMode: 'mul' }),
    new L.Bidirectional({ layer: new L.GRU({ units: 2 }), mergeMode: 'sum' }),
  ]),
  [postPaddedIds(rng, 6, 6, 20)],
);
onnxCase(
  'masking_sequence',
  new L.Sequential([
    new L.Masking({ inputShape: [6, 3] }),
    new L.SimpleRNN({ units: 4, returnSequences: true }),
    new L.TimeDistributed({ layer: new L.Dense({ units: 3, activation: 'tanh' }) }),
    new L.BatchNormalization(),
    new L.Dropout({ rate: 0.5 }),
  ]),
  [postPaddedFloats(rng, 5, 6, 3)],
);
{
  // returnState into initialState: an LSTM encoder's [h, c] start the decoder; a Bidirectional GRU
  // starts from [forward h, backward h] and returns them
  const src = L.input({ shape: [5, 3], name: 'source' });
  const tgt = L.input({ shape: [4, 2], name: 'target' });
  const [, h, c] = new L.LSTM({ units: 4, returnState: true }).apply(src) as L.SymbolicTensor[];
  const dec = new L.LSTM({ units: 4, returnSequences: true }).apply(tgt, { initialState: [h, c] }) as L.SymbolicTensor;
  const [last, s] = new L.SimpleRNN({ units: 3, returnState: true }).apply(dec) as L.SymbolicTensor[];
  const init = new L.Dense({ units: 2, activation: 'tanh' }).apply(last) as L.SymbolicTensor;
  const [bo, fh, bh] = new L.Bidirectional({ layer: new L.GRU({ units: 2, returnState: true }) }).apply(dec, { initialState: [init, init] }) as L.SymbolicTensor[];
  const y = new L.Dense({ units: 2 }).apply(new L.Concatenate().apply([last, s, h, c, bo, fh, bh]) as L.SymbolicTensor) as L.SymbolicTensor;
  onnxCase('encoder_decoder_states', new L.Model({ inputs: [src, tgt], outputs: [y, dec] }), [T.randomNormal([3, 5, 3], 0, 1, { rng }), T.randomNormal([3, 4, 2], 0, 1, { rng })]);
}
onnxCase('rnn_of_a_cell', new L.Sequential([new L.RNN({ cell: new L.LSTMCell({ units: 3 }), inputShape: [4, 2] })]), [T.randomNormal([3, 4, 2], 0, 1, { rng })]);
{
  const a = L.input({ shape: [5, 3], name: 'a' });
  const b = L.input({ shape: [5, 3], name: 'b' });
  const shared = new L.Dense({ units: 4, activation: 'relu' });
  const sa = shared.apply(a) as L.SymbolicTensor;
  const sb = shared.apply(b) as L.SymbolicTensor;
  const cat = new L.Concatenate().apply([new L.Add().apply([sa, sb]) as L.SymbolicTensor, sa]) as L.SymbolicTensor;
  const h1 = new L.LSTM({ units: 3, recurrentActivation: 'hard_sigmoid', goBackwards: true }).apply(cat) as L.SymbolicTensor;
  const h2 = new L.GRU({ units: 3, recurrentActivation: 'hard_sigmoid_keras2', returnSequences: true }).apply(cat) as L.SymbolicTensor;
  const rep = new L.RepeatVector({ n: 2 }).apply(h1) as L.SymbolicTensor;
  const head = new L.Sequential({ name: 'head', layers: [new L.Flatten({ inputShape: [2, 3] }), new L.Dense({ units: 6, activation: 'sigmoid' }), new L.Reshape({ targetShape: [3, 2] })] });
  const pooled = new L.GlobalAveragePooling1D().apply(head.apply(rep) as L.SymbolicTensor) as L.SymbolicTensor;
  const model = new L.Model({ inputs: [a, b], outputs: [pooled, new L.GlobalAveragePooling1D().apply(h2) as L.SymbolicTensor] });
  onnxCase('functional_hard_sigmoids', model, [T.randomNormal([4, 5, 3], 0, 1, { rng }), T.randomNormal([4, 5, 3], 0, 1, { rng })]);
}

beforeAll(async () => {
  const names = [...cases.keys()];
  const jobs = await Promise.all(
    names.map(async (n) => {
      const { model, xs } = cases.get(n)!;
      const feeds = Object.fromEntries(model.inputs.map((s, i) => [s.node.layer.name, { data: xs[i].data, dims: xs[i].shape }]));
      return { model: await L.exportOnnx(model, undefined, { padding: 'post' }), feeds: [feeds] };
    }),
  );
  const runs = runOnnxModels(jobs);
  results = new Map(names.map((n, i) => [n, runs[i][0]]));
});

describe('ONNX export, run by ONNX Runtime', () => {
  test('Embedding (mask) -> LSTM (sequences) -> GRU resetAfter -> Dense', () => {
    compare('lstm_gru_reset_after');
  });
  test('GRU resetAfter false (sequences, masked) -> SimpleRNN relu', () => {
    compare('gru_reset_before_simple_rnn');
  });
  test('Bidirectional (concat, ave, mul, sum) over masks, returned sequences and last outputs', () => {
    compare('bidirectional');
  });
  test('Masking -> SimpleRNN sequence (masked steps repeat the last output) -> TimeDistributed(Dense) -> BatchNormalization -> Dropout', () => {
    compare('masking_sequence');
  });
  test('returnState into initialState: LSTM, SimpleRNN and Bidirectional GRU states', () => {
    compare('encoder_decoder_states');
  });
  test('RNN of a built-in cell', () => {
    compare('rnn_of_a_cell');
  });
  test("hard sigmoids (Keras 3's and Keras 2's), goBackwards, shared Dense, Concatenate, Add, RepeatVector, a nested Sequential, GlobalAveragePooling1D", () => {
    compare('functional_hard_sigmoids');
  });
  test('refusals name the layer and the reason; exportOnnx(model, path) writes the file', async () => {
    const stateful = new L.Sequential([new L.LSTM({ units: 2, stateful: true, batchInputShape: [2, 4, 2] })]);
    await expect(L.exportOnnx(stateful)).rejects.toThrow(/exportOnnx: LSTM '.*': a stateful layer carries states between calls/);
    const back = new L.Sequential([new L.GRU({ units: 2, goBackwards: true, returnSequences: true, inputShape: [4, 2] })]);
    await expect(L.exportOnnx(back)).rejects.toThrow(/goBackwards with returnSequences/);
    const ids = L.input({ shape: [3] });
    const e = new L.Embedding({ inputDim: 5, outputDim: 2 }).apply(ids) as L.SymbolicTensor;
    const both = new L.Model({ inputs: ids, outputs: new L.Bidirectional({ layer: new L.LSTM({ units: 2 }), mergeMode: null }).apply(e) as L.SymbolicTensor[] });
    await expect(L.exportOnnx(both)).rejects.toThrow(/Bidirectional '.*': mergeMode null/);
    const masked = new L.Sequential([new L.Embedding({ inputDim: 5, outputDim: 2, maskZero: true, inputLength: 3 }), new L.LSTM({ units: 2 })]);
    await expect(L.exportOnnx(masked)).rejects.toThrow(/exportOnnx: Embedding '.*': it makes a mask.*\{ padding: 'post' \}/);
    const stacked = new L.Sequential([new L.RNN({ cell: [new L.LSTMCell({ units: 2 }), new L.GRUCell({ units: 2 })], inputShape: [3, 1] })]);
    await expect(L.exportOnnx(stacked)).rejects.toThrow(/RNN '.*': its cell \(StackedRNNCells\) is not a built-in SimpleRNN, LSTM or GRU cell/);
    const elu = new L.Sequential([new L.SimpleRNN({ units: 2, activation: 'elu', inputShape: [3, 1] })]);
    await expect(L.exportOnnx(elu)).rejects.toThrow(/activation 'elu' has no ONNX recurrent activation/);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-onnx-')), 'model.onnx');
    const ok = new L.Sequential([new L.Dense({ units: 2, inputShape: [3] })]);
    const bytes = await L.exportOnnx(ok, file);
    expect(fs.readFileSync(file).equals(Buffer.from(bytes))).toBe(true);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
});
