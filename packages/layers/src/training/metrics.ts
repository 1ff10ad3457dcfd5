/**
 * Metrics accumulated over an epoch (as Keras's stateful metrics), and the evaluation helpers the
 * seed 002 analysis uses, with scikit-learn's definitions: rocCurve, auc, balancedAccuracy,
 * confusionMatrix.
 */
import { Tensor } from '@seqlab/tensor';
import { camel } from '../initializers';

/** A metric accumulated over the batches of an epoch: `reset`, `update` per batch, `result` at the end. */
export interface Metric {
  /** The name in logs and history ('accuracy', 'auc', ...). */
  readonly name: string;
  /** Forgets everything seen (`fit` calls it at the start of each epoch). */
  reset(): void;
  /** Adds a batch; `weights` (sample weights times mask, per prediction row) may be null. */
  update(yTrue: Tensor, yPred: Tensor, weights: Tensor | null): void;
  /** The metric over everything seen since the last `reset`. */
  result(): number;
}

/** Per-row weight (1 when no weights). */
function weightAt(weights: Tensor | null, row: number): number {
  return weights ? weights.data[row] : 1;
}

abstract class MeanMetric implements Metric {
  protected total = 0;
  protected count = 0;
  constructor(readonly name: string) {}
  reset(): void {
    this.total = 0;
    this.count = 0;
  }
  result(): number {
    return this.count > 0 ? this.total / this.count : 0;
  }
  /** Adds a batch; `weights` (per prediction row) may be null. */
  abstract update(yTrue: Tensor, yPred: Tensor, weights: Tensor | null): void;
}

/** Binary accuracy: mean of [ (ŷ > 0.5) = y ] over every element. */
export class BinaryAccuracy extends MeanMetric {
  constructor(name = 'accuracy', readonly threshold = 0.5) {
    super(name);
  }
  update(yTrue: Tensor, yPred: Tensor, weights: Tensor | null): void {
    const per = yPred.size / Math.max(1, weights ? weights.size : yPred.size);
    for (let i = 0; i < yPred.size; i++) {
      const w = weightAt(weights, Math.floor(i / per));
      const hit = (yPred.data[i] > this.threshold ? 1 : 0) === (yTrue.data[i] > 0.5 ? 1 : 0) ? 1 : 0;
      this.total += w * hit;
      this.count += w;
    }
  }
}

/** Categorical accuracy: argmax of prediction equals argmax of one-hot label, per row. */
export class CategoricalAccuracy extends MeanMetric {
  constructor(name = 'accuracy', private readonly sparse = false) {
    super(name);
  }
  update(yTrue: Tensor, yPred: Tensor, weights: Tensor | null): void {
    const c = yPred.shape[yPred.rank - 1];
    const rows = yPred.size / c;
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let j = 1; j < c; j++) if (yPred.data[r * c + j] > yPred.data[r * c + best]) best = j;
      let label: number;
      if (this.sparse) label = yTrue.data[r];
      else {
        label = 0;
        for (let j = 1; j < c; j++) if (yTrue.data[r * c + j] > yTrue.data[r * c + label]) label = j;
      }
      const w = weightAt(weights, r);
      this.total += w * (best === label ? 1 : 0);
      this.count += w;
    }
  }
}

/** Precision (tp / (tp + fp)) or recall (tp / (tp + fn)) at threshold 0.5. */
export class PrecisionRecall implements Metric {
  private tp = 0;
  private fp = 0;
  private fn = 0;
  constructor(readonly name: 'precision' | 'recall', readonly threshold = 0.5) {}
  reset(): void {
    this.tp = this.fp = this.fn = 0;
  }
  update(yTrue: Tensor, yPred: Tensor, weights: Tensor | null): void {
    const per = yPred.size / Math.max(1, weights ? weights.size : yPred.size);
    for (let i = 0; i < yPred.size; i++) {
      const w = weightAt(weights, Math.floor(i / per));
      const p = yPred.data[i] > this.threshold;
      const t = yTrue.data[i] > 0.5;
      if (p && t) this.tp += w;
      else if (p) this.fp += w;
      else if (t) this.fn += w;
    }
  }
  result(): number {
    const d = this.name === 'precision' ? this.tp + this.fp : this.tp + this.fn;
    return d > 0 ? this.tp / d : 0;
  }
}

