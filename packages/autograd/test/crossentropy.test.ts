/**
 * The fused cross-entropy ops held to the formulas they replace, composed from primitives:
 * -Σ y·logSoftmax(z), and -Σ y·log(softmax(z)) where no probability is small (the losses' clipped
 * form agrees there). Values and gradients, float64 to 1e-10 and float32 within its rounding; the
 * sparse op against the dense one with one-hot labels.
 */
import fc from 'fast-check';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import * as A from '@seqlab/autograd';
import { expectClose } from '../../../tests/support';

const RUNS = { seed: 20261202, numRuns: 60 };

function uniform(shape: number[], seed: number, lo: number, hi: number, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const rng = new T.Rng(seed);
  const n = T.sizeOf(shape);
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.uniform(lo, hi);
  return new Tensor(data, shape);
}

/** Class ids for the rows of `lead` and their one-hot rows. */
function idsAndOneHot(lead: number[], classes: number, seed: number, dtype: 'float32' | 'float64'): { ids: Tensor; onehot: Tensor } {
  const rng = new T.Rng(seed);
  const ids = T.tensor(Array.from({ length: T.sizeOf(lead) }, () => Math.floor(rng.uniform(0, classes))), [T.sizeOf(lead)]).reshape(lead);
  return { ids, onehot: T.oneHot(ids, classes).cast(dtype) };
}

/** The loss rows and the gradient of Σ w·loss with respect to the logits, for a random weighting w. */
function valueAndLogitGrad(loss: (z: Tensor) => Tensor, z: Tensor, seed: number): { value: Tensor; dz: Tensor } {
  const value = A.noGrad(() => loss(z));
  const w = uniform(value.shape, seed, 0.5, 2, z.dtype);
  const { grads } = A.gradients(() => A.sum(A.mul(loss(z), w)), [z]);
  return { value, dz: grads[0] };
}

const caseArb = fc.tuple(fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }), fc.integer({ min: 1, max: 70 }), fc.nat());

