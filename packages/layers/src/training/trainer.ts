/**
 * fit, as Keras runs it (compile's losses and metrics, data checks and evaluate: training/evaluator.ts).
 *
 * One training step: forward in training mode while the tape records, loss (masked and weighted),
 * backward to every trainable weight (backpropagation through time happens inside the recurrent
 * layers' tape nodes), the global gradient norm measured before clipping, then the optimizer's
 * clipped update. Everything `fit` can check about its data is checked before the first update.
 */
import { globalNorm, gradients, noGrad, variableGrads } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Rng, Tensor, withStepBuffers } from '@seqlab/tensor';
import { withRng } from '../initializers';
import { Callback, History, Logs } from './callbacks';
import { Optimizer, getOptimizer } from './optimizers';
import { ProgressBar, ProgressSink } from './progress';
import { ModelSideState, backwardWhere, nonFiniteGradients, restoreSideState, sideState } from './nonfinite';
import * as V from './validate';
import { AbortError, Yielder, YieldEvery } from './yielding';
import { BatchFeed, BatchSource, EpochReader, Prepared, isBatchSource, RAN_OUT_WARNING, arrayFeed, checkBounded, refuseArrayOptions, sourceCall, stepsOption, takeBatch } from './batch_source';
import { CompileArgs, Data, Evaluator, TrainableModel } from './evaluator';

/**
 * Options of `fit`, Keras's names in camelCase: batchSize (32), epochs (1), validation data or
 * split, callbacks, shuffle, class and sample weights, verbosity, plus `yieldEvery` and `signal`.
 */
export interface FitOptions {
  batchSize?: number;
  epochs?: number;
  initialEpoch?: number;
  /** Shuffle the training samples each epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Seed of the shuffling (default: the shared generator set by setSeed). */
  seed?: number;
  /** Arrays `[x, y]` / `[x, y, sampleWeight]`, or a dataset (any iterable of such batches). */
  validationData?: [Data, Data] | [Data, Data, Tensor | number[]] | BatchSource;
  /** Batches per epoch; the data's pass then goes on across epochs (training/batch_source.ts). */
  stepsPerEpoch?: number;
  /** Batches of validationData read at the end of each epoch (default: a whole pass). */
  validationSteps?: number;
  /** Fraction of the samples, taken from the end before shuffling, held out for validation (as Keras). */
  validationSplit?: number;
  classWeight?: Record<number, number>;
  sampleWeight?: Tensor | number[];
  callbacks?: Callback[];
  /** 0 silent, 1 progress bar (one line per epoch when not a terminal), 2 one line per epoch. Default 1. */
  verbose?: 0 | 1 | 2;
  /** Where progress goes (default stdout). */
  progressSink?: ProgressSink;
  /** When to yield to the event loop: 'auto' (default, every 125 ms), 'batch', 'epoch', 'never', or milliseconds. */
  yieldEvery?: YieldEvery;
  /** Stops training at the next batch boundary; the promise then rejects with an AbortError (training/yielding.ts). */
  signal?: AbortSignal;
}

/** Options accepted beside validate.ts's list: step counts (for datasets and arrays alike). */
const STEP_FIT_OPTIONS = ['stepsPerEpoch', 'validationSteps'];

/** Models inside a fit: a second concurrent fit of the same model is refused. */
const fitting = new WeakSet<TrainableModel>();

/** What `compile` makes: the loss, metrics and optimizer of a model, and the loops of `fit`. */
export class Trainer extends Evaluator {
  readonly optimizer: Optimizer;

  constructor(model: TrainableModel, args: CompileArgs) {
    super(model, args);
    this.optimizer = getOptimizer(args.optimizer);
  }

  /**
   * `trainBatch` and the metrics' update, as one step of step buffers (tensor's step_buffers.ts):
   * the large arrays that live for the step (an embedding's rows, a Dense layer's products, a
   * recurrent layer's output sequence, the loss's arrays, and their gradients) go back to the
   * buffer pool when it ends, after the optimizer's update, and the next step reuses their memory.
   * The predictions are not recycled when a loss or metric of the user's could have kept them.
   */
  private trainStep(xs: Tensor[], ys: Tensor[], weights: Tensor | null): ReturnType<Trainer['trainBatch']> {
    return withStepBuffers(() => {
      const r = this.trainBatch(xs, ys, weights);
      this.keepPredictions(r.preds);
      noGrad(() => this.updateMetrics(ys, r.preds, weights));
      return r;
    });
  }

