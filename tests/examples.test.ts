/**
 * Every example in smoke mode (a few batches on a small slice, full-size models), so none can rot:
 * the parameter counts and shapes they print are held to the seeds' numbers. Also the runner's
 * answers to bad input: an unknown name lists the examples; missing data gives the datasets
 * package's message and exit code 1, no stack trace.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { examples } from '../examples/src/examples';
import { main } from '../examples/src/run';
import type { Figures, RunOptions } from '../examples/src/lib/common';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-examples-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function smoke(name: string, options: RunOptions = {}): Promise<{ figures: Figures; lines: string[]; outDir: string }> {
  const example = examples.find((e) => e.name === name);
  if (!example) throw new Error(`no example ${name}`);
  const lines: string[] = [];
  const outDir = path.join(tmp, options.validateOnTest ? `${name}-seed-protocol` : name);
  const figures = await example.run({ ...options, smoke: true, outDir, log: (s) => lines.push(s) });
  return { figures, lines, outDir };
}

const files = (dir: string) => fs.readdirSync(dir).sort();
const svgOk = (file: string) => {
  const s = fs.readFileSync(file, 'utf8');
  expect(s.startsWith('<svg')).toBe(true);
  expect(s.trim().endsWith('</svg>')).toBe(true);
};

test('the registry holds every example of the issue', () => {
  expect(examples.map((e) => e.name).sort()).toEqual(
    ['adding-problem', 'bptt', 'hamlet-charlm', 'imdb-lstm', 'imdb-rnn', 'imdb-textvectorization', 'layer-shapes', 'mnist-autoencoder', 'mnist-bilstm-autoencoder', 'moving-models', 'preprocessing'].sort(),
  );
});

test('adding-problem (npm start): results table and plots', async () => {
  const { figures, lines, outDir } = await smoke('adding-problem');
  const results = figures.results as { cell: string; length: number; params: number; testMse: number }[];
  expect(results.map((r) => r.cell)).toEqual(['SimpleRNN', 'LSTM', 'GRU']);
  // 32 units on 2 features + Dense(1): (2+32)*32+32+33, 4*(...)+33, 3*((2+32)*32+64)+33
  expect(results.map((r) => r.params)).toEqual([1153, 4513, 3489]);
  results.forEach((r) => expect(Number.isFinite(r.testMse)).toBe(true));
  expect(lines.some((l) => l.startsWith('SimpleRNN'))).toBe(true);
  expect(files(outDir)).toEqual(['adding-problem-curves.svg', 'adding-problem.svg', 'results.json']);
  svgOk(path.join(outDir, 'adding-problem.svg'));
}, 60000);

test('preprocessing (seed 000): padding, mask, embedding, stacked and bidirectional shapes', async () => {
  const { figures } = await smoke('preprocessing');
  expect(figures.padded).toEqual([[4, 12, 33, 18, -1], [63, 23, 54, 30, 19], [43, 37, 11, 33, 15]]);
  expect(figures.padded2).toEqual([[[2, 1], [3, 3], [0, 0]], [[4, 3], [2, 4], [1, 1]]]);
  expect(figures.mask).toEqual([[true, true, true, true, false], [true, true, true, true, true], [true, true, true, true, true]]);
  expect(figures.embeddingShape).toEqual([16, 64, 32]);
  expect(figures.simpleRnnShapes).toEqual(['(None, 64, 32)', '(None, 64)', '(None, 5)']);
  expect(figures.variableLength).toEqual(['batch of 2 sequences of length 7 -> (2, 5)', 'batch of 3 sequences of length 20 -> (3, 5)', 'batch of 1 sequences of length 64 -> (1, 5)']);
  expect(figures.stackedShapes).toEqual(['(None, None, 32)', '(None, 64)']);
  expect(figures.bidirectionalShapes).toEqual({ concat: ['(None, None, 64)', '(None, 128)'], sum: '(None, None, 32)', concrete: [4, 128] });
  expect(figures.maskedMatchesUnpadded).toBe(true);
}, 30000);

test('layer-shapes (seeds 002, 003, 004): shapes and parameter counts', async () => {
  const { figures, lines } = await smoke('layer-shapes');
  expect(figures.seed003).toEqual({
    'SimpleRNN(16)': ['(1, 16)'],
    'SimpleRNN(16, returnSequences)': ['(1, 10, 16)'],
    'SimpleRNN(16, returnState)': ['(1, 16)', '(1, 16)'],
    'GRU(16)': ['(1, 16)'],
    'GRU(16, returnSequences)': ['(1, 10, 16)'],
    'GRU(16, returnSequences, returnState)': ['(1, 10, 16)', '(1, 16)'],
    'LSTM(16)': ['(1, 16)'],
    'LSTM(16, returnSequences, returnState)': ['(1, 10, 16)', '(1, 16)', '(1, 16)'],
  });
  expect(figures.simpleRnnStateEqualsOutput).toBe(true);
  expect(figures.seed004Shapes).toEqual({
    'LSTM(32)': ['(100, 32)'],
    'LSTM(32, returnSequences)': ['(100, 10, 32)'],
    'LSTM(32, returnState)': ['(100, 32)', '(100, 32)', '(100, 32)'],
    'LSTM(32, returnSequences, returnState)': ['(100, 10, 32)', '(100, 32)', '(100, 32)'],
  });
  // seed 004's summaries
  expect(Object.values(figures.seed004Params as Record<string, number>)).toEqual([1121, 3201, 4385, 3393, 6449]);
  const layers = figures.seed004Layers as Record<string, { layer: string; shape: string; params: number }[]>;
  expect(layers['stacked SimpleRNN(32, relu) x 2']).toEqual([
    { layer: 'SimpleRNN', shape: '(None, 10, 32)', params: 1088 },
    { layer: 'SimpleRNN', shape: '(None, 32)', params: 2080 },
    { layer: 'Dense', shape: '(None, 1)', params: 33 },
  ]);
  expect(layers['LSTM(32)'][0].params).toBe(4352);
  expect(layers['GRU(32)'][0].params).toBe(3360);
  expect(layers['TimeDistributed(Dense(16, relu)) + LSTM(32)']).toEqual([
    { layer: 'TimeDistributed', shape: '(None, 10, 16)', params: 144 },
    { layer: 'LSTM', shape: '(None, 32)', params: 6272 },
    { layer: 'Dense', shape: '(None, 1)', params: 33 },
  ]);
  // seed 002, section 5.1
  expect(figures.seed002Params).toEqual({ 'SimpleRNN(10) on (5, 2)': 130, 'Embedding(30, 10)': 300 });
  expect(figures.seed002Shapes).toEqual({ 'SimpleRNN(10) on (5, 2)': '(None, 10)', 'Embedding(30, 10)': '(None, 5, 10)' });
  expect(lines).toContain('Total params: 6,449 (25.19 KB)');
}, 60000);

describe.each([
  ['imdb-rnn', 643265, [640000, 0, 3104, 128, 0, 33]],
  ['imdb-lstm', 652577, [640000, 0, 12416, 128, 0, 33]],
])('%s (seed 002)', (name, total, perLayer) => {
  test('model, evaluation and plots', async () => {
    const { figures, lines, outDir } = await smoke(name);
    expect(figures.params).toEqual({ total, nonTrainable: 64, trainable: total - 64 });
    expect((figures.layers as { params: number }[]).map((l) => l.params)).toEqual([0, ...perLayer]);
    expect(figures.shapes).toEqual({ xTrain: [25000, 128], xTest: [25000, 128] });
    expect(lines).toContain('x_train shape: (25000, 128)');
    const cm = figures.confusionMatrix as number[][];
    expect(cm[0][0] + cm[0][1] + cm[1][0] + cm[1][1]).toBe(200);
    expect(figures.auc).toBeGreaterThanOrEqual(0);
    expect(figures.auc).toBeLessThanOrEqual(1);
    expect(lines.some((l) => l.startsWith('Threshold value is: '))).toBe(true);
    expect(files(outDir)).toEqual(['loss.svg', 'results.json', name === 'imdb-lstm' ? 'lstm.weights' : 'rnn.weights', 'roc.svg'].sort());
    svgOk(path.join(outDir, 'roc.svg'));
  }, 60000);
});

test("imdb-rnn --validate-on-test: the seed's protocol validates on the test reviews", async () => {
  const held = await smoke('imdb-rnn');
  const seed = await smoke('imdb-rnn', { validateOnTest: true });
  expect(held.figures.protocol).toBe('validation on 10% held out from training');
  expect(held.figures.samples).toEqual({ train: 200, validation: 100, test: 200 });
  expect(seed.figures.protocol).toBe('validation on the test set (the seed)');
  expect(seed.figures.samples).toEqual({ train: 200, validation: 200, test: 200 });
  expect(seed.lines).toContain("the seed's protocol: training on 200 reviews, validating (early stopping) on the 200 test reviews, testing on them");
  // different validation data, so different validation losses
  expect((seed.figures.history as Record<string, number[]>).val_loss).not.toEqual((held.figures.history as Record<string, number[]>).val_loss);
}, 60000);

test('imdb-textvectorization (seed 003): stacked SimpleRNN / GRU / LSTM from raw text', async () => {
  const { figures, lines } = await smoke('imdb-textvectorization');
  // seed 003's summary: 329,857 for the stacked SimpleRNN model
  expect(figures.params).toEqual({ SimpleRNN: 329857, GRU: 348769, LSTM: 357793 });
  // the seed's data path: getFile, textDatasetFromDirectory's split and messages, fit on the datasets
  expect(figures.split).toEqual({ train: 20000, validation: 5000, test: 25000 });
  expect(lines.slice(0, 6)).toEqual([
    'Found 25000 files belonging to 2 classes.', 'Using 20000 files for training.',
    'Found 25000 files belonging to 2 classes.', 'Using 5000 files for validation.',
    'Found 25000 files belonging to 2 classes.', expect.stringMatching(/^[01] /),
  ]);
  expect((figures.results as { valAccuracy: number[] }[]).every((r) => r.valAccuracy.length === 1)).toBe(true);
}, 60000);

test('mnist-autoencoder (seed 002): 10,950 parameters, 112 non-trainable, 2-d latent', async () => {
  const { figures, outDir } = await smoke('mnist-autoencoder');
  expect(figures.params).toEqual({ total: 10950, nonTrainable: 112, encoder: 6384 + 112 + 58, decoder: 10950 - (6384 + 112 + 58) });
  expect(figures.encoderOutputShape).toEqual([1, 2]);
  expect(files(outDir)).toEqual(['latent.svg', 'loss.svg', 'reconstructions.png', 'reconstructions.svg', 'results.json']);
}, 60000);

test('mnist-bilstm-autoencoder (seed 002): encoder 18,692 + decoder 30,716 = 49,408', async () => {
  const { figures, outDir } = await smoke('mnist-bilstm-autoencoder');
  expect(figures.params).toEqual({ total: 49408, nonTrainable: 224, encoder: 18692, decoder: 30716 });
  expect(figures.encoderOutputShape).toEqual([1, 100]);
  expect(figures.decoderOutputShape).toEqual([1, 28, 28]);
  expect(files(outDir)).toContain('class-means.svg');
  expect(files(outDir)).toContain('from-random-vector.png');
}, 60000);

test('hamlet-charlm (seed 001): LSTM(128) on one-hot characters, a sample from "The "', async () => {
  const { figures } = await smoke('hamlet-charlm');
  // LSTM(128) on 65 one-hot characters: 4*((65+128)*128+128); Dense(65): 128*65+65
  expect(figures.vocabulary).toBe(65);
  expect(figures.params).toBe(4 * ((65 + 128) * 128 + 128) + 128 * 65 + 65);
  expect((figures.sample as string).startsWith('The ')).toBe(true);
  expect(Number.isFinite(figures.heldOutCrossEntropy as number)).toBe(true);
}, 60000);

describe('the runner', () => {
  let errors: string[];
  let logs: string[];
  beforeEach(() => {
    errors = [];
    logs = [];
    jest.spyOn(console, 'error').mockImplementation((s: string) => void errors.push(s));
    jest.spyOn(console, 'log').mockImplementation((s: string) => void logs.push(s));
  });
  afterEach(() => jest.restoreAllMocks());

  test('an unknown name lists the available examples and exits with 1', async () => {
    expect(await main(['imdb-gru'])).toBe(1);
    const text = errors.join('\n');
    expect(text).toContain("unknown example 'imdb-gru'");
    for (const e of examples) expect(text).toContain(e.name);
  });

  test('no name prints the usage and exits with 1', async () => {
    expect(await main([])).toBe(1);
    expect(logs.join('\n')).toContain('available examples:');
  });

  test.each(['imdb-rnn', 'imdb-textvectorization', 'mnist-autoencoder', 'hamlet-charlm'])('%s with missing data: the datasets error, exit 1, no stack trace', async (name) => {
    const empty = path.join(tmp, 'no-data');
    fs.mkdirSync(empty, { recursive: true });
    expect(await main([name, '--smoke', '--data-dir', empty, '--out', path.join(tmp, `missing-${name}`)])).toBe(1);
    const text = errors.join('\n');
    expect(text).toContain(`${name}: the data it needs could not be loaded.`);
    expect(text).toContain(empty); // the datasets package names the path it looked at
    expect(text).not.toMatch(/\n\s+at /); // no stack trace
  });
});

test('moving-models: the trained model predicts the same from its seqlab file, in TensorFlow.js and in ONNX Runtime', async () => {
  const { figures, lines, outDir } = await smoke('moving-models');
  expect(figures.seqlabDiff).toBe(0);
  expect(figures.tfjsDiff).toBeLessThanOrEqual(1e-5);
  expect(figures.onnxDiff).toBeLessThanOrEqual(1e-5);
  expect(files(outDir)).toEqual(['model.onnx', 'model.seqlab', 'results.json', 'tfjs']);
  expect(files(path.join(outDir, 'tfjs'))).toEqual(['group1-shard1of1.bin', 'model.json']);
  expect(lines.some((l) => /^ONNX \(opset 14\)\s+onnxruntime-web/.test(l))).toBe(true);
}, 60000);
