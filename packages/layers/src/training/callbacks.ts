/**
 * Callbacks with Keras's semantics. A callback is any object with some of the hooks below
 * (sync or async); classes here cover the seed chapters' needs.
 */
import type { Tensor } from '@seqlab/tensor';
import { FileAccess, fileAccess } from './file_access';

/** What `fit` hands to callbacks: 'loss', each metric, 'val_' versions, 'learning_rate', by name. */
export type Logs = Record<string, number | string | undefined>;

/** The model as callbacks see it. */
export interface CallbackModel {
  stopTraining: boolean;
  optimizer: { learningRate: number } | null;
  /** Copies of the weights in Keras order. */
  getWeights(): Tensor[];
  /** Sets every weight (same order and shapes as `getWeights`). */
  setWeights(ws: Tensor[]): void;
  /** Writes a weights file atomically. */
  saveWeights(path: string): Promise<void>;
}

/**
 * Hooks `fit` calls while training, any subset of them, sync or async (`fit` awaits them), with
 * Keras's meaning. Epoch and batch numbers count from 0.
 * @example
 *   const printLoss: Callback = { onEpochEnd: (epoch, logs) => console.log(epoch, logs.loss) };
 *   await model.fit(x, y, { epochs: 5, callbacks: [printLoss] });
 */
export interface Callback {
  /** Called by `fit` before training with the model being trained. */
  setModel?(model: CallbackModel): void;
  /** Where verbose lines go: `fit` passes its `progressSink` (default console.log). */
  setLog?(log: (line: string) => void): void;
  /** Before the first epoch. */
  onTrainBegin?(logs: Logs): void | Promise<void>;
  /** After the last epoch (or an early stop). */
  onTrainEnd?(logs: Logs): void | Promise<void>;
  /** Before each epoch. */
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  /** After each epoch, with the epoch's mean loss and metrics and the validation figures. */
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  /** Before each batch (its index within the epoch). */
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  /** After each batch, with its loss and metrics. */
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
}

/**
 * Whether a monitored figure should go down ('min'), up ('max'), or as its name suggests ('auto':
 * up for accuracy, auc, precision, recall; down otherwise).
 */
export type Mode = 'auto' | 'min' | 'max';

/** What the callbacks below share: the model they act on, and where their verbose lines go. */
abstract class ModelCallback implements Callback {
  protected model: CallbackModel | null = null;
  /** Where verbose lines go (set by `fit` through `setLog`). */
  protected log: (line: string) => void = (line) => console.log(line);
  setModel(model: CallbackModel): void {
    this.model = model;
  }
  setLog(log: (line: string) => void): void {
    this.log = log;
  }
}

/** 'auto' watches for a decrease unless the metric name says it should grow (accuracy, auc). */
function resolveMode(mode: Mode, monitor: string): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /acc|auc|precision|recall/.test(monitor) ? 'max' : 'min';
}

function metricOf(logs: Logs, monitor: string, who: string): number | null {
  const v = logs[monitor];
  if (typeof v !== 'number') {
    const known = Object.keys(logs).filter((k) => typeof logs[k] === 'number');
    console.warn(`${who}: metric '${monitor}' is not available; available: ${known.join(', ')}`);
    return null;
  }
  return v;
}

/**
 * The per-epoch logs of a `fit`, as Keras's History: `fit` returns it.
 * @example
 *   const history = await model.fit(x, y, { epochs: 10, validationSplit: 0.1 });
 *   history.history.val_loss;   // one number per epoch
 */
export class History implements Callback {
  readonly history: Record<string, number[]> = {};
  readonly epoch: number[] = [];
  onEpochEnd(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) {
      if (typeof v !== 'number') continue;
      (this.history[k] ??= []).push(v);
    }
  }
}

/** Options of `EarlyStopping`, Keras's names in camelCase (monitor 'val_loss', patience 0, ...). */
export interface EarlyStoppingArgs {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: Mode;
  baseline?: number;
  restoreBestWeights?: boolean;
  startFromEpoch?: number;
  verbose?: number;
}

