/**
 * Seed 002, sections 5.1.2 and 5.2: IMDb sentiment with a SimpleRNN or an LSTM.
 *
 * Vocabulary 10,000, the 20 most frequent words dropped, reviews cut or padded to 128 ids,
 * Embedding(10000, 64) -> Dropout(0.3) -> SimpleRNN(32) | LSTM(32) -> BatchNormalization ->
 * Dropout(0.2) -> Dense(1, sigmoid); Adam, binary cross-entropy, batch 100; EarlyStopping
 * (val_loss, patience 7, best weights restored) and ReduceLROnPlateau (factor 0.5, patience 3).
 * Then, on the 25,000 test reviews: the ROC curve and its AUC, the threshold maximizing
 * tpr - fpr, the balanced accuracy and the confusion matrix at that threshold.
 *
 * Differs from the seed: the seed validated (and early-stopped) on the test set; here 10% of the
 * training reviews (2,500, seeded) are held out for validation, so the test set is used once, at
 * the end. `--validate-on-test` runs the seed's protocol instead (all 25,000 training reviews,
 * validation on the test set), to compare with the seed's figures. A time budget (lib/time_budget.ts) caps training so a run stays under 30 minutes.
 */
import {
  Adam, BatchNormalization, Dense, Dropout, EarlyStopping, Embedding, LSTM, Model, ReduceLROnPlateau, SimpleRNN,
  balancedAccuracy, confusionMatrix, input, rocCurve, auc, setSeed,
} from '@seqlab/layers';
import { imdb, mnist, padSequences } from '@seqlab/datasets';
import { Tensor, reshape, slice } from '@seqlab/tensor';
import * as path from 'path';
import { Example, Figures, RunOptions, kerasShape, loadOrFail, logger, machine, one, outputDir, progressTo, saveFigures, seconds } from '../lib/common';
import { lossCurveSpec, rocSpec, saveSvg } from '../lib/plot';
import { TimeBudget } from '../lib/time_budget';

const SEQNC_LENGTH = 128;
const EMBDDNG_DIM = 64;
const VOCAB_SIZE = 10000;
const INDEX_FROM = 3;

/** Loads IMDb as seed 002 does: ids, padded to 128 ('pre'), labels as [n, 1]. */
export async function loadImdb(options: RunOptions) {
  const source = options.dataDir ? { path: path.join(options.dataDir, 'imdb', 'aclImdb-reviews.tar.gz') } : {};
  const [[xTrainIds, yTrain], [xTestIds, yTest]] = await loadOrFail(() => imdb.loadData({ numWords: VOCAB_SIZE, skipTop: 20, startChar: 1, oovChar: 2, indexFrom: INDEX_FROM, ...source }));
  const wordIndex = await loadOrFail(() => imdb.getWordIndex(source));
  return {
    xTrain: padSequences(xTrainIds, { maxlen: SEQNC_LENGTH, dtype: 'float32' }), // a Tensor, sliced and split below
    yTrain: reshape(yTrain, [-1, 1]),
    xTest: padSequences(xTestIds, { maxlen: SEQNC_LENGTH, dtype: 'float32' }),
    yTest: reshape(yTest, [-1, 1]),
    wordIndex,
  };
}

export function buildModel(cell: 'SimpleRNN' | 'LSTM'): Model {
  const inptVec = input({ shape: [SEQNC_LENGTH] });
  const l1 = one(new Embedding({ inputDim: VOCAB_SIZE, outputDim: EMBDDNG_DIM, inputLength: SEQNC_LENGTH }).apply(inptVec));
  const l2 = one(new Dropout({ rate: 0.3 }).apply(l1));
  const l3 = one((cell === 'LSTM' ? new LSTM({ units: 32 }) : new SimpleRNN({ units: 32 })).apply(l2));
  const l4 = one(new BatchNormalization().apply(l3));
  const l5 = one(new Dropout({ rate: 0.2 }).apply(l4));
  const output = one(new Dense({ units: 1, activation: 'sigmoid' }).apply(l5));
  return new Model({ inputs: inptVec, outputs: output, name: 'functional' });
}

const take = (t: Tensor, n: number): Tensor => slice(t, [0], [Math.min(n, t.shape[0])]);

