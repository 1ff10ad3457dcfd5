/**
 * Seed 002, sections 5.3 to 5.5: MNIST digits as sequences of 28 rows of 28 pixels.
 *
 * `mnist-autoencoder`: an LSTM encoder down to a 2-d latent vector (sequence-to-vector), then
 * RepeatVector + LSTM + TimeDistributed(Dense) back to 28 rows (vector-to-sequence): 10,950
 * parameters, 112 of them non-trainable (the BatchNormalization moving statistics).
 * `mnist-bilstm-autoencoder`: Bidirectional LSTMs and a 100-d latent; encoder 18,692, decoder
 * 30,716, together 49,408 (224 non-trainable). The encoder and decoder are models of their own:
 * encoder.predict(one digit) -> a vector; decoder.predict(random vector) -> a digit-like image;
 * the rounded mean image of each class through encoder and decoder (seed 002's figure 5.18).
 *
 * Differs from the seed: the 60,000 MNIST training images are not in ../shared/data, so the
 * 10,000 test images are split (seeded) into 8,000 for training and 2,000 held out for validation
 * (early stopping and every reported figure); the seed trained on 60,000 and validated on the test set.
 * A 25-minute time budget (lib/time_budget.ts) also ends training, so a run stays under 30 minutes.
 */
import {
  Adam, BatchNormalization, Bidirectional, Dense, Dropout, EarlyStopping, LSTM, Model, ReduceLROnPlateau,
  RepeatVector, TimeDistributed, input, setSeed,
} from '@seqlab/layers';
import { mnist } from '@seqlab/datasets';
import { Tensor, gather, randomUniform, slice } from '@seqlab/tensor';
import { Example, Figures, RunOptions, kerasShape, loadOrFail, logger, machine, one, outputDir, progressTo, saveFigures, seconds } from '../lib/common';
import { imageGridSpec, lossCurveSpec, savePng, saveSvg, scatterSpec } from '../lib/plot';
import { gridPng } from '../lib/png';
import * as path from 'path';
import { TimeBudget } from '../lib/time_budget';

const SEQ = 28; // rows per image = steps per sequence; also the units of every LSTM, as in the seed

interface Built {
  encoder: Model;
  decoder: Model;
  autoencoder: Model;
}

/** Seed 002, figure 5.10: one graph; the encoder is the sub-graph up to the latent vector. */
function buildLstm(): Built {
  const inptVec = input({ shape: [SEQ, SEQ] });
  const l1 = one(new Dropout({ rate: 0.1 }).apply(inptVec));
  const l2 = one(new LSTM({ units: SEQ, activation: 'tanh', recurrentActivation: 'sigmoid' }).apply(l1));
  const l3 = one(new BatchNormalization().apply(l2));
  const l4 = one(new Dropout({ rate: 0.1 }).apply(l3));
  const l5 = one(new Dense({ units: 2, activation: 'sigmoid' }).apply(l4));
  const encoder = new Model({ inputs: inptVec, outputs: l5, name: 'encoder' });
  const repeat = new RepeatVector({ n: SEQ });
  const lstm = new LSTM({ units: SEQ, activation: 'tanh', recurrentActivation: 'sigmoid', returnSequences: true });
  const bn = new BatchNormalization();
  const td = new TimeDistributed({ layer: new Dense({ units: SEQ, activation: 'sigmoid' }) });
  const l9 = one(td.apply(one(bn.apply(one(lstm.apply(one(repeat.apply(l5))))))));
  const autoencoder = new Model({ inputs: inptVec, outputs: l9, name: 'autoencoder' });
  // the same decoder layers (shared weights) as a model of their own, from a 2-d vector
  const ltnt = input({ shape: [2] });
  const decoder = new Model({ inputs: ltnt, outputs: one(td.apply(one(bn.apply(one(lstm.apply(one(repeat.apply(ltnt)))))))), name: 'decoder' });
  return { encoder, decoder, autoencoder };
}

/** Seed 002, figure 5.15: encoder and decoder models, composed into the autoencoder. */
function buildBiLstm(latent = 100): Built {
  const inptVec = input({ shape: [SEQ, SEQ] });
  let h = one(new Dropout({ rate: 0.5 }).apply(inptVec));
  h = one(new Bidirectional({ layer: new LSTM({ units: SEQ, activation: 'tanh', recurrentActivation: 'sigmoid' }) }).apply(h));
  h = one(new BatchNormalization().apply(h));
  h = one(new Dropout({ rate: 0.5 }).apply(h));
  const l5 = one(new Dense({ units: latent, activation: 'sigmoid' }).apply(h));
  const encoder = new Model({ inputs: inptVec, outputs: l5, name: 'encoder' });

  const ltntVec = input({ shape: [latent] });
  let d = one(new Dropout({ rate: 0.1 }).apply(ltntVec));
  d = one(new RepeatVector({ n: SEQ }).apply(d));
  d = one(new Bidirectional({ layer: new LSTM({ units: SEQ, activation: 'tanh', recurrentActivation: 'sigmoid', returnSequences: true }) }).apply(d));
  d = one(new BatchNormalization().apply(d));
  const l10 = one(new TimeDistributed({ layer: new Dense({ units: SEQ, activation: 'sigmoid' }) }).apply(d));
  const decoder = new Model({ inputs: ltntVec, outputs: l10, name: 'decoder' });

  const inpt = input({ shape: [SEQ, SEQ], name: 'input' });
  const recon = one(decoder.apply(one(encoder.apply(inpt))));
  const autoencoder = new Model({ inputs: inpt, outputs: recon, name: 'ae' });
  return { encoder, decoder, autoencoder };
}

