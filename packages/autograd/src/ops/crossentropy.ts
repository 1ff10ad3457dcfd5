/**
 * Cross-entropy of a softmax computed from its logits, as one op per row of the last axis
 * (TensorFlow's `softmax_cross_entropy_with_logits` and its sparse form). With z the logits of a
 * row, y its labels, p = softmax(z) and lse = log Σ_c e^{z_c}:
 *
 *   loss = -Σ_c y_c · log p_c = (Σ_c y_c) · lse - Σ_c y_c · z_c
 *   d loss / d z_c = (Σ y) · p_c - y_c        d loss / d y_c = lse - z_c
 *
 * One forward pass keeps p (and Σ y) for the backward pass; nothing is formed per element beyond
 * p. Labels are used as given (not normalized), as TensorFlow does. TensorFlow's gradient is
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
 * Per-row cross-entropy -Σ y · log softmax(z) over the last axis, from the logits z and labels y
 * of the same shape; the result has z's shape without its last axis.
 * @example softmaxCrossentropy(tensor([[0, 0]]), tensor([[1, 0]]))   // [0.6931...] = log 2
 */
export function softmaxCrossentropy(logits: Tensor, labels: Tensor): Tensor {
  const op = 'softmaxCrossentropy';
  const { rows, n } = rowsOf(op, logits);
  if (!T.shapesEqual(logits.shape, labels.shape)) throw new Error(`${op}: labels of shape ${fmtShape(labels.shape)} do not match logits of shape ${fmtShape(logits.shape)}`);
  const z = logits.data;
  const y = labels.data;
  const p = allocLike(logits.dtype, logits.size);
  const lse = new Float64Array(rows);
  const ySum = new Float64Array(rows);
  T.softmaxRows(z, p, rows, n, lse);
  const loss = allocLike(T.resultType(logits, labels), rows);
  for (let r = 0, b = 0; r < rows; r++, b += n) {
    let sy = 0;
    let syz = 0;
    for (let j = b; j < b + n; j++) {
      sy += y[j];
      syz += y[j] * z[j];
    }
    ySum[r] = sy;
    loss[r] = sy * lse[r] - syz;
  }
  const out = new Tensor(loss, logits.shape.slice(0, -1));
  return record(op, [logits, labels], out, (g, needs) => {
    const gd = g.data;
    let dz: Tensor | null = null;
    let dy: Tensor | null = null;
    if (needs[0]) {
      const d = allocLike(T.resultType(logits, g), logits.size);
      for (let r = 0, b = 0; r < rows; r++, b += n) {
        const gr = gd[r];
        const sy = ySum[r];
        for (let j = b; j < b + n; j++) d[j] = gr * (sy * p[j] - y[j]);
      }
      dz = new Tensor(d, logits.shape);
    }
    if (needs[1]) {
      const d = allocLike(T.resultType(labels, g), labels.size);
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
 * p_c - [c = k]; the indices get no gradient.
 * @example sparseSoftmaxCrossentropy(tensor([[0, 0]]), tensor([1]))   // [0.6931...] = log 2
 */
export function sparseSoftmaxCrossentropy(logits: Tensor, classes: Tensor): Tensor {
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
  const p = allocLike(logits.dtype, logits.size);
  const lse = new Float64Array(rows);
  T.softmaxRows(z, p, rows, n, lse);
  const loss = allocLike(logits.dtype, rows);
  for (let r = 0; r < rows; r++) loss[r] = lse[r] - z[r * n + k[r]];
  const out = new Tensor(loss, expected);
  return record(op, [logits], out, (g) => {
    const gd = g.data;
    const d = allocLike(T.resultType(logits, g), logits.size);
    for (let r = 0, b = 0; r < rows; r++, b += n) {
      const gr = gd[r];
      for (let j = b; j < b + n; j++) d[j] = gr * p[j];
      d[b + k[r]] = gr * (p[b + k[r]] - 1);
    }
    return [new Tensor(d, logits.shape)];
  });
}
