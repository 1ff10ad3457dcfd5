/**
 * Seed 003, "Build a recurrent network": raw review text through a TextVectorization layer (custom
 * standardization: lowercase, drop '<br />', strip punctuation; 10,000 tokens; 100 ids per review)
 * into Embedding(10000, 32) and two stacked recurrent layers (64 with returnSequences, then 32),
 * Dense(16, relu), Dense(1, sigmoid); the same model with SimpleRNN, GRU and LSTM, compared.
 * Stacked SimpleRNN: 329,857 parameters (seed 003's summary).
 *
 * As in the seed: the 25,000 training reviews split 80/20 (20,000 train / 5,000 validation),
 * batch 128, Adam, 10 epochs. Added: accuracy on the 25,000 test reviews, which the seed does not
 * report, and a time budget per model so the three fit in 30 minutes on 2 cores.
 */
import { Dense, Embedding, GRU, LSTM, Sequential, SimpleRNN, setSeed } from '@seqlab/layers';
import { TextVectorization, imdb, mnist } from '@seqlab/datasets';
import { Tensor, reshape, slice } from '@seqlab/tensor';
import * as path from 'path';
import { Example, Figures, RunOptions, loadOrFail, logger, machine, outputDir, progressTo, saveFigures, seconds, table } from '../lib/common';
import { COLORS, saveSvg } from '../lib/plot';
import { TimeBudget } from '../lib/time_budget';

const VOCAB_SIZE = 10000;
const SEQUENCE_LENGTH = 100;
const EMBEDDING_DIM = 32;
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g; // Python's string.punctuation

/** The seed's custom_standardization: lowercase, '<br />' to a space, punctuation removed. */
export function customStandardization(s: string): string {
  return s.toLowerCase().split('<br />').join(' ').replace(PUNCTUATION, '');
}

const CELLS = { SimpleRNN, GRU, LSTM } as const;
type CellName = keyof typeof CELLS;

export function buildModel(vectorizeLayer: TextVectorization, cell: CellName): Sequential {
  const Cell = CELLS[cell];
  return new Sequential([
    vectorizeLayer as never, // a StringVectorizer: Sequential wraps it as its first layer
    new Embedding({ inputDim: VOCAB_SIZE, outputDim: EMBEDDING_DIM, name: 'embedding' }),
    new Cell({ units: 64, returnSequences: true }),
    new Cell({ units: 32, returnSequences: false }),
    new Dense({ units: 16, activation: 'relu' }),
    new Dense({ units: 1, activation: 'sigmoid' }),
  ]);
}

/** Seeded 80/20 split of texts and labels (the seed's validation_split=0.2, seed=123). */
function splitTexts(texts: string[], labels: Tensor, seed: number): [[string[], Tensor], [string[], Tensor]] {
  const idx = new Tensor(Float32Array.from(texts.keys()), [texts.length]);
  const [[iTrain, yTrain], [iVal, yVal]] = mnist.trainValidationSplit(idx, labels, { validationSplit: 0.2, seed });
  return [
    [Array.from(iTrain.data, (i) => texts[i]), yTrain],
    [Array.from(iVal.data, (i) => texts[i]), yVal],
  ];
}