describe('softmaxCrossentropy', () => {
  test('point values: log 2 for two equal logits; labels used as given (not normalized)', () => {
    const z = T.tensor([[0, 0], [0, Math.log(3)]], undefined, { dtype: 'float64' });
    expectClose(A.softmaxCrossentropy(z, T.tensor([[1, 0], [0, 1]], undefined, { dtype: 'float64' })).data, [Math.log(2), Math.log(4 / 3)], { rtol: 1e-14, atol: 0 });
    // labels summing to 2: twice the loss, gradient 2·p - y
    const y2 = T.tensor([[2, 0]], undefined, { dtype: 'float64' });
    const z1 = T.tensor([[0, 0]], undefined, { dtype: 'float64' });
    expectClose(A.softmaxCrossentropy(z1, y2).data, [2 * Math.log(2)], { rtol: 1e-14, atol: 0 });
    expectClose(A.gradients(() => A.sum(A.softmaxCrossentropy(z1, y2)), [z1]).grads[0].data, [-1, 1], { rtol: 1e-14, atol: 1e-15 });
  });

  test('property (float64): equals -Σ y·logSoftmax(z) and -Σ y·log softmax(z), values and gradients', () => {
    fc.assert(
      fc.property(caseArb, ([lead, classes, seed]) => {
        const shape = [...lead, classes];
        // moderate logits: every probability is far above the losses' clipping at 1e-7
        const z = uniform(shape, seed, -3, 3);
        const y = uniform(shape, seed + 1, 0, 1);
        const fused = valueAndLogitGrad((t) => A.softmaxCrossentropy(t, y), z, seed + 2);
        const viaLogSoftmax = valueAndLogitGrad((t) => A.neg(A.sum(A.mul(y, A.logSoftmax(t, -1)), -1)), z, seed + 2);
        const viaLog = valueAndLogitGrad((t) => A.neg(A.sum(A.mul(y, A.log(A.softmax(t, -1))), -1)), z, seed + 2);
        expect(fused.value.shape).toEqual(lead);
        for (const ref of [viaLogSoftmax, viaLog]) {
          expectClose(fused.value.data, ref.value.data, { rtol: 1e-10, atol: 1e-12 });
          expectClose(fused.dz.data, ref.dz.data, { rtol: 1e-10, atol: 1e-12 });
        }
      }),
      RUNS,
    );
  });

  test('property (float32): within float32 rounding of the float64 values', () => {
    fc.assert(
      fc.property(caseArb, ([lead, classes, seed]) => {
        const shape = [...lead, classes];
        const z = uniform(shape, seed, -8, 8, 'float32');
        const { onehot } = idsAndOneHot(lead, classes, seed + 1, 'float32');
        const f32 = valueAndLogitGrad((t) => A.softmaxCrossentropy(t, onehot), z, seed + 2);
        const f64 = valueAndLogitGrad((t) => A.softmaxCrossentropy(t, onehot.cast('float64')), z.cast('float64'), seed + 2);
        expect(f32.value.dtype).toBe('float32');
        expectClose(f32.value.data, f64.value.data, { rtol: 2e-6, atol: 2e-6 });
        expectClose(f32.dz.data, f64.dz.data, { rtol: 2e-6, atol: 1e-7 });
      }),
      RUNS,
    );
  });

  test('huge logits stay finite; zero labels give zero loss and gradient', () => {
    const z = T.tensor([[1000, -1000, 0], [1e30, 0, -1e30]]);
    const y = T.tensor([[0, 1, 0], [0, 0, 0]]);
    const { value, grads } = A.valueAndGrad((t: Tensor) => A.sum(A.softmaxCrossentropy(t, y)))(z);
    expectClose(value.data, [2000], { rtol: 1e-6, atol: 0 });
    expect(Array.from(grads[0].data)).toEqual([1, -1, 0, 0, 0, 0]);
  });

  test('property: with the softmax given (A.softmax with its lse), the same loss and gradients bit for bit, dense and sparse', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom<'float32' | 'float64'>('float32', 'float64'), ([lead, classes, seed], dtype) => {
        const z = uniform([...lead, classes], seed, -20, 20, dtype);
        const y = uniform([...lead, classes], seed + 1, 0, 1, dtype);
        const { ids } = idsAndOneHot(lead, classes, seed + 2, dtype);
        const given = (t: Tensor) => {
          const lse = new Float64Array(T.sizeOf(lead));
          const p = T.softmax(t, -1, lse);
          return { probabilities: p, logSumExp: lse };
        };
        const pairs: [(t: Tensor) => Tensor, (t: Tensor) => Tensor][] = [
          [(t) => A.softmaxCrossentropy(t, y), (t) => A.softmaxCrossentropy(t, y, given(t))],
          [(t) => A.sparseSoftmaxCrossentropy(t, ids), (t) => A.sparseSoftmaxCrossentropy(t, ids, given(t))],
        ];
        for (const [computed, reused] of pairs) {
          const a = valueAndLogitGrad(computed, z, seed + 3);
          const b = valueAndLogitGrad(reused, z, seed + 3);
          expect(Array.from(b.value.data)).toEqual(Array.from(a.value.data));
          expect(Array.from(b.dz.data)).toEqual(Array.from(a.dz.data));
        }
        // the labels' gradient too
        const dy = (f: (t: Tensor, l: Tensor) => Tensor) => A.gradients(() => A.sum(f(z, y)), [y]).grads[0];
        expect(Array.from(dy((t, l) => A.softmaxCrossentropy(t, l, given(t))).data)).toEqual(Array.from(dy((t, l) => A.softmaxCrossentropy(t, l)).data));
      }),
      RUNS,
    );
  });

  test('refuses a given softmax that does not fit the logits, naming the op', () => {
    const z = T.zeros([2, 3]);
    const y = T.zeros([2, 3]);
    expect(() => A.softmaxCrossentropy(z, y, { probabilities: T.zeros([2, 4]), logSumExp: new Float64Array(2) })).toThrow('softmaxCrossentropy: the softmax given (probabilities [2,4] float32, 2 log-sum-exps) does not match logits of shape [2,3] float32');
    expect(() => A.sparseSoftmaxCrossentropy(z, T.zeros([2]), { probabilities: T.zeros([2, 3]), logSumExp: new Float64Array(3) })).toThrow('sparseSoftmaxCrossentropy: the softmax given (probabilities [2,3] float32, 3 log-sum-exps)');
    expect(() => T.softmax(z, 0, new Float64Array(3))).toThrow('softmax: lse is for a softmax over the last axis, one value a row (2 rows of shape [2,3]), received axis 0 and 3 values');
    expect(() => A.softmax(z, -1, new Float64Array(3))).toThrow('received axis -1 and 3 values');
  });

  test('refuses labels of another shape and logits without classes, naming the op', () => {
    expect(() => A.softmaxCrossentropy(T.zeros([2, 3]), T.zeros([2, 4]))).toThrow('softmaxCrossentropy: labels of shape [2,4] do not match logits of shape [2,3]');
    expect(() => A.softmaxCrossentropy(T.zeros([2, 0]), T.zeros([2, 0]))).toThrow('softmaxCrossentropy: logits must have a non-empty last axis');
  });
});

describe('sparseSoftmaxCrossentropy', () => {
  test('property: equals the dense op with one-hot labels (float64 and float32, bit for bit)', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom<'float32' | 'float64'>('float32', 'float64'), ([lead, classes, seed], dtype) => {
        const z = uniform([...lead, classes], seed, -20, 20, dtype);
        const { ids, onehot } = idsAndOneHot(lead, classes, seed + 1, dtype);
        const sparse = valueAndLogitGrad((t) => A.sparseSoftmaxCrossentropy(t, ids), z, seed + 2);
        const dense = valueAndLogitGrad((t) => A.softmaxCrossentropy(t, onehot), z, seed + 2);
        expect(Array.from(sparse.value.data)).toEqual(Array.from(dense.value.data));
        expect(Array.from(sparse.dz.data)).toEqual(Array.from(dense.dz.data));
      }),
      RUNS,
    );
  });

  test('refuses class ids of another shape or out of range, naming the op', () => {
    expect(() => A.sparseSoftmaxCrossentropy(T.zeros([2, 3]), T.zeros([3]))).toThrow('sparseSoftmaxCrossentropy: class indices of shape [3] do not match logits of shape [2,3] (expected [2])');
    expect(() => A.sparseSoftmaxCrossentropy(T.zeros([2, 3]), T.tensor([0, 3]))).toThrow('sparseSoftmaxCrossentropy: class indices must be integers in [0, 3), received 3 at flat position 1');
    expect(() => A.sparseSoftmaxCrossentropy(T.zeros([2, 3]), T.tensor([0.5, 1]))).toThrow('received 0.5 at flat position 0');
  });
});
