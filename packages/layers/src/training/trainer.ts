/**
 * compile / fit / evaluate, as Keras runs them.
 *
 * One training step: forward in training mode while the tape records, loss (masked and weighted),
 * backward to every trainable weight (backpropagation through time happens inside the recurrent
 * layers' tape nodes), the global gradient norm measured before clipping, then the optimizer's
 * clipped update. Everything `fit` can check about its data is checked before the first update.
 */
import { Variable, add, globalNorm, noGrad, variableGrads } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { NestedArray, Rng, Tensor, fmtShape } from '@seqlab/tensor';
import type { CallArgs } from '../engine/layer';
import { maskOf } from '../engine/mask';
import type { SymbolicTensor } from '../engine/symbolic';
import { getRng } from '../initializers';
import { Callback, CallbackModel, History, Logs } from './callbacks';
import { LossFn, LossSpec, getLoss, lossName, reduceLoss } from './losses';
import { Metric, MetricSpec, getMetric } from './metrics';
import { Optimizer, getOptimizer } from './optimizers';
import { ProgressBar, ProgressSink } from './progress';
import * as V from './validate';
import { AbortError, Yielder, YieldEvery } from './yielding';

export interface CompileArgs {
  optimizer: string | Optimizer;
  /** One loss, or one per output. */
  loss: LossSpec | LossSpec[];
  metrics?: MetricSpec[];
}

export type Data = Tensor | NestedArray | Tensor[];

export interface FitOptions {
  batchSize?: number;
  epochs?: number;
  initialEpoch?: number;
  /** Shuffle the training samples each epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Seed of the shuffling (default: the shared generator set by setSeed). */
  seed?: number;
  validationData?: [Data, Data] | [Data, Data, Tensor | number[]];
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

export interface EvaluateOptions {
  batchSize?: number;
  sampleWeight?: Tensor | number[];
  /** Return `{ loss, accuracy, ... }` instead of Keras's `loss` or `[loss, ...metrics]`. */
  returnDict?: boolean;
  /** evaluateAsync only: when to yield to the event loop (as in fit). */
  yieldEvery?: YieldEvery;
  /** evaluateAsync only: stops at the next batch and rejects with an AbortError. */
  signal?: AbortSignal;
}

/** Models inside a fit: a second concurrent fit of the same model is refused. */
const fitting = new WeakSet<TrainableModel>();

/** Runs a batch loop written as a generator to its end, synchronously. */
export function runSync<R>(steps: Generator<void, R>): R {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs a batch loop written as a generator, yielding to the event loop (and checking the signal) between batches. */
export async function runYielding<R>(steps: Generator<void, R>, yielder: Yielder): Promise<R> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await yielder.afterBatch();
  }
}

interface Prepared {
  xs: Tensor[];
  ys: Tensor[];
  weights: Float32Array | null;
  n: number;
}

/**
 * What training needs from a model, declared here so that the trainer depends on this interface
 * and not on `Model` (which implements it and owns its Trainer): models/model.ts imports
 * training/trainer.ts, never the other way round.
 */
export interface TrainableModel extends CallbackModel {
  /** How errors name the model: "Sequential 'sequential'". */
  readonly label: string;
  /** The symbolic inputs and outputs (shapes; each output's layer names its per-output logs). */
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  readonly trainableWeights: Variable[];
  /** True when a layer carries state between batches (the batch size must then stay fixed). */
  readonly stateful: boolean;
  /** User data to input tensors (strings are vectorized where a text vectorizer reads them). */
  prepareInputs(x: Data): Tensor[];
  /** Builds the graph for inputs like these (a Sequential without an input shape). */
  buildFor(xs: Tensor[]): void;
  /** Runs the graph on a batch; records on the tape when called inside one. */
  run(xs: Tensor[], args: CallArgs): Tensor[];
  /** Where a NaN or infinity first appears for these inputs (the batch log's `nan_report`). */
  traceNaN(xs: Tensor[]): string | null;
  /** The History of the latest fit, set when it begins (as Keras's `model.history`). */
  history: History | null;
}

