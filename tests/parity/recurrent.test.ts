/**
 * Parity with TensorFlow.js (cpu backend): the same model built in both libraries, the same
 * weights copied over (tfjs `setWeights`, Keras order), then predictions (abs error <= 1e-5) and
 * the gradients of a loss w.r.t. every weight (<= 1e-4 relative) compared.
 *
 * tfjs defaults differ from Keras, so every option that matters is spelled out
 * (recurrentActivation 'sigmoid'; tfjs's LSTM/GRU default is 'hardSigmoid'). tfjs has no GRU
 * resetAfter: GRUs here use resetAfter: false (bias [3H]).
 *
 * Where tfjs knowingly differs from Keras we follow Keras and test against our reference path:
 * inside Bidirectional with returnSequences, Keras outputs zeros at masked timesteps
 * (zero_output_for_mask), while tfjs repeats the previous output there.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-var-requires */
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import {
  Bidirectional, Dense, Embedding, GRU, LSTM, Layer, Model, RNN, SimpleRNN, SymbolicTensor, TimeDistributed, clearSession, input,
} from '@seqlab/layers';
import { maxAbsDiff } from '../support';

const tf = require('@tensorflow/tfjs');
tf.env().set('IS_TEST', true); // quiets tfjs's "install the node backend" notice

beforeAll(async () => {
  await tf.setBackend('cpu');
});
beforeEach(() => clearSession());

type RnnKind = 'SimpleRNN' | 'LSTM' | 'GRU';
type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;
interface RnnSpec {
  type: RnnKind;
  units: number;
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  activation?: string;
}
type Spec =
  | ({ kind: 'rnn' } & RnnSpec)
  | { kind: 'bidirectional'; layer: RnnSpec; mergeMode: MergeMode }
  | { kind: 'timeDistributedDense'; units: number; activation: string }
  | { kind: 'embedding'; inputDim: number; outputDim: number; maskZero: boolean }
  | { kind: 'dense'; units: number; activation: string };

function ourRnn(s: RnnSpec): RNN {
  const args = {
    units: s.units, returnSequences: s.returnSequences, returnState: s.returnState, goBackwards: s.goBackwards,
    activation: s.activation ?? 'tanh', recurrentActivation: 'sigmoid',
  };
  if (s.type === 'SimpleRNN') return new SimpleRNN(args);
  if (s.type === 'LSTM') return new LSTM(args);
  return new GRU({ ...args, resetAfter: false });
}

function tfRnn(s: RnnSpec): any {
  const args = {
    units: s.units, returnSequences: !!s.returnSequences, returnState: !!s.returnState, goBackwards: !!s.goBackwards,
    activation: s.activation ?? 'tanh', recurrentActivation: 'sigmoid', kernelInitializer: 'glorotUniform',
    recurrentInitializer: 'orthogonal', biasInitializer: 'zeros',
  };
  if (s.type === 'SimpleRNN') return tf.layers.simpleRNN(args);
  if (s.type === 'LSTM') return tf.layers.lstm({ ...args, unitForgetBias: true });
  return tf.layers.gru(args);
}

function ourLayer(s: Spec): Layer {
  switch (s.kind) {
    case 'rnn': return ourRnn(s);
    case 'bidirectional': return new Bidirectional({ layer: ourRnn(s.layer), mergeMode: s.mergeMode });
    case 'timeDistributedDense': return new TimeDistributed({ layer: new Dense({ units: s.units, activation: s.activation }) });
    case 'embedding': return new Embedding({ inputDim: s.inputDim, outputDim: s.outputDim, maskZero: s.maskZero });
    case 'dense': return new Dense({ units: s.units, activation: s.activation });
  }
}

function tfLayer(s: Spec): any {
  switch (s.kind) {
    case 'rnn': return tfRnn(s);
    case 'bidirectional': return tf.layers.bidirectional({ layer: tfRnn(s.layer), mergeMode: s.mergeMode });
    case 'timeDistributedDense': return tf.layers.timeDistributed({ layer: tf.layers.dense({ units: s.units, activation: s.activation }) });
    case 'embedding': return tf.layers.embedding({ inputDim: s.inputDim, outputDim: s.outputDim, maskZero: s.maskZero });
    case 'dense': return tf.layers.dense({ units: s.units, activation: s.activation });
  }
}

interface Pair {
  ours: Model;
  theirs: any;
}

/** The same chain of layers in both libraries, functional API (the last layer may return a list). */
function buildPair(inputShape: number[], specs: Spec[], weightSeed: number): Pair {
  let h: SymbolicTensor | SymbolicTensor[] = input({ shape: inputShape });
  const inp = h as SymbolicTensor;
  for (const s of specs) h = ourLayer(s).apply(h as SymbolicTensor);
  const ours = new Model({ inputs: inp, outputs: h });
  const tin = tf.input({ shape: inputShape });
  let th = tin;
  for (const s of specs) th = tfLayer(s).apply(th);
  const theirs = tf.model({ inputs: tin, outputs: th });
  // random weights in both (non-zero biases); the embedding table stays small
  const rng = new T.Rng(weightSeed);
  ours.setWeights(ours.weights.map((w) => T.randomUniform(w.shape, -0.5, 0.5, { rng })));
  const values = ours.getWeights();
  const tfShapes = theirs.weights.map((w: any) => w.shape);
  expect(tfShapes).toEqual(values.map((v) => v.shape));
  theirs.setWeights(values.map((v) => tf.tensor(Array.from(v.data), v.shape)));
  return { ours, theirs };
}

