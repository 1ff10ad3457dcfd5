import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import {
  AUC, BatchNormalization, Dense, Dropout, LSTM, Model, PrecisionRecall, Sequential, auc, balancedAccuracy, confusionMatrix,
  input, rocCurve, setSeed,
} from '@seqlab/layers';

describe('evaluation helpers match scikit-learn', () => {
  test('roc_curve and auc on the documented example', () => {
    // sklearn docs: y = [1, 1, 2, 2] (positive 2), scores [0.1, 0.4, 0.35, 0.8]
    const r = rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
    expect(r.fpr).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(r.tpr).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(r.thresholds).toEqual([Infinity, 0.8, 0.4, 0.35, 0.1]);
    expect(auc(r.fpr, r.tpr)).toBe(0.75);
    // drop_intermediate removes collinear points
    const dense = rocCurve([0, 1, 0, 1, 1, 1], [0.1, 0.9, 0.2, 0.8, 0.7, 0.6], { dropIntermediate: true });
    // (sorted: 4 positives then 2 negatives; the kept points are the first, the corner, the last)
    expect(dense.fpr).toEqual([0, 0, 0, 1]);
    expect(dense.tpr).toEqual([0, 0.25, 1, 1]);
    expect(dense.thresholds).toEqual([Infinity, 0.9, 0.6, 0.1]);
  });

  test('balanced_accuracy_score and confusion_matrix examples', () => {
    expect(balancedAccuracy([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1])).toBe(0.625);
    expect(confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])).toEqual([[2, 0, 0], [0, 0, 1], [1, 0, 2]]);
    expect(() => confusionMatrix([0, 1], [0])).toThrow('2 labels but 1 predictions');
  });

  test('AUC, precision and recall metrics accumulate over batches', () => {
    const m = new AUC();
    m.update(T.tensor([[0], [0]]), T.tensor([[0.1], [0.4]]), null);
    m.update(T.tensor([[1], [1]]), T.tensor([[0.35], [0.8]]), null);
    expect(m.result()).toBe(0.75);
    const p = new PrecisionRecall('precision');
    const r = new PrecisionRecall('recall');
    for (const x of [p, r]) x.update(T.tensor([1, 0, 1, 1]), T.tensor([0.9, 0.8, 0.2, 0.7]), null);
    expect(p.result()).toBeCloseTo(2 / 3, 10);
    expect(r.result()).toBeCloseTo(2 / 3, 10);
  });
});

describe('the training flag', () => {
  test('Dropout and recurrent dropout act only in training; BatchNormalization updates its statistics only in fit', async () => {
    setSeed(3);
    const m = new Sequential([
      new LSTM({ units: 4, dropout: 0.5, recurrentDropout: 0.5, inputShape: [5, 3] }),
      new BatchNormalization(),
      new Dropout({ rate: 0.5 }),
      new Dense({ units: 1 }),
    ]);
    const x = T.randomNormal([8, 5, 3], 0, 1, { seed: 1 });
    const a = m.predict(x) as Tensor;
    expect(Array.from((m.predict(x) as Tensor).data)).toEqual(Array.from(a.data));
    const t1 = m.run([x], { training: true })[0];
    const t2 = m.run([x], { training: true })[0];
    expect(Array.from(t1.data)).not.toEqual(Array.from(t2.data));
    const bn = m.layers[1] as BatchNormalization;
    const before = Array.from(bn.movingMean.value.data);
    m.predict(x);
    expect(Array.from(bn.movingMean.value.data)).toEqual(before);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await m.fit(x, T.zeros([8, 1]), { epochs: 1, verbose: 0 });
    expect(Array.from(bn.movingMean.value.data)).not.toEqual(before);
  });
});

describe('functional models with several inputs and outputs', () => {
  test('fit takes lists of inputs and targets and logs each output loss as Keras names it', async () => {
    setSeed(4);
    const a = input({ shape: [3] });
    const b = input({ shape: [2] });
    const h = new Dense({ units: 4, activation: 'tanh' }).apply(a) as never;
    const out1 = new Dense({ units: 1, name: 'score' }).apply(h) as never;
    const out2 = new Dense({ units: 1, activation: 'sigmoid', name: 'flag' }).apply(b) as never;
    const m = new Model({ inputs: [a, b], outputs: [out1, out2] });
    m.compile({ optimizer: 'adam', loss: ['mse', 'binaryCrossentropy'], metrics: ['accuracy'] });
    const xa = T.randomNormal([16, 3], 0, 1, { seed: 2 });
    const xb = T.randomNormal([16, 2], 0, 1, { seed: 3 });
    const ya = T.randomNormal([16, 1], 0, 1, { seed: 4 });
    const yb = T.tensor(Array.from({ length: 16 }, (_, i) => i % 2), [16, 1]);
    const hist = await m.fit([xa, xb], [ya, yb], { epochs: 2, batchSize: 8, validationData: [[xa, xb], [ya, yb]], verbose: 0 });
    expect(Object.keys(hist.history).sort()).toEqual([
      'flag_accuracy', 'flag_loss', 'grad_norm', 'loss', 'score_accuracy', 'score_loss',
      'val_flag_accuracy', 'val_flag_loss', 'val_loss', 'val_score_accuracy', 'val_score_loss',
    ]);
    const e = hist.history;
    expect(e.loss[1]).toBeCloseTo(e.score_loss[1] + e.flag_loss[1], 5);
  });
});
