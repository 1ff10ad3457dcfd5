/** BatchNormalization with a mask: training statistics over the unmasked steps only (Keras 3). */
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { BatchNormalization, setSeed } from '@seqlab/layers';
import { maxAbsDiff } from '../../../tests/support';

const x = T.randomNormal([2, 4, 3], 0, 2, { seed: 12 });
const mask = T.tensor([[1, 1, 1, 0], [1, 0, 0, 0]]);
/** The unmasked steps as rows [4, 3]. */
const kept = (t: Tensor): Tensor => T.concat([T.slice(t, [0, 0, 0], [1, 3, 3]).reshape([3, 3]), T.slice(t, [1, 0, 0], [1, 1, 3]).reshape([1, 3])], 0);

test('masked steps do not enter the batch statistics or the moving ones', () => {
  setSeed(1);
  const masked = new BatchNormalization({ momentum: 0.5 });
  masked.apply(x); // build
  const y = masked.call(x, { training: true, mask }) as Tensor;
  setSeed(1);
  const plain = new BatchNormalization({ momentum: 0.5 });
  const rows = kept(x);
  plain.apply(rows); // build
  const yRows = plain.call(rows, { training: true, mask: null }) as Tensor;
  // on the unmasked steps the outputs agree (Keras adds 1e-7 to the count: a tiny difference)
  expect(maxAbsDiff(kept(y), yRows)).toBeLessThan(1e-5);
  expect(maxAbsDiff(masked.movingMean.value, plain.movingMean.value)).toBeLessThan(1e-6);
  expect(maxAbsDiff(masked.movingVariance.value, plain.movingVariance.value)).toBeLessThan(1e-5);
  // without a mask every step counts: different statistics
  const unmasked = new BatchNormalization({ momentum: 0.5 });
  unmasked.apply(x);
  unmasked.call(x, { training: true, mask: null });
  expect(maxAbsDiff(unmasked.movingMean.value, masked.movingMean.value)).toBeGreaterThan(1e-3);
});

test('gradients through the masked statistics match finite differences', () => {
  setSeed(2);
  const bn = new BatchNormalization();
  bn.apply(x);
  const vars = bn.trainableWeights;
  for (const v of bn.weights) v.value = v.value.cast('float64');
  const m64 = mask.cast('float64');
  const f = (...ts: Tensor[]): Tensor => {
    const [xi, ...ws] = ts;
    vars.forEach((v, i) => (v.value = ws[i]));
    return bn.call(xi, { training: true, mask: m64 }) as Tensor;
  };
  const r = A.checkGradients(f, [x.cast('float64'), ...vars.map((v) => v.value)]);
  if (!r.ok) throw new Error(r.message);
});