const errors = { value: 0, grad: 0 };


/** Predictions and gradients of L = Σ outputs ⊙ R (R fixed random) w.r.t. every weight, in both. */
function compare(pair: Pair, x: Tensor): void {
  const { ours, theirs } = pair;
  const xt = tf.tensor(Array.from(x.data), x.shape);
  const oursOut = ours.predict(x);
  const oursList = Array.isArray(oursOut) ? oursOut : [oursOut];
  const tfOut = theirs.predict(xt);
  const tfList: any[] = Array.isArray(tfOut) ? tfOut : [tfOut];
  expect(tfList.length).toBe(oursList.length);
  oursList.forEach((o, i) => {
    expect(tfList[i].shape).toEqual(o.shape);
    const e = maxAbsDiff(o.data, tfList[i].dataSync());
    errors.value = Math.max(errors.value, e);
    expect(e).toBeLessThanOrEqual(1e-5);
  });
  const rng = new T.Rng(77);
  const projections = oursList.map((o) => T.randomUniform(o.shape, -1, 1, { rng }));

  const { grads } = A.gradients(() => {
    const out = ours.call(x, { training: false });
    const outs = Array.isArray(out) ? out : [out];
    return outs.map((o, i) => A.sum(A.mul(o, projections[i]))).reduce((a, b) => A.add(a, b));
  }, ours.weights.map((w) => w.value));

  const vars = theirs.trainableWeights.map((w: any) => w.val);
  const tfGrads = tf.variableGrads(() => {
    const out = theirs.apply(xt, { training: false });
    const outs: any[] = Array.isArray(out) ? out : [out];
    return outs.map((o, i) => tf.sum(tf.mul(o, tf.tensor(Array.from(projections[i].data), projections[i].shape)))).reduce((a, b) => tf.add(a, b));
  }, vars).grads;
  expect(theirs.trainableWeights.length).toBe(grads.length);
  theirs.trainableWeights.forEach((w: any, i: number) => {
    const g = tfGrads[w.val.name].dataSync();
    const ours_ = grads[i].data;
    let scale = 1e-6;
    for (let k = 0; k < g.length; k++) scale = Math.max(scale, Math.abs(g[k]));
    const rel = maxAbsDiff(ours_, g) / scale;
    errors.grad = Math.max(errors.grad, rel);
    if (rel > 1e-4) throw new Error(`gradient of weight ${i} (${w.name}, ours '${ours.weights[i].name}'): relative error ${rel}`);
  });
}

const floatData = (shape: number[], seed = 3) => T.randomUniform(shape, -1, 1, { rng: new T.Rng(seed) });
/** Token ids in [1, vocab) with pre-padding zeros of varying length (padSequences default). */
function paddedIds(batch: number, steps: number, vocab: number, seed = 5): Tensor {
  const rng = new T.Rng(seed);
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    const pad = b % steps; // 0, 1, 2, ... leading zeros
    for (let t = 0; t < steps; t++) out.push(t < pad ? 0 : 1 + Math.floor(rng.next() * (vocab - 1)));
  }
  return T.tensor(out, [batch, steps]);
}

const kinds: RnnKind[] = ['SimpleRNN', 'LSTM', 'GRU'];

describe.each(kinds)('%s', (type) => {
  test('last output', () => {
    compare(buildPair([5, 4], [{ kind: 'rnn', type, units: 3 }], 1), floatData([3, 5, 4]));
  });
  test('returnSequences + goBackwards', () => {
    compare(buildPair([5, 4], [{ kind: 'rnn', type, units: 3, returnSequences: true, goBackwards: true }], 2), floatData([3, 5, 4]));
  });
  test('returnState (+ returnSequences)', () => {
    compare(buildPair([5, 4], [{ kind: 'rnn', type, units: 3, returnState: true }], 3), floatData([3, 5, 4]));
    compare(buildPair([5, 4], [{ kind: 'rnn', type, units: 3, returnState: true, returnSequences: true }], 4), floatData([3, 5, 4]));
  });
  test('Embedding(maskZero) feeding the layer (pre-padded ids), then Dense', () => {
    const specs: Spec[] = [
      { kind: 'embedding', inputDim: 12, outputDim: 4, maskZero: true },
      { kind: 'rnn', type, units: 3 },
      { kind: 'dense', units: 2, activation: 'sigmoid' },
    ];
    compare(buildPair([6], specs, 5), paddedIds(4, 6, 12));
  });
  test('Embedding(maskZero) with returnSequences and goBackwards', () => {
    const specs: Spec[] = [
      { kind: 'embedding', inputDim: 12, outputDim: 4, maskZero: true },
      { kind: 'rnn', type, units: 3, returnSequences: true, goBackwards: true },
    ];
    compare(buildPair([6], specs, 6), paddedIds(4, 6, 12, 8));
  });
});