/**
 * ROC AUC over everything seen in the epoch, computed exactly from the sorted scores (Keras
 * approximates it with 200 thresholds; the exact value is what scikit-learn's roc_auc_score gives).
 */
export class AUC implements Metric {
  private scores: number[] = [];
  private labels: number[] = [];
  private weights: number[] = [];
  constructor(readonly name = 'auc') {}
  reset(): void {
    this.scores = [];
    this.labels = [];
    this.weights = [];
  }
  update(yTrue: Tensor, yPred: Tensor, weights: Tensor | null): void {
    const per = yPred.size / Math.max(1, weights ? weights.size : yPred.size);
    for (let i = 0; i < yPred.size; i++) {
      this.scores.push(yPred.data[i]);
      this.labels.push(yTrue.data[i] > 0.5 ? 1 : 0);
      this.weights.push(weightAt(weights, Math.floor(i / per)));
    }
  }
  result(): number {
    const { fpr, tpr } = rocCurve(this.labels, this.scores, { dropIntermediate: false, sampleWeight: this.weights });
    return auc(fpr, tpr);
  }
}

/** A metric name ('accuracy', 'auc', 'precision', 'recall', ...) or a Metric object. */
export type MetricSpec = string | Metric;

/** Resolves a metric name; 'accuracy' becomes binary, categorical or sparse accuracy from the loss (as Keras). */
export function getMetric(spec: MetricSpec, lossName: string | null): Metric {
  if (typeof spec !== 'string') return spec;
  const n = camel(spec);
  if (n === 'accuracy' || n === 'acc') {
    if (lossName === 'sparseCategoricalCrossentropy') return new CategoricalAccuracy('accuracy', true);
    if (lossName === 'categoricalCrossentropy') return new CategoricalAccuracy('accuracy', false);
    if (lossName === 'binaryCrossentropy') return new BinaryAccuracy('accuracy');
    return new ShapeAccuracy();
  }
  if (n === 'binaryAccuracy') return new BinaryAccuracy('binary_accuracy');
  if (n === 'categoricalAccuracy') return new CategoricalAccuracy('categorical_accuracy');
  if (n === 'sparseCategoricalAccuracy') return new CategoricalAccuracy('sparse_categorical_accuracy', true);
  if (n === 'auc') return new AUC();
  if (n === 'precision' || n === 'recall') return new PrecisionRecall(n);
  throw new Error(`compile: unknown metric '${spec}'; expected accuracy, auc, precision, recall, or a Metric object`);
}

/**
 * 'accuracy' when the loss does not say which (a loss function, or a loss object of unknown
 * kind): picked on the first batch by the shapes, Keras's rule: predictions with one value per row
 * -> binary; labels of lower rank than the predictions, or one label per row against several
 * predictions -> sparse categorical; otherwise categorical.
 */
export class ShapeAccuracy implements Metric {
  readonly name = 'accuracy';
  private picked: Metric | null = null;
  reset(): void {
    this.picked?.reset();
  }
  update(yTrue: Tensor, yPred: Tensor, weights: Tensor | null): void {
    if (this.picked === null) {
      const last = (t: Tensor): number => t.shape[t.rank - 1];
      if (last(yPred) === 1) this.picked = new BinaryAccuracy('accuracy');
      else if (yTrue.rank < yPred.rank || last(yTrue) === 1) this.picked = new CategoricalAccuracy('accuracy', true);
      else this.picked = new CategoricalAccuracy('accuracy', false);
    }
    this.picked.update(yTrue, yPred, weights);
  }
  result(): number {
    return this.picked === null ? 0 : this.picked.result();
  }
}

// ---------------------------------------------------------------------------------------------
// evaluation helpers (scikit-learn definitions)

