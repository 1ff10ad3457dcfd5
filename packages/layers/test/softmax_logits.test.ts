/**
 * The categorical cross-entropies compute from the logits that the 'softmax' activation attaches to
 * its output (Keras's `_keras_logits`). Held to the clipped formula they replace, written out here
 * as a custom loss: the same losses and the same updates within float32 rounding where no
 * probability is clipped, with Dense on 2-D and 3-D input, Activation, the sparse loss, masks and
 * sample weights; predictions stay probabilities; other losses are untouched; where a probability
 * is below 1e-7 the logits give the exact loss. TimeDistributed(Dense(softmax)) hands on new
 * tensors without the logits, as Keras's does, so its loss is the clipped formula itself.
 */
import fc from 'fast-check';
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import {
  Activation, Dense, EPSILON, Embedding, LSTM, LossFn, SGD, Sequential, TimeDistributed, categoricalCrossentropy, logitsOf, setSeed, softmaxOf,
} from '@seqlab/layers';
import { expectClose } from '../../../tests/support';

const RUNS = { seed: 20261203, numRuns: 12 };

/** The clipped CCE as it was computed before the logits path: p normalized, clipped, logged. */
const clippedCce: LossFn = (y, p) => A.neg(A.sum(A.mul(y, A.log(A.clip(A.div(p, A.sum(p, -1, true)), EPSILON, 1 - EPSILON))), -1));
/** The clipped sparse CCE, likewise. */
const clippedSparse: LossFn = (ids, p) => {
  const labels = ids.rank === p.rank ? ids.reshape(ids.shape.slice(0, -1)) : ids;
  return A.neg(A.sum(A.mul(T.oneHot(labels, p.shape[p.rank - 1]), A.log(A.clip(p, EPSILON, 1 - EPSILON))), -1));
};

type Build = (seed: number) => Sequential;

/** Two copies of a model (same weights), one per loss, one SGD step each on the same batch: losses before and weights after. */
function twoSteps(build: Build, seed: number, losses: [string | LossFn, string | LossFn], x: Tensor, y: Tensor, sampleWeight?: Tensor) {
  return losses.map((loss) => {
    const m = build(seed);
    m.compile({ optimizer: new SGD({ learningRate: 0.5 }), loss });
    const before = m.evaluate(x, y, { sampleWeight, batchSize: 1000 }) as number;
    const stepLoss = m.trainOnBatch(x, y, sampleWeight) as number;
    return { before, stepLoss, weights: m.getWeights() };
  });
}

function expectSameTraining(r: ReturnType<typeof twoSteps>): void {
  const [fused, clipped] = r;
  expectClose([fused.before, fused.stepLoss], [clipped.before, clipped.stepLoss], { rtol: 2e-6, atol: 1e-7 }, 'loss');
  fused.weights.forEach((w, i) => expectClose(w, clipped.weights[i], { rtol: 1e-4, atol: 2e-6 }, `weight ${i}`));
}

function oneHotOf(ids: number[], shape: number[], classes: number): Tensor {
  return T.oneHot(T.tensor(ids, [ids.length]), classes).reshape([...shape, classes]);
}

function randomIds(n: number, classes: number, seed: number): number[] {
  const rng = new T.Rng(seed);
  return Array.from({ length: n }, () => Math.floor(rng.uniform(0, classes)));
}