  /** One optimization step on a batch; returns the loss and the gradient norm before clipping. */
  trainBatch(xs: Tensor[], ys: Tensor[], weights: Tensor | null): { loss: number; gradNorm: number; preds: Tensor[]; perOutput: number[]; skipped: string | null } {
    const vars = this.model.trainableWeights;
    // what a diagnostic re-run of this step would start from (backwardWhere): the dropout draws, the carried states
    const before = { rng: this.model.randomStream.clone(), side: this.model.stateful ? sideState(this.model.layers) : null };
    let preds: Tensor[] = [];
    let perOutput: number[] = [];
    // dropout draws from the model's own generator (a step runs synchronously: no other fit interleaves)
    const { value, grads } = withRng(this.model.randomStream, () =>
      variableGrads(() => {
        const r = this.batchLoss(xs, ys, weights, true);
        preds = r.preds;
        perOutput = r.perOutput;
        return r.loss;
      }, vars),
    );
    const loss = value.item();
    const gradNorm = globalNorm(grads);
    // a step whose loss or gradients are not finite is not applied (it would write NaN into the weights);
    // a finite global norm already says every gradient is (a NaN or infinity makes the sum of squares one)
    const bad = Number.isFinite(loss) && !Number.isFinite(gradNorm) ? nonFiniteGradients(vars, grads) : [];
    if (Number.isFinite(loss) && bad.length === 0) {
      this.optimizer.applyGradients(vars, grads, gradNorm);
      return { loss, gradNorm, preds, perOutput, skipped: null };
    }
    const what = bad.length ? `the gradients of ${bad.map((n) => `'${n}'`).join(', ')} are not finite` : `the loss is ${loss}`;
    const where = this.whereNotFinite(xs, ys, weights, bad.length > 0, before);
    return { loss, gradNorm, preds, perOutput, skipped: `step not applied: ${what}.${where ? ` ${where}` : ''}` };
  }

  /**
   * Where a failed step's NaN or infinity comes from: the forward trace (`traceNaN`), or, when the
   * forward pass is finite and only gradients are not, the step run again with its backward pass
   * watched (nonfinite.ts `backwardWhere`). Both start where the step started (its carried states;
   * the re-run also from its dropout draws); the model is left as the failed step left it.
   */
  private whereNotFinite(xs: Tensor[], ys: Tensor[], weights: Tensor | null, gradientsBad: boolean, before: { rng: Rng; side: ModelSideState | null }): string | null {
    const layers = this.model.layers;
    const after = sideState(layers);
    const fromStart = (): void => {
      if (before.side) restoreSideState(before.side);
    };
    try {
      fromStart();
      const forward = this.model.traceNaN(xs);
      if (forward !== null || !gradientsBad) return forward;
      fromStart();
      const watched = [...this.model.trainableWeights.map((v) => v.value), ...xs];
      return backwardWhere(layers, () => withRng(before.rng.clone(), () => gradients(() => this.batchLoss(xs, ys, weights, true).loss, watched)));
    } finally {
      restoreSideState(after);
    }
  }

  // -------------------------------------------------------------------------------------------
  // fit / evaluate