type Numbers = ArrayLike<number> | Tensor;
const arr = (x: Numbers): ArrayLike<number> => (x instanceof Tensor ? x.data : x);

/** A ROC curve as scikit-learn's `roc_curve` returns it: false and true positive rates at each threshold. */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** Decreasing; the first is Infinity (scikit-learn >= 1.3). */
  thresholds: number[];
}

/**
 * ROC curve as sklearn.metrics.roc_curve: one point per distinct score (descending), starting at
 * (0, 0) with threshold Infinity; with `dropIntermediate` (default true) collinear points are dropped.
 */
export function rocCurve(
  yTrue: Numbers,
  yScore: Numbers,
  options: { dropIntermediate?: boolean; sampleWeight?: ArrayLike<number> } = {},
): RocCurve {
  const t = arr(yTrue);
  const s = arr(yScore);
  if (t.length !== s.length) throw new Error(`rocCurve: ${t.length} labels but ${s.length} scores`);
  const order = Array.from({ length: s.length }, (_, i) => i).sort((a, b) => s[b] - s[a]);
  const w = options.sampleWeight;
  const tps: number[] = [];
  const fps: number[] = [];
  const thr: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const wi = w ? w[i] : 1;
    if (t[i] > 0.5) tp += wi;
    else fp += wi;
    if (k === order.length - 1 || s[order[k + 1]] !== s[i]) {
      tps.push(tp);
      fps.push(fp);
      thr.push(s[i]);
    }
  }
  let keep = tps.map((_, i) => i);
  if (options.dropIntermediate ?? true) {
    // keep a point unless it lies on the straight line through its neighbours (sklearn's rule)
    keep = keep.filter((i) => {
      if (i === 0 || i === tps.length - 1) return true;
      const d2fps = fps[i - 1] - 2 * fps[i] + fps[i + 1];
      const d2tps = tps[i - 1] - 2 * tps[i] + tps[i + 1];
      return d2fps !== 0 || d2tps !== 0;
    });
  }
  const P = tp;
  const N = fp;
  const fpr = [0, ...keep.map((i) => (N > 0 ? fps[i] / N : NaN))];
  const tpr = [0, ...keep.map((i) => (P > 0 ? tps[i] / P : NaN))];
  return { fpr, tpr, thresholds: [Infinity, ...keep.map((i) => thr[i])] };
}

/** Area under a curve by the trapezoidal rule (sklearn.metrics.auc); x must be monotonic. */
export function auc(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error(`auc: x has ${x.length} points but y has ${y.length}`);
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return Math.abs(area);
}

/** Confusion matrix C[i][j] = count of true class i predicted as j (sklearn's layout). */
export function confusionMatrix(yTrue: Numbers, yPred: Numbers, numClasses?: number): number[][] {
  const t = arr(yTrue);
  const p = arr(yPred);
  if (t.length !== p.length) throw new Error(`confusionMatrix: ${t.length} labels but ${p.length} predictions`);
  let k = numClasses ?? 0;
  if (numClasses === undefined) for (let i = 0; i < t.length; i++) k = Math.max(k, t[i] + 1, p[i] + 1);
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < t.length; i++) {
    if (!Number.isInteger(t[i]) || !Number.isInteger(p[i]) || t[i] < 0 || p[i] < 0 || t[i] >= k || p[i] >= k) {
      throw new Error(`confusionMatrix: labels must be integers in [0, ${k}), received ${t[i]} and ${p[i]} at position ${i}`);
    }
    m[t[i]][p[i]]++;
  }
  return m;
}

/** Balanced accuracy: the mean over classes of the recall (sklearn.metrics.balanced_accuracy_score). */
export function balancedAccuracy(yTrue: Numbers, yPred: Numbers): number {
  const m = confusionMatrix(yTrue, yPred);
  const recalls = m.map((row, i) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n > 0 ? row[i] / n : null;
  }).filter((r): r is number => r !== null);
  return recalls.reduce((a, b) => a + b, 0) / recalls.length;
}