describe('softmax + categorical cross-entropy from the logits', () => {
  test('the softmax activation attaches its logits; the output stays probabilities', () => {
    setSeed(3);
    const m = new Sequential([new Dense({ units: 5, activation: 'softmax', inputShape: [4] })]);
    const linear = new Sequential([new Dense({ units: 5, inputShape: [4] })]);
    linear.setWeights(m.getWeights());
    const x = T.randomNormal([6, 4], 0, 1, { seed: 4 });
    const p = m.predict(x) as Tensor;
    const z = linear.predict(x) as Tensor;
    expectClose(p, T.softmax(z), { rtol: 0, atol: 0 }, 'predict');
    expectClose(T.sum(p, -1), new Array(6).fill(1), { rtol: 1e-6, atol: 1e-6 }, 'row sums');
    const viaCall = m.layers[0].apply(x) as Tensor;
    expectClose(logitsOf(viaCall)!, z, { rtol: 0, atol: 0 }, 'logits');
    expect(logitsOf(z)).toBeNull();
  });

  test('the loss takes the probabilities and log-sum-exps the activation computed: the same loss and gradient bit for bit as from the logits alone', () => {
    setSeed(5);
    // Dense on 3-D input: its softmax keeps the logits (TimeDistributed drops them, as Keras does)
    const dense = new Dense({ units: 7, activation: 'softmax' });
    const td = dense;
    const x = T.randomNormal([3, 4, 5], 0, 1, { seed: 6 });
    const y = T.oneHot(T.tensor([0, 6, 2, 3, 1, 5, 4, 0, 2, 2, 6, 1], [3, 4]), 7);
    const p = td.apply(x) as Tensor;
    expect(p.shape).toEqual([3, 4, 7]);
    const kept = softmaxOf(p);
    expect(kept).not.toBeNull();
    expect(kept!.probabilities).toBe(p);
    const z = logitsOf(p)!;
    const lse = new Float64Array(12);
    expectClose(T.softmax(z, -1, lse), p, { rtol: 0, atol: 0 }, 'probabilities');
    expect(Array.from(kept!.logSumExp)).toEqual(Array.from(lse));
    const viaLoss = categoricalCrossentropy()(y, p);
    const fromLogits = A.softmaxCrossentropy(z, y);
    expect(Array.from(viaLoss.data)).toEqual(Array.from(fromLogits.data));
    const w = dense.getWeights()[0];
    const g1 = A.gradients(() => A.sum(categoricalCrossentropy()(y, td.apply(x) as Tensor)), [w]).grads[0];
    const g2 = A.gradients(() => A.sum(A.softmaxCrossentropy(logitsOf(td.apply(x) as Tensor)!, y)), [w]).grads[0];
    expect(Array.from(g1.data)).toEqual(Array.from(g2.data));
    expect(softmaxOf(z)).toBeNull();
    expect(softmaxOf(new TimeDistributed({ layer: new Dense({ units: 7, activation: 'softmax' }) }).apply(x) as Tensor)).toBeNull();
  });

  test('property: Dense(softmax) on 2-D input, and Dense + Activation(softmax): the same training as the clipped formula', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 1, max: 12 }), fc.nat(), fc.boolean(), (classes, n, seed, separate) => {
        const build: Build = (s) => {
          setSeed(s);
          const layers = separate
            ? [new Dense({ units: 6, activation: 'tanh', inputShape: [3] }), new Dense({ units: classes }), new Activation({ activation: 'softmax' })]
            : [new Dense({ units: 6, activation: 'tanh', inputShape: [3] }), new Dense({ units: classes, activation: 'softmax' })];
          return new Sequential(layers);
        };
        const x = T.randomNormal([n, 3], 0, 1, { seed: seed + 1 });
        const ids = randomIds(n, classes, seed + 2);
        expectSameTraining(twoSteps(build, seed, ['categoricalCrossentropy', clippedCce], x, oneHotOf(ids, [n], classes)));
        expectSameTraining(twoSteps(build, seed, ['sparse_categorical_crossentropy', clippedSparse], x, T.tensor(ids, [n, 1])));
        // probability labels (not one-hot) too
        const soft = T.softmax(T.randomNormal([n, classes], 0, 1, { seed: seed + 3 }));
        expectSameTraining(twoSteps(build, seed, [categoricalCrossentropy(), clippedCce], x, soft));
      }),
      RUNS,
    );
  });

  test('property: sequence outputs with a mask and sample weights (TimeDistributed(Dense) and Dense on 3-D input)', () => {
    const B = 5, L = 6, V = 7, C = 4;
    fc.assert(
      fc.property(fc.nat(), fc.boolean(), (seed, timeDistributed) => {
        const build: Build = (s) => {
          setSeed(s);
          const head = new Dense({ units: C, activation: 'softmax' });
          return new Sequential([
            new Embedding({ inputDim: V, outputDim: 3, maskZero: true, inputLength: L }),
            new LSTM({ units: 5, returnSequences: true }),
            timeDistributed ? new TimeDistributed({ layer: head }) : head,
          ]);
        };
        const rng = new T.Rng(seed + 1);
        // padded sequences: id 0 is masked out
        const ids = Array.from({ length: B * L }, (_, i) => (i % L < 1 + (Math.floor(i / L) % L) ? 1 + Math.floor(rng.uniform(0, V - 1)) : 0));
        const x = T.tensor(ids, [B, L]);
        const labels = randomIds(B * L, C, seed + 2);
        const y = oneHotOf(labels, [B, L], C);
        const w = T.tensor([1, 0.5, 2, 0, 1.5]);
        const r = twoSteps(build, seed, ['categoricalCrossentropy', clippedCce], x, y, w);
        expectSameTraining(r);
        expectSameTraining(twoSteps(build, seed, ['sparseCategoricalCrossentropy', clippedSparse], x, T.tensor(labels, [B, L]), w));
        // the mask still applies: labels at masked timesteps change nothing
        const other = labels.map((c, i) => (ids[i] === 0 ? (c + 1) % C : c));
        const again = twoSteps(build, seed, ['categoricalCrossentropy', clippedCce], x, oneHotOf(other, [B, L], C), w);
        expect(again[0].before).toBe(r[0].before);
        expect(again[0].stepLoss).toBe(r[0].stepLoss);
        // and the sample weights: a zero weight drops a sample's loss
        const m = build(seed);
        m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
        const heavy = m.evaluate(x, y, { sampleWeight: T.tensor([1, 1, 1, 5, 1]) }) as number;
        expect(heavy).not.toBe(r[0].before);
      }),
      { ...RUNS, numRuns: 6 },
    );
  });

  test('a softmax model with loss mse trains exactly as before (the logits are not used)', () => {
    const mse: LossFn = (y, p) => A.mean(A.square(A.sub(p, y)), -1);
    const build: Build = (s) => {
      setSeed(s);
      return new Sequential([new Dense({ units: 4, activation: 'softmax', inputShape: [3] })]);
    };
    const x = T.randomNormal([8, 3], 0, 1, { seed: 5 });
    const y = oneHotOf(randomIds(8, 4, 6), [8], 4);
    const [named, custom] = twoSteps(build, 7, ['mse', mse], x, y);
    expect(named.before).toBe(custom.before);
    expect(named.stepLoss).toBe(custom.stepLoss);
    named.weights.forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(custom.weights[i].data)));
  });

  // a confident wrong prediction: logits [30, 0, 0] for class 1, p₁ = 1/(e³⁰ + 2) ≈ 9e-14
  const confident: [string, () => Sequential, Tensor, Tensor, string][] = [
    ['Dense(softmax)', () => new Sequential([new Dense({ units: 3, activation: 'softmax', inputShape: [1], useBias: false })]), T.tensor([[1]]), T.tensor([[0, 1, 0]]), 'categoricalCrossentropy'],
    ['Dense(softmax), sparse labels', () => new Sequential([new Dense({ units: 3, activation: 'softmax', inputShape: [1], useBias: false })]), T.tensor([[1]]), T.tensor([[1]]), 'sparseCategoricalCrossentropy'],
    ['Dense + Activation(softmax)', () => new Sequential([new Dense({ units: 3, inputShape: [1], useBias: false }), new Activation({ activation: 'softmax' })]), T.tensor([[1]]), T.tensor([[0, 1, 0]]), 'categoricalCrossentropy'],
    ['Dense(softmax) on 3-D input', () => new Sequential([new Dense({ units: 3, activation: 'softmax', inputShape: [1, 1], useBias: false })]), T.tensor([[[1]]]), T.tensor([[[0, 1, 0]]]), 'categoricalCrossentropy'],
  ];
  test.each(confident)('%s: where a probability is below 1e-7 the logits give the exact loss and a gradient (the clipped formula stops at -log 1e-7)', (_name, make, x, y, loss) => {
    const build: Build = () => {
      const m = make();
      m.setWeights([T.tensor([[30, 0, 0]])]);
      return m;
    };
    const reference = loss === 'categoricalCrossentropy' ? clippedCce : clippedSparse;
    const [fused, clipped] = twoSteps(build, 0, [loss, reference], x, y);
    // loss = log(e^30 + 2) - 0
    expect(fused.before).toBeCloseTo(Math.log(Math.exp(30) + 2), 4);
    expect(clipped.before).toBeCloseTo(-Math.log(EPSILON), 4);
    // the clipped formula's gradient is zero there; the logits' is (p - y)·x = [1, -1, 0] (×0.5 learning rate)
    expect(Array.from(clipped.weights[0].data)).toEqual([30, 0, 0]);
    expectClose(fused.weights[0], [29.5, 0.5, 0], { rtol: 1e-6, atol: 1e-6 }, 'kernel');
  });

  test('TimeDistributed(Dense(softmax)) drops the logits as Keras does: the clipped loss, bit for bit, and no gradient where p is clipped', () => {
    const make = (): Sequential => {
      const m = new Sequential([new TimeDistributed({ layer: new Dense({ units: 3, activation: 'softmax', useBias: false }), inputShape: [1, 1] })]);
      m.setWeights([T.tensor([[30, 0, 0]])]);
      return m;
    };
    const x = T.tensor([[[1]]]);
    const m = make();
    expect(logitsOf(m.apply(x) as Tensor)).toBeNull();
    for (const [loss, reference, y] of [
      ['categoricalCrossentropy', clippedCce, T.tensor([[[0, 1, 0]]])],
      ['sparseCategoricalCrossentropy', clippedSparse, T.tensor([[1]])],
    ] as [string, LossFn, Tensor][]) {
      const [named, custom] = twoSteps(make, 0, [loss, reference], x, y);
      expect(named.before).toBe(custom.before);
      expect(named.stepLoss).toBe(custom.stepLoss);
      expect(named.before).toBeCloseTo(-Math.log(EPSILON), 4);
      expect(Array.from(named.weights[0].data)).toEqual([30, 0, 0]);
    }
  });
});