export class Trainer {
  readonly optimizer: Optimizer;
  readonly losses: LossFn[];
  readonly lossNames: (string | null)[];
  readonly metricSpecs: MetricSpec[];
  private readonly outputMetrics: Metric[][];

  constructor(private readonly model: TrainableModel, args: CompileArgs) {
    this.optimizer = getOptimizer(args.optimizer);
    // a Sequential without an input shape is built on its first data; it has one output
    const n = Math.max(1, model.outputs.length);
    const specs = Array.isArray(args.loss) ? args.loss : new Array(n).fill(args.loss);
    if (specs.length !== n) throw new Error(`compile: ${specs.length} losses for ${n} outputs of ${model.label}`);
    this.losses = specs.map(getLoss);
    this.lossNames = specs.map(lossName);
    this.metricSpecs = args.metrics ?? [];
    this.outputMetrics = this.lossNames.map((ln, i) =>
      this.metricSpecs.map((m) => {
        const metric = getMetric(m, ln);
        return n > 1 ? renamed(metric, `${model.outputs[i].node.layer.name}_${metric.name}`) : metric;
      }),
    );
  }

  // -------------------------------------------------------------------------------------------
  // data

  private prepare(x: Data, y: Data, sampleWeight: Tensor | number[] | undefined, classWeight: Record<number, number> | undefined, who: string): Prepared {
    const xs = this.model.prepareInputs(x);
    this.model.buildFor(xs);
    const ys = toList(y).map((t) => (t instanceof Tensor ? t : T.tensor(t)));
    if (ys.length !== this.model.outputs.length) {
      throw new Error(`${who}: the model has ${this.model.outputs.length} output(s) but ${ys.length} target array(s) were given`);
    }
    const n = xs[0].shape[0];
    [...xs, ...ys].forEach((t, i) => {
      if (t.shape[0] !== n) {
        const what = i < xs.length ? `input ${i}` : `target ${i - xs.length}`;
        throw new Error(`${who}: x and y must have the same number of samples: input 0 has ${n}, ${what} has ${t.shape[0]} (shape ${fmtShape(t.shape)})`);
      }
    });
    if (n === 0) throw new Error(`${who}: x has 0 samples (shape ${fmtShape(xs[0].shape)}); there is nothing to ${who.startsWith('fit') ? 'train on' : 'evaluate'}`);
    xs.forEach((t, i) => V.checkFinite(who, `input ${i}`, t));
    ys.forEach((t, i) => {
      V.checkFinite(who, `target ${i}`, t);
      this.checkLabels(t, i, who);
    });
    let weights: Float32Array | null = sampleWeight === undefined ? null : V.sampleWeightArray(who, sampleWeight, n);
    if (V.checkClassWeight(who, classWeight) && classWeight) {
      weights ??= new Float32Array(n).fill(1);
      const labels = classOf(ys[0], this.lossNames[0]);
      for (let i = 0; i < n; i++) {
        const cw = classWeight[labels[i]];
        weights[i] *= cw === undefined ? 1 : cw;
      }
    }
    return { xs, ys, weights, n };
  }

  /** Labels out of range for the loss are refused before any weight changes. */
  private checkLabels(y: Tensor, output: number, who: string): void {
    const name = this.lossNames[output];
    const classes = this.model.outputs[output].shape.slice(-1)[0];
    for (let i = 0; i < y.size; i++) {
      const v = y.data[i];
      if (name === 'binaryCrossentropy' && !(v >= 0 && v <= 1)) {
        throw new Error(`${who}: binaryCrossentropy needs labels in [0, 1], received ${v} at flat position ${i} of target ${output}`);
      }
      if (name === 'sparseCategoricalCrossentropy' && classes !== null && (!Number.isInteger(v) || v < 0 || v >= classes)) {
        throw new Error(`${who}: sparseCategoricalCrossentropy needs integer labels in [0, ${classes}), received ${v} at flat position ${i} of target ${output}`);
      }
    }
  }