function runner(cell: 'SimpleRNN' | 'LSTM') {
  const name = cell === 'LSTM' ? 'imdb-lstm' : 'imdb-rnn';
  return async function run(options: RunOptions = {}): Promise<Figures> {
    const log = logger(options);
    const dir = outputDir(name, options);
    const started = Date.now();
    const host = machine();
    setSeed(cell === 'LSTM' ? 21 : 20);
    const data = await loadImdb(options);
    log(`x_train shape: ${kerasShape(data.xTrain.shape)}`);
    log(`x_test shape: ${kerasShape(data.xTest.shape)}`);
    // sample #7, as ids and as words (the seed's check)
    const ids7 = Array.from(slice(data.xTrain, [7, 0], [1, SEQNC_LENGTH]).data).filter((v) => v !== 0);
    log(ids7.map(String).join(' '));
    log(imdb.decodeReview(ids7, data.wordIndex, { indexFrom: INDEX_FROM, unknown: '<UNK>' }).join(' '));

    let [[xTrain, yTrain], [xVal, yVal]] = options.validateOnTest
      ? [[data.xTrain, data.yTrain], [data.xTest, data.yTest]]
      : mnist.trainValidationSplit(data.xTrain, data.yTrain, { validationSplit: 0.1, seed: 113 });
    let { xTest, yTest } = data;
    if (options.smoke) {
      [xTrain, yTrain, xVal, yVal, xTest, yTest] = [take(xTrain, 200), take(yTrain, 200), take(xVal, 100), take(yVal, 100), take(xTest, 200), take(yTest, 200)];
      if (options.validateOnTest) [xVal, yVal] = [xTest, yTest];
    }
    log(
      options.validateOnTest
        ? `the seed's protocol: training on ${xTrain.shape[0]} reviews, validating (early stopping) on the ${xVal.shape[0]} test reviews, testing on them`
        : `training on ${xTrain.shape[0]} reviews, validating on ${xVal.shape[0]} held out from the training set, testing on ${xTest.shape[0]}`,
    );

    const model = buildModel(cell);
    const learningRate = options.learningRate ?? 1e-3;
    log(`Adam, learning rate ${learningRate}`);
    model.compile({ loss: 'binaryCrossentropy', optimizer: new Adam({ learningRate }), metrics: ['accuracy'] });
    model.summary(undefined, log);

    const verbose = options.smoke ? 0 : 1;
    const budget = new TimeBudget(options.smoke ? 3600 : (cell === 'LSTM' ? 24 : 20) * 60, log);
    const callbacks = [
      new EarlyStopping({ monitor: 'val_loss', patience: 7, restoreBestWeights: true, verbose }),
      new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 3, minDelta: 1e-4, mode: 'min', verbose }),
      budget,
    ];
    const trainStart = Date.now();
    const hist = await model.fit(xTrain, yTrain, {
      batchSize: 100, epochs: options.smoke ? 1 : 1000, callbacks, shuffle: true, seed: 11,
      validationData: [xVal, yVal], verbose: 2, progressSink: progressTo(log),
    });
    const trainSeconds = seconds(trainStart);
    const history = hist.history as Record<string, number[]>;
    const bestEpoch = (callbacks[0] as EarlyStopping).bestEpoch + 1;
    log(`trained ${history.loss.length} epochs in ${trainSeconds}s; best val_loss at epoch ${bestEpoch} (weights restored)`);
    await model.saveWeights(path.join(dir, `${cell === 'LSTM' ? 'lstm' : 'rnn'}.weights`));

    // ---- the seed's evaluation on the test set
    const evalStart = Date.now();
    const yHat = model.predict(xTest, { batchSize: 500 }) as Tensor;
    const { fpr, tpr, thresholds } = rocCurve(yTest, yHat);
    const rocAuc = auc(fpr, tpr);
    let optimalIdx = 0;
    for (let i = 1; i < fpr.length; i++) if (tpr[i] - fpr[i] > tpr[optimalIdx] - fpr[optimalIdx]) optimalIdx = i;
    const optimalThreshold = thresholds[optimalIdx];
    log(`Threshold value is: ${optimalThreshold}`);
    const yPred = Array.from(yHat.data, (v) => (v >= optimalThreshold ? 1 : 0));
    const yTrue = Array.from(yTest.data);
    const balanced = balancedAccuracy(yTrue, yPred);
    const cm = confusionMatrix(yTrue, yPred, 2);
    log(String(balanced));
    log(`[[${cm[0].join(' ')}]`);
    log(` [${cm[1].join(' ')}]]`);
    const accuracy = (cm[0][0] + cm[1][1]) / yTrue.length;
    log(`ROC AUC ${rocAuc.toFixed(4)}; balanced accuracy ${balanced.toFixed(4)}; accuracy at 0.5: ${(yTrue.filter((t, i) => (yHat.data[i] >= 0.5 ? 1 : 0) === t).length / yTrue.length).toFixed(4)}`);
    const plots = [
      await saveSvg(dir, 'loss.svg', lossCurveSpec(history, 'Model Loss Progress', 'Binary Cross-Entropy Loss')),
      await saveSvg(dir, 'roc.svg', rocSpec(fpr, tpr, rocAuc)),
    ];
    const nonTrainable = model.nonTrainableWeights.reduce((n, w) => n + w.value.size, 0);
    const figures: Figures = {
      params: { total: model.countParams(), nonTrainable, trainable: model.countParams() - nonTrainable },
      learningRate,
      protocol: options.validateOnTest ? 'validation on the test set (the seed)' : 'validation on 10% held out from training',
      layers: model.layers.map((l) => ({ name: l.name, className: l.className, params: l.countParams() })),
      shapes: { xTrain: data.xTrain.shape, xTest: data.xTest.shape },
      samples: { train: xTrain.shape[0], validation: xVal.shape[0], test: xTest.shape[0] },
      epochs: history.loss.length,
      bestEpoch,
      stoppedByTimeBudget: budget.stoppedEpoch >= 0,
      history,
      auc: rocAuc,
      optimalThreshold,
      balancedAccuracy: balanced,
      accuracyAtOptimalThreshold: accuracy,
      confusionMatrix: cm,
      trainSeconds,
      evalSeconds: seconds(evalStart),
      seconds: seconds(started),
      machine: host,
      plots,
    };
    log(`Plots: ${plots.join(', ')}`);
    log(`Total ${figures.seconds}s`);
    saveFigures(dir, figures);
    return figures;
  };
}

export const rnnExample: Example = { name: 'imdb-rnn', description: 'seed 002 §5.1.2: IMDb sentiment with SimpleRNN(32); ROC/AUC, optimal threshold, balanced accuracy, confusion matrix', run: runner('SimpleRNN') };
export const lstmExample: Example = { name: 'imdb-lstm', description: 'seed 002 §5.2: the same model with LSTM(32)', run: runner('LSTM') };