  /**
   * Trains on arrays, `fit(x, y, options)`, or on a dataset of batches, `fit(dataset, options)`
   * (training/batch_source.ts: what a dataset is, how epochs read it, what is refused with one).
   */
  async fit(x: Data | BatchSource, y?: Data | FitOptions, fitOptions?: FitOptions): Promise<History> {
    const model = this.model;
    const src = sourceCall<FitOptions>('fit', x, y, fitOptions);
    const options = src ? src.options : (fitOptions ?? {});
    V.checkOptionNames('fit', options, [...V.FIT_OPTION_NAMES, ...STEP_FIT_OPTIONS]);
    if (src) refuseArrayOptions('fit', options);
    const batchSize = V.batchSizeOption('fit', options.batchSize);
    const epochs = V.intOption('fit', 'epochs', options.epochs, 1, 0);
    const initialEpoch = V.intOption('fit', 'initialEpoch', options.initialEpoch, 0, 0);
    const verbose = V.verboseOption('fit', options.verbose);
    const shuffle = V.booleanOption('fit', 'shuffle', options.shuffle, true);
    const split = V.validationSplitOption('fit', options.validationSplit);
    const stepsPerEpoch = stepsOption('fit', 'stepsPerEpoch', options.stepsPerEpoch);
    const validationSteps = stepsOption('fit', 'validationSteps', options.validationSteps);
    if (validationSteps !== null && options.validationData === undefined && split === 0) throw new Error('fit: validationSteps needs validationData (or validationSplit)');
    if (options.seed !== undefined) V.intOption('fit', 'seed', options.seed, 0, 0, 2 ** 32 - 1);
    if (options.callbacks !== undefined && !Array.isArray(options.callbacks)) throw new Error(`fit: callbacks must be an array of callbacks, received ${typeof options.callbacks}`);
    const yielder = new Yielder('fit', options.yieldEvery, options.signal);
    yielder.check(); // already aborted: refused before anything changes
    if (fitting.has(model)) throw new Error(`fit: ${model.label} is already inside a fit; await it (or abort it) before starting another`);
    fitting.add(model);
    try {
      const { train, val } = src ? this.sourceFeeds(src.source, options, batchSize) : this.arrayFeeds(x as Data, y as Data, options, batchSize, shuffle, split);
      checkBounded('fit', train, stepsPerEpoch, 'stepsPerEpoch');
      if (val) checkBounded('fit', val, validationSteps, 'validationSteps', 'validationData');
      const readers = { train: new EpochReader(train, stepsPerEpoch), val: val && new EpochReader(val, validationSteps) };
      try {
        return await this.fitLoop(readers, options, { epochs, initialEpoch, verbose }, yielder);
      } finally {
        await readers.train.close();
        await readers.val?.close();
      }
    } finally {
      fitting.delete(model);
    }
  }

  private sourceFeeds(source: BatchSource, options: FitOptions, batchSize: number): { train: BatchFeed; val: BatchFeed | null } {
    return { train: this.feedOf('fit', source, options.classWeight), val: this.validationFeed(options, batchSize) };
  }

  /** validationData as a feed: a dataset, or arrays in batches of `batchSize` (of the stateful batch size). */
  private validationFeed(options: FitOptions, batchSize: number): BatchFeed | null {
    const vd: unknown = options.validationData;
    if (vd === undefined) return null;
    if (isBatchSource(vd)) return this.feedOf('fit (validationData)', vd);
    if (!Array.isArray(vd) || vd.length < 2 || vd.length > 3) throw new Error(`fit: validationData must be [x, y], [x, y, sampleWeight] or a dataset, received ${Array.isArray(vd) ? `an array of length ${vd.length}` : typeof vd}`);
    const [vx, vy, vw] = vd as [Data, Data, Tensor | number[] | undefined];
    return arrayFeed(this.prepare(vx, vy, vw, undefined, 'fit (validationData)'), this.statefulBatchSize() ?? batchSize, () => null);
  }

  /** Arrays (with validationSplit taken from their end) as feeds; the training order is reshuffled every pass. */
  private arrayFeeds(x: Data, y: Data, options: FitOptions, batchSize: number, shuffle: boolean, split: number): { train: BatchFeed; val: BatchFeed | null } {
    const model = this.model;
    let data = this.prepare(x, y, options.sampleWeight, options.classWeight, 'fit');
    let val = this.validationFeed(options, batchSize);
    const fixed = this.statefulBatchSize();
    const step = fixed ?? batchSize;
    if (val === null && split > 0) {
      const cut = Math.floor(data.n * (1 - split));
      V.checkSplitSizes('fit', data.n, cut, split);
      const part = (from: number, to: number): Prepared => ({
        xs: data.xs.map((t) => T.slice(t, [from], [to - from])),
        ys: data.ys.map((t) => T.slice(t, [from], [to - from])),
        weights: data.weights ? data.weights.slice(from, to) : null,
        n: to - from,
      });
      val = arrayFeed(part(cut, data.n), step, () => null);
      data = part(0, cut);
    }
    if (fixed !== null) {
      if (fixed !== batchSize) console.warn(`fit: ${model.label} has stateful layers built for batch size ${fixed}, but fit was given batchSize ${batchSize}`);
      if (data.n % fixed !== 0) {
        throw new Error(`fit: ${model.label} is stateful with batch size ${fixed}, which does not divide the ${data.n} training samples`);
      }
      if (shuffle) console.warn(`fit: ${model.label} is stateful; shuffle: true breaks the carried state between batches (use shuffle: false)`);
    }
    const rng = options.seed !== undefined ? new Rng(options.seed) : this.model.randomStream;
    const n = data.n;
    return { train: arrayFeed(data, step, shuffle ? () => T.permutation(n, rng) : () => null), val };
  }