  private statefulBatchSize(): number | null {
    if (!this.model.stateful) return null;
    return this.model.inputs[0].shape[0];
  }

  // -------------------------------------------------------------------------------------------
  // steps

  /** Loss of a batch (recorded when inside a tape), and the predictions. */
  private batchLoss(xs: Tensor[], ys: Tensor[], weights: Tensor | null, training: boolean): { loss: Tensor; preds: Tensor[]; perOutput: number[] } {
    const preds = this.model.run(xs, { training });
    let total: Tensor | null = null;
    const perOutput: number[] = [];
    preds.forEach((p, i) => {
      const per = this.losses[i](ys[i], p);
      const mask = maskOf(p);
      const usableMask = mask && mask.shape.length === per.shape.length && mask.shape.every((d, k) => d === per.shape[k]) ? mask : null;
      const l = reduceLoss(per, weights, usableMask);
      perOutput.push(l.item());
      total = total === null ? l : add(total, l);
    });
    return { loss: total!, preds, perOutput };
  }

  /** Keras logs each output's loss as `<output layer>_loss` when a model has several outputs. */
  private outputLossLogs(sums: number[], seen: number, prefix = ''): Logs {
    const logs: Logs = {};
    if (sums.length > 1) sums.forEach((v, i) => (logs[`${prefix}${this.model.outputs[i].node.layer.name}_loss`] = v / Math.max(seen, 1)));
    return logs;
  }

  private updateMetrics(ys: Tensor[], preds: Tensor[], weights: Tensor | null): void {
    preds.forEach((p, i) => {
      const rowWeights = metricWeights(p, weights);
      for (const m of this.outputMetrics[i]) m.update(ys[i], p, rowWeights);
    });
  }

  private resetMetrics(): void {
    for (const ms of this.outputMetrics) for (const m of ms) m.reset();
  }

  private metricLogs(prefix = ''): Logs {
    const logs: Logs = {};
    for (const ms of this.outputMetrics) for (const m of ms) logs[prefix + m.name] = m.result();
    return logs;
  }

  /** One optimization step on a batch; returns the loss and the gradient norm before clipping. */
  trainBatch(xs: Tensor[], ys: Tensor[], weights: Tensor | null): { loss: number; gradNorm: number; preds: Tensor[]; perOutput: number[] } {
    const vars = this.model.trainableWeights;
    let preds: Tensor[] = [];
    let perOutput: number[] = [];
    const { value, grads } = variableGrads(() => {
      const r = this.batchLoss(xs, ys, weights, true);
      preds = r.preds;
      perOutput = r.perOutput;
      return r.loss;
    }, vars);
    const loss = value.item();
    const gradNorm = globalNorm(grads);
    if (Number.isFinite(loss)) this.optimizer.applyGradients(vars, grads, gradNorm);
    return { loss, gradNorm, preds, perOutput };
  }

  // -------------------------------------------------------------------------------------------
  // fit / evaluate

  async fit(x: Data, y: Data, options: FitOptions = {}): Promise<History> {
    const model = this.model;
    V.checkOptionNames('fit', options, V.FIT_OPTION_NAMES);
    const batchSize = V.batchSizeOption('fit', options.batchSize);
    const epochs = V.intOption('fit', 'epochs', options.epochs, 1, 0);
    const initialEpoch = V.intOption('fit', 'initialEpoch', options.initialEpoch, 0, 0);
    const verbose = V.verboseOption('fit', options.verbose);
    const shuffle = V.booleanOption('fit', 'shuffle', options.shuffle, true);
    const split = V.validationSplitOption('fit', options.validationSplit);
    if (options.seed !== undefined) V.intOption('fit', 'seed', options.seed, 0, 0, 2 ** 32 - 1);
    if (options.callbacks !== undefined && !Array.isArray(options.callbacks)) throw new Error(`fit: callbacks must be an array of callbacks, received ${typeof options.callbacks}`);
    const yielder = new Yielder('fit', options.yieldEvery, options.signal);
    yielder.check(); // already aborted: refused before anything changes
    if (fitting.has(model)) throw new Error(`fit: ${model.label} is already inside a fit; await it (or abort it) before starting another`);
    fitting.add(model);
    try {
      return await this.fitLoop(x, y, options, { batchSize, epochs, initialEpoch, verbose, shuffle, split }, yielder);
    } finally {
      fitting.delete(model);
    }
  }