export async function run(options: RunOptions = {}): Promise<Figures> {
  const log = logger(options);
  const dir = outputDir('imdb-textvectorization', options);
  const started = Date.now();
  const host = machine();
  const source = options.dataDir ? { path: path.join(options.dataDir, 'imdb', 'aclImdb-reviews.tar.gz') } : {};
  const [[texts, labels], [testTexts, testLabels]] = await loadOrFail(() => imdb.loadTexts(source));
  let [[trainTexts, yTrain], [valTexts, yVal]] = splitTexts(texts, labels, 123);
  let [tTexts, yTest] = [testTexts, testLabels];
  if (options.smoke) {
    [trainTexts, valTexts, tTexts] = [trainTexts.slice(0, 200), valTexts.slice(0, 100), tTexts.slice(0, 100)];
    [yTrain, yVal, yTest] = [slice(yTrain, [0], [200]), slice(yVal, [0], [100]), slice(yTest, [0], [100])];
  }
  log(`Found ${texts.length} files belonging to 2 classes. Using ${trainTexts.length} files for training, ${valTexts.length} for validation.`);
  log(`first review (label ${yTrain.data[0]}): ${trainTexts[0].slice(0, 200)}...`);

  const vectorizeLayer = new TextVectorization({ standardize: customStandardization, maxTokens: VOCAB_SIZE, outputMode: 'int', outputSequenceLength: SEQUENCE_LENGTH });
  vectorizeLayer.adapt(trainTexts);
  log(`vocabulary: ${vectorizeLayer.vocabularySize()} tokens, first 10: ${JSON.stringify(vectorizeLayer.getVocabulary().slice(0, 10))}`);
  log(`vectorized first review: ${Array.from(vectorizeLayer.call([trainTexts[0]]).data.slice(0, 12)).join(' ')} ...`);

  const col = (t: Tensor) => reshape(t, [-1, 1]);
  const results: { cell: CellName; params: number; epochs: number; valAccuracy: number[]; valLoss: number[]; trainAccuracy: number[]; testAccuracy: number; testLoss: number; seconds: number }[] = [];
  for (const cell of Object.keys(CELLS) as CellName[]) {
    log('');
    log(`== ${cell} x 2 ==`);
    setSeed(30);
    const model = buildModel(vectorizeLayer, cell);
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const t0 = Date.now();
    const budget = new TimeBudget(7.5 * 60, log);
    const hist = await model.fit(trainTexts as never, col(yTrain), {
      validationData: [valTexts as never, col(yVal)], epochs: options.smoke ? 1 : 10, batchSize: 128, seed: 123,
      callbacks: [budget], verbose: 2, progressSink: progressTo(log),
    });
    model.summary(undefined, log);
    const [testLoss, testAccuracy] = model.evaluate(tTexts as never, col(yTest), { batchSize: 500 }) as number[];
    const h = hist.history as Record<string, number[]>;
    const r = { cell, params: model.countParams(), epochs: h.loss.length, valAccuracy: h.val_accuracy, valLoss: h.val_loss, trainAccuracy: h.accuracy, testAccuracy, testLoss, seconds: seconds(t0) };
    log(`${cell}: test accuracy ${testAccuracy.toFixed(4)} (loss ${testLoss.toFixed(4)}) on ${tTexts.length} test reviews, ${r.seconds}s`);
    results.push(r);
  }
  log('');
  const rows = results.map((r) => [r.cell, r.params, r.epochs, r.trainAccuracy.slice(-1)[0].toFixed(4), Math.max(...r.valAccuracy).toFixed(4), r.valAccuracy.slice(-1)[0].toFixed(4), r.testAccuracy.toFixed(4), `${r.seconds}s`]);
  for (const line of table(['model', 'params', 'epochs', 'train acc', 'best val acc', 'last val acc', 'test acc', 'time'], rows)) log(line);

  const values = results.flatMap((r) => [
    ...r.trainAccuracy.map((a, e) => ({ cell: r.cell, epoch: e + 1, accuracy: a, set: 'training' })),
    ...r.valAccuracy.map((a, e) => ({ cell: r.cell, epoch: e + 1, accuracy: a, set: 'validation' })),
  ]);
  const plot = await saveSvg(dir, 'accuracy.svg', {
    title: 'Stacked recurrent layers on IMDb text: accuracy per epoch',
    data: { values },
    facet: { column: { field: 'cell', type: 'nominal', title: null, sort: Object.keys(CELLS) } },
    spec: {
      width: 220,
      height: 200,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'Epoch', axis: { tickMinStep: 1 } },
        y: { field: 'accuracy', type: 'quantitative', title: 'Accuracy', scale: { zero: false } },
        color: { field: 'set', type: 'nominal', title: null, scale: { range: COLORS } },
      },
    },
  });
  const figures: Figures = { params: Object.fromEntries(results.map((r) => [r.cell, r.params])), results, samples: { train: trainTexts.length, validation: valTexts.length, test: tTexts.length }, seconds: seconds(started), machine: host, plots: [plot] };
  log(`Plot: ${plot}`);
  log(`Total ${figures.seconds}s`);
  saveFigures(dir, figures);
  return figures;
}

export const example: Example = { name: 'imdb-textvectorization', description: 'seed 003: raw text through TextVectorization into stacked SimpleRNN, GRU and LSTM models, compared', run };
