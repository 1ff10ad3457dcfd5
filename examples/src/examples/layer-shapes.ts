/**
 * Seeds 003 and 004, and the first models of seed 002: what SimpleRNN, GRU and LSTM return with
 * returnSequences / returnState, the seed 004 models with their summaries and parameter counts
 * (SimpleRNN 1,121; stacked SimpleRNN 3,201; LSTM 4,385; GRU 3,393; TimeDistributed(Dense) + LSTM
 * 6,449), each trained for 10 epochs on random data as in the seed, and seed 002's SimpleRNN(10)
 * on (5, 2) (130 parameters) and Embedding(30, 10) (300).
 *
 * Parameter counts (seed 004's closing notes), with x input features and h units:
 *   SimpleRNN (x + h)·h + h      LSTM 4·[(x + h)·h + h]      GRU 3·[(x + h)·h + 2h] (resetAfter, Keras's default)
 */
import { Dense, Embedding, GRU, LSTM, Layer, Sequential, SimpleRNN, TimeDistributed, setSeed } from '@seqlab/layers';
import { Rng, Tensor, randomNormal } from '@seqlab/tensor';
import { Example, Figures, RunOptions, kerasShape, logger, progressTo } from '../lib/common';

const shapes = (out: Tensor | Tensor[]): string[] => (Array.isArray(out) ? out : [out]).map((t) => kerasShape(t.shape));

function randomData(n: number, steps: number, features: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const x = new Tensor(Float32Array.from({ length: n * steps * features }, () => rng.next()), [n, steps, features]);
  const y = new Tensor(Float32Array.from({ length: n }, () => rng.int(2)), [n, 1]);
  return { x, y };
}

