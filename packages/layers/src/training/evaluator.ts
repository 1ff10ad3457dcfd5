/**
 * compile's losses and metrics, the checks and conversion of data, and evaluate, as Keras runs them;
 * training/trainer.ts extends this with the optimizer and fit.
 */
import { Variable, add, noGrad } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { NestedArray, Rng, Tensor, fmtShape, keepFromStep, lendAllocations, withStepBuffers } from '@seqlab/tensor';
import type { CallArgs, Layer } from '../engine/layer';
import { logitsOf } from '../engine/logits';
import { maskOf } from '../engine/mask';
import type { SymbolicTensor } from '../engine/symbolic';
import { CallbackModel, History, Logs } from './callbacks';
import { LossFn, LossSpec, getLoss, lossName, reduceLoss } from './losses';
import { Metric, MetricSpec, getMetric } from './metrics';
import type { Optimizer } from './optimizers';
import * as V from './validate';
import { Yielder, YieldEvery } from './yielding';
import { Batch, BatchFeed, BatchSource, EpochReader, Prepared, asBatch, checkBounded, refuseArrayOptions, sourceCall, sourceFeed, splitBatch, stepsOption, takeBatch, toList } from './batch_source';

/**
 * What `compile` takes: an optimizer, a loss (or one per output), metrics.
 * @example model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] })
 */
export interface CompileArgs {
  optimizer: string | Optimizer;
  /** One loss, or one per output. */
  loss: LossSpec | LossSpec[];
  metrics?: MetricSpec[];
}

/** Inputs or targets as `fit`, `evaluate` and `predict` take them: a tensor, nested arrays, integer ids with a shape, or one tensor per model input / output. */
export type Data = Tensor | NestedArray | V.IdArray | Tensor[];

/** Options of `evaluate`: batch size, steps for a dataset, sample weights, verbosity. */
export interface EvaluateOptions {
  batchSize?: number;
  /** With a dataset: the number of batches to read (default: a whole pass). */
  steps?: number;
  sampleWeight?: Tensor | number[];
  /** Return `{ loss, accuracy, ... }` instead of Keras's `loss` or `[loss, ...metrics]`. */
  returnDict?: boolean;
  /** evaluateAsync, or evaluate of a dataset: when to yield to the event loop (as in fit). */
  yieldEvery?: YieldEvery;
  /** evaluateAsync, or evaluate of a dataset: stops at the next batch and rejects with an AbortError. */
  signal?: AbortSignal;
}

/** Options accepted beside validate.ts's list: a step count, which applies to datasets. */
const STEP_OPTIONS = ['steps'];

/** Running sums of an evaluation. */
interface EvalSums {
  loss: number;
  seen: number;
  outputs: number[];
}

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
  prepareInputs(x: Data, who?: string): Tensor[];
  /** Builds the graph for inputs like these (a Sequential without an input shape). */
  buildFor(xs: Tensor[]): void;
  /** Runs the graph on a batch; records on the tape when called inside one. */
  run(xs: Tensor[], args: CallArgs): Tensor[];
  /** Where a NaN or infinity first appears for these inputs (the batch log's `nan_report`). */
  traceNaN(xs: Tensor[]): string | null;
  /** The model's layers (the backward trace of a failed step finds its recurrent layers there). */
  readonly layers: Layer[];
  /** The History of the latest fit, set when it begins (as Keras's `model.history`). */
  history: History | null;
  /** The model's own generator: fit draws its dropout masks and shuffles from it. */
  readonly randomStream: Rng;
}

/** What evaluation and training share: the compiled losses and metrics, data checks, the evaluation loops. */
export class Evaluator {
  readonly losses: LossFn[];
  readonly lossNames: (string | null)[];
  readonly metricSpecs: MetricSpec[];
  private readonly outputMetrics: Metric[][];
  /**
   * Whether a loss or metric is the user's own (a function, a Metric object), which may keep the
   * predictions it is handed: a training step then keeps them out of its step buffers (trainer.ts).
   */
  protected readonly userLossOrMetric: boolean;

  constructor(protected readonly model: TrainableModel, args: CompileArgs) {
    // a Sequential without an input shape is built on its first data; it has one output
    const n = Math.max(1, model.outputs.length);
    const specs = Array.isArray(args.loss) ? args.loss : new Array(n).fill(args.loss);
    if (specs.length !== n) throw new Error(`compile: ${specs.length} losses for ${n} outputs of ${model.label}`);
    this.losses = specs.map(getLoss);
    this.lossNames = specs.map(lossName);
    this.metricSpecs = args.metrics ?? [];
    this.userLossOrMetric = [...specs, ...this.metricSpecs].some((s) => typeof s !== 'string');
    this.outputMetrics = this.lossNames.map((ln, i) =>
      this.metricSpecs.map((m) => {
        const metric = getMetric(m, ln);
        return n > 1 ? renamed(metric, `${model.outputs[i].node.layer.name}_${metric.name}`) : metric;
      }),
    );
  }