/** Stops when `monitor` has not improved by more than `minDelta` for `patience` epochs. */
export class EarlyStopping extends ModelCallback {
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  private readonly mode: 'min' | 'max';
  private readonly args: EarlyStoppingArgs;
  private wait = 0;
  private best = Infinity;
  private bestWeights: Tensor[] | null = null;
  bestEpoch = -1;
  stoppedEpoch = -1;

  constructor(args: EarlyStoppingArgs = {}) {
    super();
    this.args = args;
    this.monitor = args.monitor ?? 'val_loss';
    this.patience = args.patience ?? 0;
    this.minDelta = Math.abs(args.minDelta ?? 0);
    this.restoreBestWeights = args.restoreBestWeights ?? false;
    this.mode = resolveMode(args.mode ?? 'auto', this.monitor);
  }
  private better(current: number, reference: number): boolean {
    return this.mode === 'min' ? current + this.minDelta < reference : current - this.minDelta > reference;
  }
  /** Resets the wait count and the best value (a new `fit` starts afresh). */
  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = -1;
    this.bestEpoch = -1;
    this.bestWeights = null;
    const start = this.mode === 'min' ? Infinity : -Infinity;
    this.best = this.args.baseline ?? start;
  }
  /** Compares `monitor` with the best so far; after `patience` epochs without improvement, stops training (and restores the best weights when asked). */
  onEpochEnd(epoch: number, logs: Logs): void {
    const current = metricOf(logs, this.monitor, 'EarlyStopping');
    if (current === null || epoch < (this.args.startFromEpoch ?? 0)) return;
    if (this.restoreBestWeights && this.bestWeights === null) this.bestWeights = this.model!.getWeights();
    this.wait++;
    if (this.better(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = this.model!.getWeights();
      // only restart the wait if beyond the baseline
      if (this.args.baseline === undefined || this.better(current, this.args.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
    }
  }
  /** Keras 3 restores the best weights when training ends, whether or not it stopped early. */
  onTrainEnd(): void {
    if (this.stoppedEpoch >= 0 && this.args.verbose) this.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights) {
      if (this.args.verbose) this.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.model!.setWeights(this.bestWeights);
    }
  }
}

/** Options of `ReduceLROnPlateau`, Keras's names in camelCase (factor 0.1, patience 10, ...). */
export interface ReduceLROnPlateauArgs {
  monitor?: string;
  factor?: number;
  patience?: number;
  mode?: Mode;
  minDelta?: number;
  cooldown?: number;
  minLr?: number;
  verbose?: number;
}

/** Multiplies the learning rate by `factor` after `patience` epochs without improvement. */
export class ReduceLROnPlateau extends ModelCallback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  private readonly mode: 'min' | 'max';
  private readonly verbose: number;
  private wait = 0;
  private cooldownCounter = 0;
  private best = Infinity;

  constructor(args: ReduceLROnPlateauArgs = {}) {
    super();
    this.monitor = args.monitor ?? 'val_loss';
    this.factor = args.factor ?? 0.1;
    if (!(this.factor < 1)) throw new Error(`ReduceLROnPlateau: factor must be < 1, received ${this.factor}`);
    this.patience = args.patience ?? 10;
    this.minDelta = args.minDelta ?? 1e-4;
    this.cooldown = args.cooldown ?? 0;
    this.minLr = args.minLr ?? 0;
    this.mode = resolveMode(args.mode ?? 'auto', this.monitor);
    this.verbose = args.verbose ?? 0;
  }
  /** Resets the wait and cooldown counts and the best value. */
  onTrainBegin(): void {
    this.wait = 0;
    this.cooldownCounter = 0;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }
  /** Compares `monitor` with the best so far; after `patience` epochs without improvement, multiplies the learning rate by `factor` (not below `minLr`). */
  onEpochEnd(epoch: number, logs: Logs): void {
    const opt = this.model?.optimizer;
    if (opt) logs.learning_rate = opt.learningRate;
    const current = metricOf(logs, this.monitor, 'ReduceLROnPlateau');
    if (current === null || !opt) return;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    const improved = this.mode === 'min' ? current < this.best - this.minDelta : current > this.best + this.minDelta;
    if (improved) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter <= 0) {
      this.wait++;
      if (this.wait >= this.patience && opt.learningRate > this.minLr) {
        const newLr = Math.max(opt.learningRate * this.factor, this.minLr);
        if (this.verbose) this.log(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${newLr}.`);
        opt.learningRate = newLr;
        this.cooldownCounter = this.cooldown;
        this.wait = 0;
      }
    }
  }
}

/** Options of `ModelCheckpoint`. */
export interface ModelCheckpointArgs {
  /** Where to write; `{epoch}` is replaced by the 1-based epoch number. */
  filepath: string;
  monitor?: string;
  saveBestOnly?: boolean;
  mode?: Mode;
  verbose?: number;
}

/** Saves the weights after each epoch, or only when `monitor` improves (`saveBestOnly`). */
export class ModelCheckpoint extends ModelCallback {
  readonly filepath: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  private readonly mode: 'min' | 'max';
  private readonly verbose: number;
  private best = Infinity;
  constructor(args: ModelCheckpointArgs) {
    super();
    this.filepath = args.filepath;
    this.monitor = args.monitor ?? 'val_loss';
    this.saveBestOnly = args.saveBestOnly ?? false;
    this.mode = resolveMode(args.mode ?? 'auto', this.monitor);
    this.verbose = args.verbose ?? 0;
  }
  /** Resets the best value. */
  onTrainBegin(): void {
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }
  /** Writes the weights to `filepath` (every epoch, or only when `monitor` improves with `saveBestOnly`). */
  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    const path = this.filepath.replace('{epoch}', String(epoch + 1));
    if (this.saveBestOnly) {
      const current = metricOf(logs, this.monitor, 'ModelCheckpoint');
      if (current === null) return;
      const improved = this.mode === 'min' ? current < this.best : current > this.best;
      if (!improved) return;
      if (this.verbose) this.log(`Epoch ${epoch + 1}: ${this.monitor} improved from ${this.best} to ${current}, saving model to ${path}`);
      this.best = current;
    }
    await this.model!.saveWeights(path);
  }
}

/**
 * Stops training at the first batch whose loss is NaN or infinite, and keeps the fit loop's
 * diagnosis of where the NaN first appeared (layer, and timestep for recurrent layers).
 */
export class TerminateOnNaN extends ModelCallback {
  report: string | null = null;
  /** Stops training when the batch loss is NaN or infinite, keeping the diagnosis of where the NaN appeared. */
  onBatchEnd(batch: number, logs: Logs): void {
    const loss = logs.loss;
    if (typeof loss === 'number' && !Number.isFinite(loss)) {
      this.report = `Batch ${batch}: invalid loss ${loss}, terminating training.` + (typeof logs.nan_report === 'string' ? ` ${logs.nan_report}` : '');
      console.warn(this.report);
      this.model!.stopTraining = true;
    }
  }
}

/** Options of `CSVLogger`: the file, the separator (','), whether to append to an existing file. */
export interface CSVLoggerArgs {
  filename: string;
  separator?: string;
  append?: boolean;
}

/** Writes one row per epoch (epoch, then the logs' numbers in a fixed column order). */
export class CSVLogger implements Callback {
  private readonly args: CSVLoggerArgs;
  private keys: string[] | null = null;
  constructor(args: CSVLoggerArgs) {
    this.args = args;
  }
  onTrainBegin(): void {
    this.keys = null;
    if (!this.args.append) this.files().appendText(this.args.filename, '', true);
  }
  onEpochEnd(epoch: number, logs: Logs): void {
    const sep = this.args.separator ?? ',';
    if (this.keys === null) {
      this.keys = Object.keys(logs).filter((k) => typeof logs[k] === 'number').sort();
      if (!this.files().hasContent(this.args.filename)) this.files().appendText(this.args.filename, ['epoch', ...this.keys].join(sep) + '\n');
    }
    this.files().appendText(this.args.filename, [epoch, ...this.keys.map((k) => logs[k] ?? '')].join(sep) + '\n');
  }
  private files(): FileAccess {
    return fileAccess('CSVLogger', 'in a page, keep the logs from a callback of your own (onEpochEnd) instead');
  }
}