export async function run(options: RunOptions = {}): Promise<Figures> {
  const log = logger(options);
  setSeed(4);
  const figures: Figures = {};

  // ---- seed 003: one layer at a time on a (1, 10, 4) input
  log('== seed 003: input of shape (1, 10, 4) ==');
  const x = randomNormal([1, 10, 4], 0, 1, { seed: 3 });
  const calls: [string, () => Layer][] = [
    ['SimpleRNN(16)', () => new SimpleRNN({ units: 16 })],
    ['SimpleRNN(16, returnSequences)', () => new SimpleRNN({ units: 16, returnSequences: true })],
    ['SimpleRNN(16, returnState)', () => new SimpleRNN({ units: 16, returnState: true })],
    ['GRU(16)', () => new GRU({ units: 16 })],
    ['GRU(16, returnSequences)', () => new GRU({ units: 16, returnSequences: true })],
    ['GRU(16, returnSequences, returnState)', () => new GRU({ units: 16, returnSequences: true, returnState: true })],
    ['LSTM(16)', () => new LSTM({ units: 16 })],
    ['LSTM(16, returnSequences, returnState)', () => new LSTM({ units: 16, returnSequences: true, returnState: true })],
  ];
  const seed003: Record<string, string[]> = {};
  for (const [label, make] of calls) {
    const out = make().apply(x) as Tensor | Tensor[];
    seed003[label] = shapes(out);
    log(`  ${label.padEnd(40)} -> ${seed003[label].join(', ')}`);
  }
  const [seqOut, hState] = new SimpleRNN({ units: 16, returnState: true }).apply(x) as Tensor[];
  const sameValues = seqOut.data.every((v, i) => v === hState.data[i]);
  log(`  SimpleRNN with returnState: output and state hold the same values: ${sameValues}`);
  figures.seed003 = seed003;
  figures.simpleRnnStateEqualsOutput = sameValues;

  // ---- seed 004: LSTM(32) on (100, 10, 1)
  log('');
  log('== seed 004: LSTM(32) on a (100, 10, 1) input ==');
  const x100 = randomData(100, 10, 1, 41).x;
  const lstmCalls: [string, () => Layer][] = [
    ['LSTM(32)', () => new LSTM({ units: 32 })],
    ['LSTM(32, returnSequences)', () => new LSTM({ units: 32, returnSequences: true })],
    ['LSTM(32, returnState)', () => new LSTM({ units: 32, returnState: true })],
    ['LSTM(32, returnSequences, returnState)', () => new LSTM({ units: 32, returnSequences: true, returnState: true })],
  ];
  const seed004Shapes: Record<string, string[]> = {};
  for (const [label, make] of lstmCalls) {
    const out = shapes(make().apply(x100) as Tensor | Tensor[]);
    seed004Shapes[label] = out;
    const names = out.length === 3 ? ['Output', 'Hidden State', 'Cell State'] : ['Output'];
    log(`  ${label.padEnd(40)} -> ${out.map((s, i) => `${names[i]}: ${s}`).join(', ')}`);
  }
  figures.seed004Shapes = seed004Shapes;

  // ---- seed 004: the five models, summary, fit 10 epochs, predict
  const models: [string, () => Sequential, [number, number]][] = [
    ['SimpleRNN(32, relu)', () => new Sequential([new SimpleRNN({ units: 32, activation: 'relu', inputShape: [10, 1] }), new Dense({ units: 1, activation: 'sigmoid' })]), [10, 1]],
    ['stacked SimpleRNN(32, relu) x 2', () => new Sequential([new SimpleRNN({ units: 32, activation: 'relu', inputShape: [10, 1], returnSequences: true }), new SimpleRNN({ units: 32, activation: 'relu' }), new Dense({ units: 1, activation: 'sigmoid' })]), [10, 1]],
    ['LSTM(32)', () => new Sequential([new LSTM({ units: 32, activation: 'tanh', inputShape: [10, 1] }), new Dense({ units: 1, activation: 'sigmoid' })]), [10, 1]],
    ['GRU(32)', () => new Sequential([new GRU({ units: 32, activation: 'tanh', inputShape: [10, 1] }), new Dense({ units: 1, activation: 'sigmoid' })]), [10, 1]],
    ['TimeDistributed(Dense(16, relu)) + LSTM(32)', () => new Sequential([new TimeDistributed({ layer: new Dense({ units: 16, activation: 'relu' }), inputShape: [10, 8] }), new LSTM({ units: 32, activation: 'tanh' }), new Dense({ units: 1, activation: 'sigmoid' })]), [10, 8]],
  ];
  const seed004Params: Record<string, number> = {};
  const seed004Layers: Record<string, { layer: string; shape: string; params: number }[]> = {};
  for (const [label, make, [steps, features]] of models) {
    log('');
    log(`== seed 004: ${label} ==`);
    const model = make();
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    model.summary(undefined, log);
    const { x: xs, y: ys } = randomData(100, steps, features, steps * 10 + features);
    const history = await model.fit(xs, ys, { epochs: options.smoke ? 1 : 10, batchSize: 32, verbose: 2, progressSink: progressTo(log) });
    const preds = model.predict(xs) as Tensor;
    log(`predictions ${kerasShape(preds.shape)}, first three: ${Array.from(preds.data.slice(0, 3), (v) => v.toFixed(4)).join(', ')}; final loss ${history.history.loss.slice(-1)[0].toFixed(4)}`);
    seed004Params[label] = model.countParams();
    seed004Layers[label] = model.layers.map((l) => ({ layer: l.className, shape: kerasShape(l.inboundNodes[0].outputs[0].shape), params: l.countParams() }));
  }
  figures.seed004Params = seed004Params;
  figures.seed004Layers = seed004Layers;

  // ---- seed 002, section 5.1: SimpleRNN(10) on (5, 2) and Embedding(30, 10) with length 5
  log('');
  log('== seed 002: SimpleRNN(10) with input shape (5, 2) ==');
  const rnn = new Sequential([new SimpleRNN({ units: 10, inputShape: [5, 2] })]);
  rnn.summary(undefined, log);
  log('');
  log('== seed 002: Embedding(30, 10, input_length=5) ==');
  const emb = new Sequential([new Embedding({ inputDim: 30, outputDim: 10, inputLength: 5, inputShape: [5] })]);
  emb.summary(undefined, log);
  figures.seed002Params = { 'SimpleRNN(10) on (5, 2)': rnn.countParams(), 'Embedding(30, 10)': emb.countParams() };
  figures.seed002Shapes = { 'SimpleRNN(10) on (5, 2)': kerasShape(rnn.outputs[0].shape), 'Embedding(30, 10)': kerasShape(emb.outputs[0].shape) };
  return figures;
}

export const example: Example = { name: 'layer-shapes', description: 'seeds 003, 004 (and 002 §5.1): returnSequences/returnState shapes, summaries and parameter counts, TimeDistributed', run };