  private async fitLoop(
    readers: { train: EpochReader; val: EpochReader | null },
    options: FitOptions,
    o: { epochs: number; initialEpoch: number; verbose: 0 | 1 | 2 },
    yielder: Yielder,
  ): Promise<History> {
    const model = this.model;
    const { epochs } = o;
    const reader = readers.train;
    const history = new History();
    model.history = history;
    // History last, as Keras appends it: it records what the other callbacks add (ReduceLROnPlateau's learning_rate)
    const callbacks: Callback[] = [...(options.callbacks ?? []), history];
    for (const cb of callbacks) cb.setModel?.(model);
    const sink = options.progressSink;
    if (sink) for (const cb of callbacks) cb.setLog?.((line) => sink.write(`${line}\n`));
    model.stopTraining = false;
    const progress = new ProgressBar(o.verbose, reader.epochLength, sink);
    let trained = false;
    try {
      for (const cb of callbacks) await cb.onTrainBegin?.({});
      for (let epoch = o.initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
        for (const cb of callbacks) await cb.onEpochBegin?.(epoch, {});
        progress.epochBegin(epoch, epochs);
        this.resetMetrics();
        let lossSum = 0;
        let normSum = 0;
        let seen = 0;
        let b = 0;
        let skippedSteps = 0;
        const outSums = this.losses.map(() => 0);
        for (; !model.stopTraining; b++) {
          const batch = await reader.next();
          if (batch === null) break;
          const size = batch.size;
          for (const cb of callbacks) await cb.onBatchBegin?.(b, { batch: b, size });
          const { loss, gradNorm, perOutput, skipped } = this.trainStep(batch.xs, batch.ys, batch.weights);
          trained = true;
          perOutput.forEach((v, i) => (outSums[i] += v * size));
          lossSum += loss * size;
          normSum += gradNorm * size;
          seen += size;
          const logs: Logs = { batch: b, size, loss: lossSum / seen, ...this.metricLogs() };
          if (!Number.isFinite(loss)) logs.loss = loss;
          if (skipped) {
            logs.nan_report = skipped;
            skippedSteps++;
            console.warn(`fit: epoch ${epoch + 1}, batch ${b + 1}: ${skipped}`);
          }
          progress.batchEnd(b + 1, logs);
          for (const cb of callbacks) await cb.onBatchEnd?.(b, logs);
          await yielder.afterBatch();
        }
        await reader.endEpoch();
        if (b === 0 && !model.stopTraining) {
          // a source with nothing (left) to read: an error at the start, Keras's interruption later
          if (!trained) throw new Error('fit: the dataset yielded no batches; there is nothing to train on');
          console.warn(`fit: ${RAN_OUT_WARNING}`);
          break;
        }
        const logs: Logs = {
          loss: lossSum / Math.max(seen, 1),
          ...this.outputLossLogs(outSums, seen),
          ...this.metricLogs(),
          grad_norm: normSum / Math.max(seen, 1),
        };
        if (skippedSteps > 0) logs.skipped_steps = skippedSteps;
        if (readers.val) Object.assign(logs, await this.evaluateReader(readers.val, 'val_', yielder, 'fit (validationData)'));
        for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
        progress.epochEnd(logs, b);
        if (progress.steps === null && !model.stopTraining) progress.steps = b; // learnt from the first pass, as Keras's bar
        if (reader.ranOut) {
          console.warn(`fit: ${RAN_OUT_WARNING}`);
          model.stopTraining = true;
        }
        await yielder.afterEpoch();
      }
    } catch (e) {
      if (e instanceof AbortError) e.history = history;
      throw e;
    }
    for (const cb of callbacks) await cb.onTrainEnd?.({});
    return history;
  }

  /** One optimizer step on one batch; returns its loss (and metrics). */
  trainOnBatch(x: Data, y: Data, sampleWeight?: Tensor | number[]): number | number[] {
    const data = this.prepare(x, y, sampleWeight, undefined, 'trainOnBatch');
    const batch = takeBatch(data, 0, data.n, null);
    this.resetMetrics();
    const { loss, skipped } = this.trainStep(batch.xs, batch.ys, batch.weights);
    if (skipped) console.warn(`trainOnBatch: ${skipped}`);
    const m = Object.values(this.metricLogs()) as number[];
    return m.length ? [loss, ...m] : loss;
  }
}
