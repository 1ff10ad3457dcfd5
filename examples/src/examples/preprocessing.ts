/**
 * Seed 000, "Preprocessing Sequential Data": pad_sequences, Masking and the mask it produces,
 * Embedding shapes, SimpleRNN / LSTM models with fixed and flexible lengths, stacked LSTMs,
 * Bidirectional with merge modes 'concat' and 'sum', and batches of different lengths through
 * the same model.
 */
import { Bidirectional, Dense, Embedding, LSTM, Masking, Model, Sequential, SimpleRNN, input, maskOf, setSeed } from '@seqlab/layers';
import { padSequences } from '@seqlab/datasets';
import { Rng, Tensor, expandDims, tensor } from '@seqlab/tensor';
import { Example, Figures, RunOptions, kerasShape, logger, one } from '../lib/common';

const fmt = (t: { toArray(): unknown }): string => JSON.stringify(t.toArray());

function randomIds(shape: [number, number], high: number, seed: number): Tensor {
  const rng = new Rng(seed);
  return new Tensor(Float32Array.from({ length: shape[0] * shape[1] }, () => rng.int(high)), shape);
}

export async function run(options: RunOptions = {}): Promise<Figures> {
  const log = logger(options);
  setSeed(0);
  const figures: Figures = {};

  log('== pad_sequences (seed 000) ==');
  const testInput = [[4, 12, 33, 18], [63, 23, 54, 30, 19, 3], [43, 37, 11, 33, 15]];
  const padded = padSequences(testInput, { maxlen: 5, padding: 'post', truncating: 'post', value: -1 });
  log(`padSequences(testInput, { maxlen: 5, padding: 'post', truncating: 'post', value: -1 })`);
  log(`  ${fmt(padded)}`);
  const testInput2 = [[[2, 1], [3, 3]], [[4, 3], [2, 4], [1, 1]]];
  const padded2 = padSequences(testInput2, { padding: 'post' });
  log(`padSequences(testInput2, { padding: 'post' })`);
  log(`  ${fmt(padded2)}`);
  figures.padded = padded.toArray();
  figures.padded2 = padded2.toArray();

  log('');
  log('== Masking: a [batch, time, 1] input, padding value -1 ==');
  const masking = new Masking({ maskValue: -1 });
  const x3 = expandDims(padded.toTensor(), -1); // [..., np.newaxis]
  const masked = masking.apply(x3) as Tensor;
  const mask = maskOf(masked)!;
  const maskRows = (mask.toArray() as number[][]).map((r) => r.map((v) => v !== 0));
  log(`input shape ${kerasShape(x3.shape)}; the mask (Keras's _keras_mask):`);
  for (const r of maskRows) log(`  [${r.map((b) => (b ? 'True' : 'False')).join(', ')}]`);
  figures.mask = maskRows;

  log('');
  log('== Embedding(1000, 32) on a (16, 64) batch of ids ==');
  const embedding = new Embedding({ inputDim: 1000, outputDim: 32, inputLength: 64 });
  const embedded = embedding.apply(randomIds([16, 64], 1000, 1)) as Tensor;
  log(`output shape ${kerasShape(embedded.shape)}, ${embedding.countParams()} parameters`);
  figures.embeddingShape = embedded.shape;
  figures.embeddingParams = embedding.countParams();
  const zeroMasked = new Embedding({ inputDim: 1000, outputDim: 32, maskZero: true });
  const withZeros = zeroMasked.apply(tensor([[5, 7, 0, 0], [3, 0, 0, 0]])) as Tensor;
  log(`Embedding({ maskZero: true }) on [[5, 7, 0, 0], [3, 0, 0, 0]]: mask ${JSON.stringify((maskOf(withZeros)!.toArray() as number[][]).map((r) => r.map((v) => v !== 0)))}`);

  log('');
  log('== Embedding -> SimpleRNN(64) -> Dense(5, softmax), fixed length 64 ==');
  const fixed = new Sequential([new Embedding({ inputDim: 1000, outputDim: 32, inputLength: 64, inputShape: [64] }), new SimpleRNN({ units: 64, activation: 'tanh' }), new Dense({ units: 5, activation: 'softmax' })]);
  fixed.summary(undefined, log);
  figures.simpleRnnParams = fixed.countParams();
  figures.simpleRnnShapes = fixed.layers.map((l) => kerasShape(l.inboundNodes[0].outputs[0].shape));

  log('');
  log('== the same without input_length: any batch size, any length ==');
  const flexible = new Sequential([new Embedding({ inputDim: 1000, outputDim: 32, inputShape: [null] }), new SimpleRNN({ units: 64, activation: 'tanh' }), new Dense({ units: 5, activation: 'softmax' })]);
  flexible.summary(undefined, log);
  const variable: string[] = [];
  for (const [b, t] of [[2, 7], [3, 20], [1, 64]] as [number, number][]) {
    const y = flexible.predict(randomIds([b, t], 1000, b * 100 + t)) as Tensor;
    const line = `batch of ${b} sequences of length ${t} -> ${kerasShape(y.shape)}`;
    log(`  ${line}`);
    variable.push(line);
  }
  figures.variableLength = variable;

  log('');
  log('== functional API: Input((None, 10)) -> LSTM(64) -> Dense(5, softmax) ==');
  const inputs = input({ shape: [null, 10] });
  const h = one(new LSTM({ units: 64 }).apply(inputs));
  const outputs = one(new Dense({ units: 5, activation: 'softmax' }).apply(h));
  const functional = new Model({ inputs, outputs });
  functional.summary(undefined, log);
  figures.functionalParams = functional.countParams();

  log('');
  log('== stacked LSTMs: LSTM(32, returnSequences) -> LSTM(64) ==');
  const stackIn = input({ shape: [null, 10] });
  const s1 = one(new LSTM({ units: 32, returnSequences: true }).apply(stackIn));
  const s2 = one(new LSTM({ units: 64 }).apply(s1));
  const stacked = new Model({ inputs: stackIn, outputs: s2 });
  stacked.summary(undefined, log);
  const stackedShapes = [kerasShape(s1.shape), kerasShape(s2.shape)];
  log(`shapes: ${stackedShapes.join(' -> ')}`);
  figures.stackedShapes = stackedShapes;

  log('');
  log("== Bidirectional: mergeMode 'concat' (default) and 'sum' ==");
  const biIn = input({ shape: [null, 10] });
  const b1 = one(new Bidirectional({ layer: new LSTM({ units: 32, returnSequences: true }) }).apply(biIn));
  const b2 = one(new Bidirectional({ layer: new LSTM({ units: 64 }) }).apply(b1));
  const bi = new Model({ inputs: biIn, outputs: b2 });
  bi.summary(undefined, log);
  const biShapes = [kerasShape(b1.shape), kerasShape(b2.shape)];
  const sumLayer = new Bidirectional({ layer: new LSTM({ units: 32, returnSequences: true }), mergeMode: 'sum' });
  const sumShape = kerasShape(one(sumLayer.apply(input({ shape: [null, 10] }))).shape);
  log(`concat: ${biShapes.join(' -> ')}; sum: Bidirectional(LSTM(32, returnSequences), mergeMode 'sum') -> ${sumShape}`);
  const concrete = bi.predict(new Tensor(new Float32Array(4 * 9 * 10).fill(0.1), [4, 9, 10])) as Tensor;
  log(`on a concrete batch [4, 9, 10]: ${kerasShape(concrete.shape)}`);
  figures.bidirectionalShapes = { concat: biShapes, sum: sumShape, concrete: concrete.shape };

  log('');
  log('== masked, padded batch through Embedding(maskZero) -> LSTM ==');
  const seqs = [[12, 7, 3], [5, 9, 14, 2, 8, 1], [4]];
  const ids = padSequences(seqs); // 'pre' padding with 0, int32 as in Keras (models take it as input)
  const maskedModel = new Sequential([new Embedding({ inputDim: 20, outputDim: 4, maskZero: true, inputShape: [null] }), new LSTM({ units: 3 })]);
  const last = maskedModel.predict(ids) as Tensor;
  const unpadded = maskedModel.predict(tensor([seqs[0]])) as Tensor;
  const same = Math.max(...Array.from(unpadded.data, (v, i) => Math.abs(v - last.data[i]))) < 1e-6;
  log(`padded ids ${fmt(ids)}`);
  log(`LSTM output ${kerasShape(last.shape)}; row 0 equals the unpadded sequence's output: ${same}`);
  figures.maskedMatchesUnpadded = same;
  return figures;
}

export const example: Example = { name: 'preprocessing', description: 'seed 000: padSequences, Masking, Embedding, stacked and Bidirectional shapes, variable lengths', run };