describe('Bidirectional', () => {
  const modes: MergeMode[] = ['concat', 'sum', 'mul', 'ave', null];
  test.each(modes)('mergeMode %p, LSTM with returnSequences and GRU with returnState', (mergeMode) => {
    compare(buildPair([5, 4], [{ kind: 'bidirectional', mergeMode, layer: { type: 'LSTM', units: 3, returnSequences: true } }], 7), floatData([2, 5, 4]));
    compare(buildPair([5, 4], [{ kind: 'bidirectional', mergeMode, layer: { type: 'GRU', units: 3, returnState: true } }], 8), floatData([2, 5, 4]));
  });
  test('SimpleRNN, masked input, last output (tfjs and Keras agree here)', () => {
    const specs: Spec[] = [
      { kind: 'embedding', inputDim: 12, outputDim: 4, maskZero: true },
      { kind: 'bidirectional', mergeMode: 'concat', layer: { type: 'SimpleRNN', units: 3 } },
    ];
    compare(buildPair([6], specs, 9), paddedIds(4, 6, 12));
  });

  test('masked input with returnSequences: Keras zeros at masked steps; the real steps match tfjs', () => {
    // tfjs repeats the previous output at masked steps inside Bidirectional; Keras (and seqlab)
    // output zeros there. So: real steps against tfjs, masked steps against the reference scan.
    const specs: Spec[] = [
      { kind: 'embedding', inputDim: 12, outputDim: 4, maskZero: true },
      { kind: 'bidirectional', mergeMode: 'concat', layer: { type: 'LSTM', units: 3, returnSequences: true } },
    ];
    const { ours, theirs } = buildPair([6], specs, 10);
    const ids = paddedIds(4, 6, 12);
    const y = ours.predict(ids) as Tensor;
    const ty = theirs.predict(tf.tensor(Array.from(ids.data), ids.shape)).dataSync();
    for (let b = 0; b < 4; b++) {
      for (let t = 0; t < 6; t++) {
        for (let k = 0; k < 6; k++) {
          const i = (b * 6 + t) * 6 + k;
          if (ids.data[b * 6 + t] === 0) expect(y.data[i]).toBe(0);
          else expect(Math.abs(y.data[i] - ty[i])).toBeLessThanOrEqual(1e-5);
        }
      }
    }
    // and the whole output equals the reference path (values and gradients)
    const bi = ours.layers.find((l) => l instanceof Bidirectional) as Bidirectional;
    const emb = ours.layers.find((l) => l instanceof Embedding) as Embedding;
    const x = emb.call(ids);
    const mask = emb.computeMask(ids);
    bi.forwardLayer.implementation = 'reference';
    bi.backwardLayer.implementation = 'reference';
    const ref = bi.call(x, { mask }) as Tensor;
    bi.forwardLayer.implementation = 'fused';
    bi.backwardLayer.implementation = 'fused';
    expect(maxAbsDiff(ref.data, y.data)).toBeLessThanOrEqual(1e-6);
  });
});

test('TimeDistributed(Dense) into a stack of recurrent layers (LSTM -> GRU -> SimpleRNN) and Dense', () => {
  const specs: Spec[] = [
    { kind: 'timeDistributedDense', units: 4, activation: 'relu' },
    { kind: 'rnn', type: 'LSTM', units: 3, returnSequences: true },
    { kind: 'rnn', type: 'GRU', units: 3, returnSequences: true, goBackwards: true },
    { kind: 'rnn', type: 'SimpleRNN', units: 2 },
    { kind: 'dense', units: 1, activation: 'sigmoid' },
  ];
  compare(buildPair([5, 3], specs, 11), floatData([3, 5, 3], 12));
});

test('SimpleRNN with relu (seed 004) and a stacked Bidirectional(GRU, seq) -> LSTM', () => {
  compare(buildPair([6, 2], [{ kind: 'rnn', type: 'SimpleRNN', units: 4, activation: 'relu', returnSequences: true }, { kind: 'rnn', type: 'SimpleRNN', units: 3, activation: 'relu' }], 13), floatData([3, 6, 2], 14));
  compare(
    buildPair([4, 3], [{ kind: 'bidirectional', mergeMode: 'sum', layer: { type: 'GRU', units: 3, returnSequences: true } }, { kind: 'rnn', type: 'LSTM', units: 2 }], 15),
    floatData([2, 4, 3], 16),
  );
});

afterAll(() => {
  if (process.env.PARITY_REPORT) console.log(`parity: max abs value error ${errors.value.toExponential(2)}, max relative gradient error ${errors.grad.toExponential(2)}`);
});
