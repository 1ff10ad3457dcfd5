/**
 * Cross-entropy of a softmax computed from its logits, as one op per row of the last axis
 * (TensorFlow's `softmax_cross_entropy_with_logits` and its sparse form). With z the logits of a
 * row, y its labels, p = softmax(z) and lse = log Σ_c e^{z_c}:
 *
 *   loss = -Σ_c y_c · log p_c = (Σ_c y_c) · lse - Σ_c y_c · z_c
 *   d loss / d z_c = (Σ y) · p_c - y_c        d loss / d y_c = lse - z_c
 *
 * One forward pass keeps p (and Σ y) for the backward pass; nothing is formed per element beyond
 * p, and not even p when the caller has it already (`SoftmaxOfLogits`: a softmax activation's
 * output). The rows run in @seqlab/tensor (crossentropy_rows.ts, softmax_rows.ts), split over the
 * thread pool when large. Labels are used as given (not normalized), as TensorFlow does. TensorFlow's gradient is
 * p - y, the derivative when the labels of a row sum to 1; here it is the exact derivative for any
 * labels, the same for one-hot or probability labels.
 */
import * as T from '@seqlab/tensor';
import { Tensor, allocLike, fmtShape } from '@seqlab/tensor';
import { record } from '../tape';

/** Rows and classes of logits, checked: the last axis holds the classes. */
function rowsOf(op: string, z: Tensor): { rows: number; n: number } {
  if (z.rank < 1 || z.shape[z.rank - 1] === 0) throw new Error(`${op}: logits must have a non-empty last axis (the classes), received shape ${fmtShape(z.shape)}`);
  const n = z.shape[z.rank - 1];
  return { rows: z.size / n, n };
}

/**
 * The softmax of some logits over their last axis, computed already (`T.softmax` with its `lse`):
 * the probabilities p and each row's log-sum-exp. The cross-entropies use them instead of
 * computing them again; they must be exactly what `T.softmaxRows` gives for those logits.
 */
export interface SoftmaxOfLogits {
  /** softmax(z), the logits' shape and dtype */
  probabilities: Tensor;
  /** log Σ_c e^{z_c} of each row */
  logSumExp: Float64Array;
}

/** p and lse of the logits: `known`'s (checked against the logits), else computed. */
function softmaxOf(op: string, logits: Tensor, rows: number, n: number, known: SoftmaxOfLogits | undefined): { p: T.DataArray; lse: Float64Array } {
  if (known === undefined) {
    const p = allocLike(logits.dtype, logits.size, false);
    const lse = new Float64Array(rows);
    T.softmaxRows(logits.data, p, rows, n, lse);
    return { p, lse };
  }
  const { probabilities: pt, logSumExp: lse } = known;
  if (!T.shapesEqual(pt.shape, logits.shape) || pt.dtype !== logits.dtype || lse.length !== rows) {
    throw new Error(`${op}: the softmax given (probabilities ${fmtShape(pt.shape)} ${pt.dtype}, ${lse.length} log-sum-exps) does not match logits of shape ${fmtShape(logits.shape)} ${logits.dtype}`);
  }
  return { p: pt.data, lse };
}

/**
 * Per-row cross-entropy -Σ y · log softmax(z) over the last axis, from the logits z and labels y
 * of the same shape; the result has z's shape without its last axis. `known`: z's softmax,
 * computed already (it is then not computed again).
 * @example softmaxCrossentropy(tensor([[0, 0]]), tensor([[1, 0]]))   // [0.6931...] = log 2
 */
export function softmaxCrossentropy(logits: Tensor, labels: Tensor, known?: SoftmaxOfLogits): Tensor {
  const op = 'softmaxCrossentropy';
  const { rows, n } = rowsOf(op, logits);
  if (!T.shapesEqual(logits.shape, labels.shape)) throw new Error(`${op}: labels of shape ${fmtShape(labels.shape)} do not match logits of shape ${fmtShape(logits.shape)}`);
  const z = logits.data;
  const y = labels.data;
  const { p, lse } = softmaxOf(op, logits, rows, n, known);
  const ySum = new Float64Array(rows);
  const loss = allocLike(T.resultType(logits, labels), rows);
  T.crossentropyRows(z, y, lse, loss, ySum, rows, n);
  const out = new Tensor(loss, logits.shape.slice(0, -1));
  return record(op, [logits, labels], out, (g, needs) => {
    const gd = g.data;
    let dz: Tensor | null = null;
    let dy: Tensor | null = null;
    if (needs[0]) {
      // d loss / d z_c = (Σ y) · p_c - y_c
      const d = allocLike(T.resultType(logits, g), logits.size, false);
      T.crossentropyGradRows(p, y, gd, ySum, d, rows, n);
      dz = new Tensor(d, logits.shape);
    }
    if (needs[1]) {
      // d loss / d y_c = lse - z_c
      const d = allocLike(T.resultType(labels, g), labels.size, false);
      for (let r = 0, b = 0; r < rows; r++, b += n) {
        const gr = gd[r];
        const l = lse[r];
        for (let j = b; j < b + n; j++) d[j] = gr * (l - z[j]);
      }
      dy = new Tensor(d, labels.shape);
    }
    return [dz, dy];
  });
}

/**
 * Per-row cross-entropy -log softmax(z)[k] = lse - z_k over the last axis, from the logits z and
 * class indices k (shape: z's without its last axis; integers in [0, classes)). d loss / d z_c =
 * p_c - [c = k]; the indices get no gradient. `known`: z's softmax, computed already.
 * @example sparseSoftmaxCrossentropy(tensor([[0, 0]]), tensor([1]))   // [0.6931...] = log 2
 */
export function sparseSoftmaxCrossentropy(logits: Tensor, classes: Tensor, known?: SoftmaxOfLogits): Tensor {
  const op = 'sparseSoftmaxCrossentropy';
  const { rows, n } = rowsOf(op, logits);
  const expected = logits.shape.slice(0, -1);
  if (!T.shapesEqual(classes.shape, expected)) {
    throw new Error(`${op}: class indices of shape ${fmtShape(classes.shape)} do not match logits of shape ${fmtShape(logits.shape)} (expected ${fmtShape(expected)})`);
  }
  const k = classes.data;
  for (let r = 0; r < rows; r++) {
    if (!Number.isInteger(k[r]) || k[r] < 0 || k[r] >= n) throw new Error(`${op}: class indices must be integers in [0, ${n}), received ${k[r]} at flat position ${r}`);
  }
  const z = logits.data;
  const { p, lse } = softmaxOf(op, logits, rows, n, known);
  const loss = allocLike(logits.dtype, rows);
  for (let r = 0; r < rows; r++) loss[r] = lse[r] - z[r * n + k[r]];
  const out = new Tensor(loss, expected);
  return record(op, [logits], out, (g) => {
    // d loss / d z_c = p_c - [c = k]
    const d = allocLike(T.resultType(logits, g), logits.size, false);
    T.sparseCrossentropyGradRows(p, k, g.data, d, rows, n);
    return [new Tensor(d, logits.shape)];
  });
}