  private async fitLoop(
    x: Data,
    y: Data,
    options: FitOptions,
    o: { batchSize: number; epochs: number; initialEpoch: number; verbose: 0 | 1 | 2; shuffle: boolean; split: number },
    yielder: Yielder,
  ): Promise<History> {
    const model = this.model;
    const { batchSize, epochs, shuffle } = o;
    let data = this.prepare(x, y, options.sampleWeight, options.classWeight, 'fit');
    let val: Prepared | null = null;
    if (options.validationData) {
      const vd = options.validationData;
      if (!Array.isArray(vd) || vd.length < 2 || vd.length > 3) throw new Error(`fit: validationData must be [x, y] or [x, y, sampleWeight], received ${Array.isArray(vd) ? `an array of length ${vd.length}` : typeof vd}`);
      const [vx, vy, vw] = vd;
      val = this.prepare(vx, vy, vw, undefined, 'fit (validationData)');
    } else if (o.split > 0) {
      const cut = Math.floor(data.n * (1 - o.split));
      V.checkSplitSizes('fit', data.n, cut, o.split);
      const part = (from: number, to: number): Prepared => ({
        xs: data.xs.map((t) => T.slice(t, [from], [to - from])),
        ys: data.ys.map((t) => T.slice(t, [from], [to - from])),
        weights: data.weights ? data.weights.slice(from, to) : null,
        n: to - from,
      });
      val = part(cut, data.n);
      data = part(0, cut);
    }
    const fixed = this.statefulBatchSize();
    if (fixed !== null) {
      if (fixed !== batchSize) console.warn(`fit: ${model.label} has stateful layers built for batch size ${fixed}, but fit was given batchSize ${batchSize}`);
      if (data.n % fixed !== 0) {
        throw new Error(`fit: ${model.label} is stateful with batch size ${fixed}, which does not divide the ${data.n} training samples`);
      }
      if (shuffle) console.warn(`fit: ${model.label} is stateful; shuffle: true breaks the carried state between batches (use shuffle: false)`);
    }
    const step = fixed ?? batchSize;
    const rng = options.seed !== undefined ? new Rng(options.seed) : getRng();
    const history = new History();
    model.history = history;
    const callbacks: Callback[] = [history, ...(options.callbacks ?? [])];
    for (const cb of callbacks) cb.setModel?.(model);
    const sink = options.progressSink;
    if (sink) for (const cb of callbacks) cb.setLog?.((line) => sink.write(`${line}\n`));
    model.stopTraining = false;
    const steps = Math.ceil(data.n / step);
    const progress = new ProgressBar(o.verbose, steps, sink);
    try {
      for (const cb of callbacks) await cb.onTrainBegin?.({});
      for (let epoch = o.initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
        for (const cb of callbacks) await cb.onEpochBegin?.(epoch, {});
        progress.epochBegin(epoch, epochs);
        this.resetMetrics();
        const order = shuffle ? T.permutation(data.n, rng) : null;
        let lossSum = 0;
        let normSum = 0;
        let seen = 0;
        const outSums = this.losses.map(() => 0);
        for (let b = 0; b < steps && !model.stopTraining; b++) {
          const start = b * step;
          const size = Math.min(step, data.n - start);
          const batch = takeBatch(data, start, size, order);
          for (const cb of callbacks) await cb.onBatchBegin?.(b, { batch: b, size });
          const { loss, gradNorm, preds, perOutput } = this.trainBatch(batch.xs, batch.ys, batch.weights);
          perOutput.forEach((v, i) => (outSums[i] += v * size));
          noGrad(() => this.updateMetrics(batch.ys, preds, batch.weights));
          lossSum += loss * size;
          normSum += gradNorm * size;
          seen += size;
          const logs: Logs = { batch: b, size, loss: lossSum / seen, ...this.metricLogs() };
          if (!Number.isFinite(loss)) {
            logs.loss = loss;
            logs.nan_report = model.traceNaN(batch.xs) ?? undefined;
          }
          progress.batchEnd(b + 1, logs);
          for (const cb of callbacks) await cb.onBatchEnd?.(b, logs);
          await yielder.afterBatch();
        }
        const logs: Logs = {
          loss: lossSum / Math.max(seen, 1),
          ...this.outputLossLogs(outSums, seen),
          ...this.metricLogs(),
          grad_norm: normSum / Math.max(seen, 1),
        };
        if (val) Object.assign(logs, await runYielding(this.evaluateSteps(val, batchSize, 'val_'), yielder));
        for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
        progress.epochEnd(logs);
        await yielder.afterEpoch();
      }
    } catch (e) {
      if (e instanceof AbortError) e.history = history;
      throw e;
    }
    for (const cb of callbacks) await cb.onTrainEnd?.({});
    return history;
  }