const rowsOf = (t: Tensor, i: number): Float32Array => Float32Array.from(t.data.subarray(i * SEQ * SEQ, (i + 1) * SEQ * SEQ));

/** The first validation image of each digit 0..9 (the seed picks test images 3, 2, 1, 18, 4, 8, 11, 0, 61, 9). */
function onePerDigit(labels: Tensor): number[] {
  const idx: number[] = [];
  for (let d = 0; d < 10; d++) {
    const i = Array.from(labels.data).findIndex((v) => v === d);
    if (i >= 0) idx.push(i);
  }
  return idx;
}

function runner(variant: 'lstm' | 'bilstm') {
  const name = variant === 'lstm' ? 'mnist-autoencoder' : 'mnist-bilstm-autoencoder';
  return async function run(options: RunOptions = {}): Promise<Figures> {
    const log = logger(options);
    const dir = outputDir(name, options);
    const started = Date.now();
    const host = machine();
    setSeed(variant === 'lstm' ? 2 : 3);
    const dataPath = options.dataDir ? { path: path.join(options.dataDir, 'mnist') } : {};
    let [[xTrain, yTrain], [xVal, yVal]] = await loadOrFail(() => mnist.loadTrainValidation({ normalize: true, validationSplit: 0.2, seed: 113, ...dataPath }));
    if (options.smoke) {
      xTrain = slice(xTrain, [0], [200]);
      yTrain = slice(yTrain, [0], [200]);
      xVal = slice(xVal, [0], [100]);
      yVal = slice(yVal, [0], [100]);
    }
    log(`x_train shape: ${kerasShape(xTrain.shape)}  (MNIST test images split 8,000 / 2,000: the training files are not in ../shared/data)`);
    log(`x_val shape: ${kerasShape(xVal.shape)}`);

    const { encoder, decoder, autoencoder } = variant === 'lstm' ? buildLstm() : buildBiLstm();
    const learningRate = options.learningRate ?? 1e-3;
    log(`Adam, learning rate ${learningRate}`);
    autoencoder.compile({ loss: 'binaryCrossentropy', optimizer: new Adam({ learningRate }) });
    autoencoder.summary(undefined, log);
    if (variant === 'bilstm') {
      encoder.summary(undefined, log);
      decoder.summary(undefined, log);
    }
    const nonTrainable = (m: Model) => m.nonTrainableWeights.reduce((n, w) => n + w.value.size, 0);
    const params = {
      total: autoencoder.countParams(),
      nonTrainable: nonTrainable(autoencoder),
      encoder: encoder.countParams(),
      decoder: variant === 'bilstm' ? decoder.countParams() : autoencoder.countParams() - encoder.countParams(),
    };

    const patience = { es: 15, lr: 5 }; // the seed's, for both models
    const maxEpochs = options.smoke ? 1 : 1000; // the seed's cap; early stopping or the time budget ends sooner
    const verbose = options.smoke ? 0 : 1;
    const callbacks = [
      new EarlyStopping({ monitor: 'val_loss', patience: patience.es, restoreBestWeights: true, verbose }),
      new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: patience.lr, minDelta: 1e-4, mode: 'min', verbose }),
      new TimeBudget(options.smoke ? 3600 : 25 * 60, log),
    ];
    const trainStart = Date.now();
    const hist = await autoencoder.fit(xTrain, xTrain, {
      batchSize: 100, epochs: maxEpochs, callbacks, shuffle: true, seed: 5,
      validationData: [xVal, xVal], verbose: 2, progressSink: progressTo(log),
    });
    const trainSeconds = seconds(trainStart);
    const history = hist.history as Record<string, number[]>;
    const valLoss = autoencoder.evaluate(xVal, xVal, { batchSize: 500 }) as number;
    log(`validation binary cross-entropy (best weights restored): ${valLoss.toFixed(4)} after ${history.loss.length} epochs, ${trainSeconds}s`);

    // sequence to vector
    const z0 = encoder.predict(slice(xVal, [0], [1])) as Tensor;
    log(`encoder.predict(x_val[0:1]) -> ${kerasShape(z0.shape)}${variant === 'lstm' ? ` ${JSON.stringify(Array.from(z0.data, (v) => +v.toFixed(6)))}` : ''}`);

    // originals and reconstructions, one per digit
    const idx = onePerDigit(yVal);
    const recon = autoencoder.predict(gather(xVal, idx)) as Tensor;
    const originals = idx.map((i) => rowsOf(xVal, i));
    const recons = idx.map((_, k) => rowsOf(recon, k));
    const plots: string[] = [];
    plots.push(await saveSvg(dir, 'loss.svg', lossCurveSpec(history, 'Model Loss Progress', 'Binary Cross-Entropy Loss')));
    plots.push(savePng(dir, 'reconstructions.png', gridPng([...originals, ...recons], SEQ, SEQ, 10)));
    plots.push(await saveSvg(dir, 'reconstructions.svg', imageGridSpec([...originals, ...recons], [...idx.map((i) => `original ${yVal.data[i]}`), ...idx.map((i) => `reconstructed ${yVal.data[i]}`)], SEQ, SEQ, `MNIST digits: originals (top) and ${variant === 'lstm' ? 'LSTM' : 'BiLSTM'} autoencoder reconstructions (bottom)`, 10)));

    const figures: Figures = { params, learningRate, epochs: history.loss.length, valBinaryCrossentropy: valLoss, history, encoderOutputShape: z0.shape, trainSeconds };
    if (variant === 'lstm') {
      // the 2-d latent space of the validation images, colored by digit (seed 002's figure 5.13)
      const z = encoder.predict(xVal, { batchSize: 500 }) as Tensor;
      const points = Array.from({ length: z.shape[0] }, (_, i) => ({ x: z.data[2 * i], y: z.data[2 * i + 1], label: String(yVal.data[i]) }));
      plots.push(await saveSvg(dir, 'latent.svg', scatterSpec(points, 'LSTM-based Encoder', 'First encoder dimension', 'Second encoder dimension')));
    } else {
      // vector to sequence from a random vector (np.random.rand(1, 100))
      const zRand = randomUniform([1, 100], 0, 1, { seed: 100 });
      const fromRandom = decoder.predict(zRand) as Tensor;
      log(`decoder.predict(random vector (1, 100)) -> ${kerasShape(fromRandom.shape)}`);
      figures.decoderOutputShape = fromRandom.shape;
      // sequence to sequence: each class's rounded mean image through encoder then decoder
      const means: Float32Array[] = [];
      for (let d = 0; d < 10; d++) {
        const mean = new Float32Array(SEQ * SEQ);
        let count = 0;
        for (let i = 0; i < yVal.shape[0]; i++) {
          if (yVal.data[i] !== d) continue;
          count++;
          const img = rowsOf(xVal, i);
          for (let p = 0; p < mean.length; p++) mean[p] += img[p];
        }
        for (let p = 0; p < mean.length; p++) mean[p] = count ? Math.round(mean[p] / count) : 0;
        means.push(mean);
      }
      const meanBatch = new Tensor(Float32Array.from(means.flatMap((m) => Array.from(m))), [10, SEQ, SEQ]);
      const decoded = decoder.predict(encoder.predict(meanBatch) as Tensor) as Tensor;
      log(`class means ${kerasShape(meanBatch.shape)} -> encoder ${kerasShape([10, 100])} -> decoder ${kerasShape(decoded.shape)}`);
      plots.push(await saveSvg(dir, 'from-random-vector.svg', imageGridSpec([rowsOf(fromRandom, 0)], ['decoder(random vector)'], SEQ, SEQ, 'Sequence produced from a random 100-d vector', 1)));
      plots.push(savePng(dir, 'from-random-vector.png', gridPng([rowsOf(fromRandom, 0)], SEQ, SEQ, 1, 6)));
      plots.push(savePng(dir, 'class-means.png', gridPng([...means, ...means.map((_, d) => rowsOf(decoded, d))], SEQ, SEQ, 10)));
      plots.push(await saveSvg(dir, 'class-means.svg', imageGridSpec([...means, ...means.map((_, d) => rowsOf(decoded, d))], [...means.map((_, d) => `mean ${d}`), ...means.map((_, d) => `decoded ${d}`)], SEQ, SEQ, 'Rounded class-mean images (top) through encoder and decoder (bottom)', 10)));
    }
    figures.seconds = seconds(started);
    figures.machine = host;
    figures.plots = plots;
    log(`Plots: ${plots.join(', ')}`);
    log(`Total ${figures.seconds}s`);
    saveFigures(dir, figures);
    return figures;
  };
}

export const lstmExample: Example = { name: 'mnist-autoencoder', description: 'seed 002 §5.3: LSTM autoencoder of MNIST rows, 2-d latent space, reconstructions', run: runner('lstm') };
export const bilstmExample: Example = { name: 'mnist-bilstm-autoencoder', description: 'seed 002 §5.4-5.5: BiLSTM autoencoder (latent 100), decoder from random and class-mean vectors', run: runner('bilstm') };
