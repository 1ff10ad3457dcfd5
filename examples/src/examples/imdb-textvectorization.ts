/**
 * Seed 003, "Build a recurrent network", on the seed's own data path: `getFile` with `untar` for
 * the IMDb archive, `textDatasetFromDirectory('aclImdb/train', { batchSize: 128,
 * validationSplit: 0.2, subset: 'training' | 'validation', seed: 123 })` (20,000 / 5,000 reviews,
 * read from disk batch by batch), `vectorizeLayer.adapt(trainDs.map(([x]) => x))`, then
 * `model.fit(trainDs, { validationData: valDs, epochs: 10 })`. The model: raw text through a
 * TextVectorization layer (custom standardization: lowercase, drop '<br />', strip punctuation;
 * 10,000 tokens; 100 ids per review) into Embedding(10000, 32) and two stacked recurrent layers
 * (64 with returnSequences, then 32), Dense(16, relu), Dense(1, sigmoid); the same model with
 * SimpleRNN, GRU and LSTM, compared. Stacked SimpleRNN: 329,857 parameters (seed 003's summary).
 *
 * Differs from the seed: the archive is extracted into seqlab's cache (the seed: the working
 * folder); instead of deleting the unlabeled `unsup` folder, `classNames: ['neg', 'pos']` leaves
 * it out (the shared archive has none). Added: accuracy on the 25,000 test reviews (streamed the
 * same way), which the seed does not report, and a time budget per model so the three fit in
 * 30 minutes on 2 cores (`--budget 0` runs the seed's full 10 epochs, `--epochs N` changes them).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Dense, Embedding, GRU, LSTM, Sequential, SimpleRNN, setSeed } from '@seqlab/layers';
import { Dataset, Element, TextVectorization, getFile, textDatasetFromDirectory } from '@seqlab/datasets';
import { Tensor } from '@seqlab/tensor';
import { Example, Figures, RunOptions, loadOrFail, logger, machine, outputDir, progressTo, saveFigures, seconds, table } from '../lib/common';
import { COLORS, saveSvg } from '../lib/plot';
import { TimeBudget } from '../lib/time_budget';

/** The seed's download (the shared data holds the same layout as `imdb/aclImdb-reviews.tar.gz`, which getFile finds). */
export const IMDB_URL = 'https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz';

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

/**
 * The extracted `aclImdb` folder, as the seed gets it: `get_file("aclImdb_v1.tar.gz", url,
 * untar=True)`. With `--data-dir DIR` the archive is DIR/imdb/aclImdb-reviews.tar.gz, extracted
 * beside it.
 */
export async function imdbFolder(dataDir?: string): Promise<string> {
  if (!dataDir) return path.join(await getFile('aclImdb_v1.tar.gz', IMDB_URL, { untar: true }), 'aclImdb');
  const archive = path.join(dataDir, 'imdb', 'aclImdb-reviews.tar.gz');
  if (!fs.existsSync(archive)) throw new Error(`no IMDb archive at ${archive} (--data-dir expects DIR/imdb/aclImdb-reviews.tar.gz, the layout of ../shared/data)`);
  return path.join(await getFile(path.basename(archive), IMDB_URL, { untar: true, cacheDir: dataDir, cacheSubdir: 'imdb', download: false }), 'aclImdb');
}

export async function run(options: RunOptions = {}): Promise<Figures> {
  const log = logger(options);
  const dir = outputDir('imdb-textvectorization', options);
  const started = Date.now();
  const host = machine();
  const aclImdb = await loadOrFail(() => imdbFolder(options.dataDir));
  const opts = { batchSize: 128, validationSplit: 0.2, seed: 123, classNames: ['neg', 'pos'], log };
  let trainDs: Dataset<Element> = await textDatasetFromDirectory(path.join(aclImdb, 'train'), { ...opts, subset: 'training' });
  let valDs: Dataset<Element> = await textDatasetFromDirectory(path.join(aclImdb, 'train'), { ...opts, subset: 'validation' });
  let testDs: Dataset<Element> = await textDatasetFromDirectory(path.join(aclImdb, 'test'), { batchSize: options.smoke ? 64 : 500, shuffle: false, classNames: ['neg', 'pos'], log });
  const split = { train: trainDs.filePaths!.length, validation: valDs.filePaths!.length, test: testDs.filePaths!.length };
  const samples = { ...split };
  if (options.smoke) {
    [trainDs, valDs, testDs] = [trainDs.take(1), valDs.take(1), testDs.take(1)];
    Object.assign(samples, { train: 128, validation: 128, test: 64 });
  }
  for await (const [texts, labels] of trainDs.take(1) as AsyncIterable<[string[], Tensor]>) {
    for (let i = 0; i < 3; i++) log(`${labels.data[i]} ${texts[i].slice(0, 160)}...`);
  }

  const vectorizeLayer = new TextVectorization({ standardize: customStandardization, maxTokens: VOCAB_SIZE, outputMode: 'int', outputSequenceLength: SEQUENCE_LENGTH });
  const textDs = trainDs.map((e) => (e as [string[], Tensor])[0]); // the text-only dataset the seed adapts on
  await vectorizeLayer.adapt(textDs);
  log(`vocabulary: ${vectorizeLayer.vocabularySize()} tokens, first 10: ${JSON.stringify(vectorizeLayer.getVocabulary().slice(0, 10))}`);

  const results: { cell: CellName; params: number; epochs: number; valAccuracy: number[]; valLoss: number[]; trainAccuracy: number[]; testAccuracy: number; testLoss: number; seconds: number }[] = [];
  for (const cell of Object.keys(CELLS) as CellName[]) {
    log('');
    log(`== ${cell} x 2 ==`);
    setSeed(30);
    const model = buildModel(vectorizeLayer, cell);
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const t0 = Date.now();
    const minutes = options.budgetMinutes ?? 7.5;
    const budget = minutes > 0 ? [new TimeBudget(minutes * 60, log)] : [];
    const hist = await model.fit(trainDs, {
      validationData: valDs, epochs: options.smoke ? 1 : (options.epochs ?? 10),
      callbacks: budget, verbose: 2, progressSink: progressTo(log),
    });
    model.summary(undefined, log);
    const [testLoss, testAccuracy] = (await model.evaluate(testDs)) as number[];
    const h = hist.history as Record<string, number[]>;
    const r = { cell, params: model.countParams(), epochs: h.loss.length, valAccuracy: h.val_accuracy, valLoss: h.val_loss, trainAccuracy: h.accuracy, testAccuracy, testLoss, seconds: seconds(t0) };
    log(`${cell}: test accuracy ${testAccuracy.toFixed(4)} (loss ${testLoss.toFixed(4)}) on ${samples.test} test reviews, ${r.seconds}s`);
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
  const figures: Figures = { params: Object.fromEntries(results.map((r) => [r.cell, r.params])), results, split, samples, seconds: seconds(started), machine: host, plots: [plot] };
  log(`Plot: ${plot}`);
  log(`Total ${figures.seconds}s`);
  saveFigures(dir, figures);
  return figures;
}

export const example: Example = { name: 'imdb-textvectorization', description: 'seed 003: raw text through TextVectorization into stacked SimpleRNN, GRU and LSTM models, compared', run };