  /** Evaluation as a generator that pauses after each batch (run by runSync, or by runYielding to yield and abort). */
  private *evaluateSteps(data: Prepared, batchSize: number, prefix = ''): Generator<void, Logs> {
    this.resetMetrics();
    const fixed = this.statefulBatchSize();
    const step = fixed ?? batchSize;
    let lossSum = 0;
    let seen = 0;
    const outSums = this.losses.map(() => 0);
    for (let start = 0; start < data.n; start += step) {
      const size = Math.min(step, data.n - start);
      const batch = takeBatch(data, start, size, null);
      noGrad(() => {
        const { loss, preds, perOutput } = this.batchLoss(batch.xs, batch.ys, batch.weights, false);
        this.updateMetrics(batch.ys, preds, batch.weights);
        perOutput.forEach((v, i) => (outSums[i] += v * size));
        lossSum += loss.item() * size;
      });
      seen += size;
      if (start + step < data.n) yield;
    }
    const out = this.metricLogs(prefix);
    return { [`${prefix}loss`]: lossSum / Math.max(seen, 1), ...this.outputLossLogs(outSums, seen, prefix), ...out };
  }

  private evaluateArgs(x: Data, y: Data, options: EvaluateOptions, who: string): { data: Prepared; batchSize: number } {
    V.checkOptionNames(who, options, V.EVALUATE_OPTION_NAMES);
    const batchSize = V.batchSizeOption(who, options.batchSize);
    V.booleanOption(who, 'returnDict', options.returnDict, false);
    return { data: this.prepare(x, y, options.sampleWeight, undefined, who), batchSize };
  }

  private evaluateResult(logs: Logs, options: EvaluateOptions): number | number[] | Record<string, number> {
    if (options.returnDict) return logs as Record<string, number>;
    const values = Object.values(logs) as number[];
    return values.length === 1 ? values[0] : values;
  }

  evaluate(x: Data, y: Data, options: EvaluateOptions = {}): number | number[] | Record<string, number> {
    if (options?.signal !== undefined || options?.yieldEvery !== undefined) {
      throw new Error('evaluate: signal and yieldEvery need the asynchronous evaluateAsync (evaluate runs to its end without yielding)');
    }
    const { data, batchSize } = this.evaluateArgs(x, y, options, 'evaluate');
    return this.evaluateResult(runSync(this.evaluateSteps(data, batchSize)), options);
  }