  // -------------------------------------------------------------------------------------------
  // data

  protected prepare(x: Data, y: Data, sampleWeight: Tensor | number[] | undefined, classWeight: Record<number, number> | undefined, who: string): Prepared {
    const xs = this.model.prepareInputs(x, who);
    this.model.buildFor(xs);
    const targets = toList(y);
    const ys = targets.map((t, i) => V.dataTensor(who, targets.length > 1 ? `target ${i}` : 'y', t));
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
  protected checkLabels(y: Tensor, output: number, who: string): void {
    const name = this.lossNames[output];
    // only these two losses restrict their labels (a pass over a char model's one-hot targets costs ~1 ms)
    if (name !== 'binaryCrossentropy' && name !== 'sparseCategoricalCrossentropy') return;
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

  protected statefulBatchSize(): number | null {
    if (!this.model.stateful) return null;
    return this.model.inputs[0].shape[0];
  }

  // -------------------------------------------------------------------------------------------
  // steps

  /** Loss of a batch (recorded when inside a tape), and the predictions. */
  protected batchLoss(xs: Tensor[], ys: Tensor[], weights: Tensor | null, training: boolean): { loss: Tensor; preds: Tensor[]; perOutput: number[] } {
    const preds = this.model.run(xs, { training });
    let total: Tensor | null = null;
    const perOutput: number[] = [];
    preds.forEach((p, i) => {
      // in a training step, the loss's arrays and their gradients live for the step (tensor's step_buffers.ts)
      const per = lendAllocations(() => this.losses[i](ys[i], p));
      const mask = maskOf(p);
      const usableMask = mask && mask.shape.length === per.shape.length && mask.shape.every((d, k) => d === per.shape[k]) ? mask : null;
      const l = reduceLoss(per, weights, usableMask);
      perOutput.push(l.item());
      total = total === null ? l : add(total, l);
    });
    return { loss: total!, preds, perOutput };
  }

  /** Keras logs each output's loss as `<output layer>_loss` when a model has several outputs. */
  protected outputLossLogs(sums: number[], seen: number, prefix = ''): Logs {
    const logs: Logs = {};
    if (sums.length > 1) sums.forEach((v, i) => (logs[`${prefix}${this.model.outputs[i].node.layer.name}_loss`] = v / Math.max(seen, 1)));
    return logs;
  }

  protected updateMetrics(ys: Tensor[], preds: Tensor[], weights: Tensor | null): void {
    preds.forEach((p, i) => {
      const rowWeights = metricWeights(p, weights);
      for (const m of this.outputMetrics[i]) m.update(ys[i], p, rowWeights);
    });
  }

  protected resetMetrics(): void {
    for (const ms of this.outputMetrics) for (const m of ms) m.reset();
  }

  protected metricLogs(prefix = ''): Logs {
    const logs: Logs = {};
    for (const ms of this.outputMetrics) for (const m of ms) logs[prefix + m.name] = m.result();
    return logs;
  }

  /** A dataset's batches, each converted and checked as arrays are (stateful models need one batch size). */
  protected feedOf(who: string, source: BatchSource, classWeight?: Record<number, number>): BatchFeed {
    const fixed = this.statefulBatchSize();
    return sourceFeed(who, source, (e, i) => {
      const { x, y, w } = splitBatch(who, e, i);
      const batch = asBatch(this.prepare(x as Data, y as Data, w as Tensor | number[] | undefined, classWeight, `${who} (batch ${i})`));
      if (fixed !== null && batch.size !== fixed) {
        throw new Error(`${who}: ${this.model.label} is stateful with batch size ${fixed}, but batch ${i} of the dataset has ${batch.size} samples`);
      }
      return batch;
    });
  }

  // -------------------------------------------------------------------------------------------
  // evaluation (one batch, then the sync loop over arrays and the async one over feeds)

  /** One batch, as a step of step buffers like a training step (its large arrays go back to the pool after it). */
  private evalBatch(batch: Batch, sums: EvalSums): void {
    withStepBuffers(() =>
      noGrad(() => {
        const { loss, preds, perOutput } = this.batchLoss(batch.xs, batch.ys, batch.weights, false);
        this.keepPredictions(preds);
        this.updateMetrics(batch.ys, preds, batch.weights);
        perOutput.forEach((v, i) => (sums.outputs[i] += v * batch.size));
        sums.loss += loss.item() * batch.size;
      }),
    );
    sums.seen += batch.size;
  }

  /**
   * Keeps a step's predictions, with the logits and mask that travel with them, out of its step
   * buffers when a loss or metric is the user's own (it may have kept them); built-in ones keep nothing.
   */
  protected keepPredictions(preds: Tensor[]): void {
    if (!this.userLossOrMetric) return;
    for (const p of preds) for (const t of [p, logitsOf(p), maskOf(p)]) if (t) keepFromStep(t.data);
  }

  private evalLogs(sums: EvalSums, prefix: string): Logs {
    const out = this.metricLogs(prefix);
    return { [`${prefix}loss`]: sums.loss / Math.max(sums.seen, 1), ...this.outputLossLogs(sums.outputs, sums.seen, prefix), ...out };
  }

  /** Evaluation of arrays as a generator that pauses after each batch (run by runSync, or by runYielding to yield and abort). */
  private *evaluateSteps(data: Prepared, batchSize: number, prefix = ''): Generator<void, Logs> {
    this.resetMetrics();
    const step = this.statefulBatchSize() ?? batchSize;
    const sums: EvalSums = { loss: 0, seen: 0, outputs: this.losses.map(() => 0) };
    for (let start = 0; start < data.n; start += step) {
      this.evalBatch(takeBatch(data, start, Math.min(step, data.n - start), null), sums);
      if (start + step < data.n) yield;
    }
    return this.evalLogs(sums, prefix);
  }

  /** Evaluation of one epoch of a reader, yielding between batches. */
  protected async evaluateReader(reader: EpochReader, prefix: string, yielder: Yielder, who: string): Promise<Logs> {
    this.resetMetrics();
    const sums: EvalSums = { loss: 0, seen: 0, outputs: this.losses.map(() => 0) };
    try {
      let batch = await reader.next();
      while (batch !== null) {
        this.evalBatch(batch, sums);
        batch = await reader.next();
        if (batch !== null) await yielder.afterBatch();
      }
    } finally {
      await reader.endEpoch();
    }
    if (sums.seen === 0) throw new Error(`${who}: the dataset yielded no batches; there is nothing to evaluate`);
    return this.evalLogs(sums, prefix);
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

  /** evaluate / evaluateAsync of a dataset (asynchronous in both cases: a dataset is read asynchronously). */
  private async evaluateSource(source: BatchSource, options: EvaluateOptions, who: string): Promise<number | number[] | Record<string, number>> {
    V.checkOptionNames(who, options, [...V.EVALUATE_OPTION_NAMES, ...STEP_OPTIONS]);
    refuseArrayOptions(who, options);
    V.booleanOption(who, 'returnDict', options.returnDict, false);
    const yielder = new Yielder(who, options.yieldEvery, options.signal);
    yielder.check();
    const steps = stepsOption(who, 'steps', options.steps);
    const feed = this.feedOf(who, source);
    checkBounded(who, feed, steps, 'steps');
    const reader = new EpochReader(feed, steps);
    try {
      return this.evaluateResult(await this.evaluateReader(reader, '', yielder, who), options);
    } finally {
      await reader.close();
    }
  }

  /** Loss (and metrics) of arrays, synchronously; of a dataset, `evaluate(dataset, options)`, as a promise. */
  evaluate(x: Data | BatchSource, y?: Data | EvaluateOptions, evalOptions?: EvaluateOptions): number | number[] | Record<string, number> | Promise<number | number[] | Record<string, number>> {
    const src = sourceCall<EvaluateOptions>('evaluate', x, y, evalOptions);
    if (src) return this.evaluateSource(src.source, src.options, 'evaluate');
    const options = evalOptions ?? {};
    if (options?.signal !== undefined || options?.yieldEvery !== undefined) {
      throw new Error('evaluate: signal and yieldEvery need the asynchronous evaluateAsync (evaluate runs to its end without yielding)');
    }
    const { data, batchSize } = this.evaluateArgs(x as Data, y as Data, options, 'evaluate');
    return this.evaluateResult(runSync(this.evaluateSteps(data, batchSize)), options);
  }

  /** evaluate that yields to the event loop between batches and stops on `signal` (rejecting with an AbortError). */
  async evaluateAsync(x: Data | BatchSource, y?: Data | EvaluateOptions, evalOptions?: EvaluateOptions): Promise<number | number[] | Record<string, number>> {
    const src = sourceCall<EvaluateOptions>('evaluateAsync', x, y, evalOptions);
    if (src) return this.evaluateSource(src.source, src.options, 'evaluateAsync');
    const options = evalOptions ?? {};
    const yielder = new Yielder('evaluateAsync', options?.yieldEvery, options?.signal);
    yielder.check();
    const { data, batchSize } = this.evaluateArgs(x as Data, y as Data, options, 'evaluateAsync');
    return this.evaluateResult(await runYielding(this.evaluateSteps(data, batchSize), yielder), options);
  }

  /** The loss (and metrics) of one batch, without updating anything (Keras's `test_on_batch`). */
  testOnBatch(x: Data, y: Data, sampleWeight?: Tensor | number[]): number | number[] {
    const data = this.prepare(x, y, sampleWeight, undefined, 'testOnBatch');
    return this.evaluateResult(runSync(this.evaluateSteps(data, data.n)), {}) as number | number[];
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

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