  /** evaluate that yields to the event loop between batches and stops on `signal` (rejecting with an AbortError). */
  async evaluateAsync(x: Data, y: Data, options: EvaluateOptions = {}): Promise<number | number[] | Record<string, number>> {
    const yielder = new Yielder('evaluateAsync', options?.yieldEvery, options?.signal);
    yielder.check();
    const { data, batchSize } = this.evaluateArgs(x, y, options, 'evaluateAsync');
    return this.evaluateResult(await runYielding(this.evaluateSteps(data, batchSize), yielder), options);
  }

  trainOnBatch(x: Data, y: Data, sampleWeight?: Tensor | number[]): number | number[] {
    const data = this.prepare(x, y, sampleWeight, undefined, 'trainOnBatch');
    const batch = takeBatch(data, 0, data.n, null);
    this.resetMetrics();
    const { loss, preds } = this.trainBatch(batch.xs, batch.ys, batch.weights);
    noGrad(() => this.updateMetrics(batch.ys, preds, batch.weights));
    const m = Object.values(this.metricLogs()) as number[];
    return m.length ? [loss, ...m] : loss;
  }

  testOnBatch(x: Data, y: Data, sampleWeight?: Tensor | number[]): number | number[] {
    const data = this.prepare(x, y, sampleWeight, undefined, 'testOnBatch');
    return this.evaluateResult(runSync(this.evaluateSteps(data, data.n)), {}) as number | number[];
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

function toList(y: Data): (Tensor | NestedArray)[] {
  return Array.isArray(y) && y.length > 0 && y.every((e) => e instanceof Tensor) ? (y as Tensor[]) : [y as Tensor | NestedArray];
}

function renamed(m: Metric, name: string): Metric {
  return Object.assign(Object.create(Object.getPrototypeOf(m)), m, { name });
}

/** The class of each sample for classWeight: the label, or its argmax for one-hot labels. */
function classOf(y: Tensor, loss: string | null): number[] {
  const n = y.shape[0];
  const per = y.size / n;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    if (per === 1 || loss !== 'categoricalCrossentropy') out[i] = Math.round(y.data[i * per]);
    else {
      let best = 0;
      for (let j = 1; j < per; j++) if (y.data[i * per + j] > y.data[i * per + best]) best = j;
      out[i] = best;
    }
  }
  return out;
}

/** Rows `start .. start+size` (through `order` when shuffled) of every array. */
function takeBatch(data: Prepared, start: number, size: number, order: number[] | null): { xs: Tensor[]; ys: Tensor[]; weights: Tensor | null } {
  if (order === null) {
    const whole = start === 0 && size === data.n;
    const cut = (t: Tensor) => (whole ? t : T.slice(t, [start], [size]));
    return {
      xs: data.xs.map(cut),
      ys: data.ys.map(cut),
      weights: data.weights ? new Tensor(data.weights.slice(start, start + size), [size]) : null,
    };
  }
  const idx = T.tensor(order.slice(start, start + size));
  return {
    xs: data.xs.map((t) => T.gather(t, idx)),
    ys: data.ys.map((t) => T.gather(t, idx)),
    weights: data.weights ? T.gather(new Tensor(data.weights, [data.n]), idx) : null,
  };
}

/** Weights per prediction row for metrics: sample weights times the output mask, flattened. */
function metricWeights(pred: Tensor, weights: Tensor | null): Tensor | null {
  const mask = maskOf(pred);
  if (!weights && !mask) return null;
  if (mask && pred.rank === 3) {
    const [b, t] = mask.shape;
    const out = new Float32Array(b * t);
    for (let i = 0; i < b; i++) for (let j = 0; j < t; j++) out[i * t + j] = mask.data[i * t + j] * (weights ? weights.data[i] : 1);
    return new Tensor(out, [b * t]);
  }
  return weights;
}
