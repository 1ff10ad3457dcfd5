/**
 * Optimizer updates against steps computed by hand (in float64) on a 2-parameter problem,
 * L(w) = ½(a·w₀ - 1)² + ½(b·w₁ + 2)², and gradient clipping against the clipped gradient.
 */
import * as A from '@seqlab/autograd';
import { Variable } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import * as L from '@seqlab/layers';
import { Adagrad, Adam, Optimizer, RMSprop, SGD, getOptimizer } from '@seqlab/layers';
import { expectClose } from '../../../tests/support';

const a = 3;
const b = -0.5;
/** ∇L = [a(a·w₀ - 1), b(b·w₁ + 2)] */
const gradAt = (w: number[]) => [a * (a * w[0] - 1), b * (b * w[1] + 2)];

function run(opt: Optimizer, steps: number, start = [0.5, -1.5]): number[] {
  const v = new Variable(T.tensor(start, [2], { dtype: 'float64' }), 'w');
  for (let s = 0; s < steps; s++) {
    const g = gradAt(Array.from(v.value.data));
    opt.applyGradients([v], [T.tensor(g, [2], { dtype: 'float64' })]);
  }
  return Array.from(v.value.data);
}


describe('updates match hand-computed steps', () => {
  test('SGD plain, with momentum, and Nesterov', () => {
    const lr = 0.1;
    // plain: w ← w - lr·g
    let w = [0.5, -1.5];
    for (let s = 0; s < 3; s++) w = w.map((x, i) => x - lr * gradAt(w)[i]);
    expectClose(run(new SGD({ learningRate: lr }), 3), w, 1e-6);
    // momentum 0.9: m ← μm - lr·g; w ← w + m (Nesterov: w ← w + μm - lr·g)
    for (const nesterov of [false, true]) {
      let ww = [0.5, -1.5];
      let m = [0, 0];
      for (let s = 0; s < 4; s++) {
        const g = gradAt(ww);
        m = m.map((mi, i) => 0.9 * mi - lr * g[i]);
        ww = ww.map((x, i) => x + (nesterov ? 0.9 * m[i] - lr * g[i] : m[i]));
      }
      expectClose(run(new SGD({ learningRate: lr, momentum: 0.9, nesterov }), 4), ww, 1e-6);
    }
  });

  test('Adam (and amsgrad) with Keras defaults', () => {
    for (const amsgrad of [false, true]) {
      const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
      let w = [0.5, -1.5];
      let m = [0, 0], v = [0, 0], vhat = [0, 0];
      for (let t = 1; t <= 5; t++) {
        const g = gradAt(w);
        m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]);
        v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i] * g[i]);
        vhat = vhat.map((h, i) => Math.max(h, v[i]));
        const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        w = w.map((x, i) => x - (alpha * m[i]) / (Math.sqrt(amsgrad ? vhat[i] : v[i]) + eps));
      }
      expectClose(run(new Adam({ learningRate: lr, amsgrad }), 5), w, 1e-6);
    }
    const adam = new Adam();
    expect([adam.learningRate, adam.beta1, adam.beta2, adam.epsilon]).toEqual([0.001, 0.9, 0.999, 1e-7]);
  });

  test('RMSprop and Adagrad', () => {
    let w = [0.5, -1.5];
    let s2 = [0, 0];
    for (let t = 0; t < 4; t++) {
      const g = gradAt(w);
      s2 = s2.map((si, i) => 0.9 * si + 0.1 * g[i] * g[i]);
      w = w.map((x, i) => x - (0.01 * g[i]) / Math.sqrt(s2[i] + 1e-7));
    }
    expectClose(run(new RMSprop({ learningRate: 0.01 }), 4), w, 1e-6);
    let w2 = [0.5, -1.5];
    let acc = [0.1, 0.1];
    for (let t = 0; t < 4; t++) {
      const g = gradAt(w2);
      acc = acc.map((ai, i) => ai + g[i] * g[i]);
      w2 = w2.map((x, i) => x - (0.05 * g[i]) / Math.sqrt(acc[i] + 1e-7));
    }
    expectClose(run(new Adagrad({ learningRate: 0.05 }), 4), w2, 1e-6);
  });

  test('names resolve and the learning rate can be changed between steps', () => {
    expect(getOptimizer('adam')).toBeInstanceOf(Adam);
    expect(getOptimizer('RMSprop')).toBeInstanceOf(RMSprop);
    expect(() => getOptimizer('adamw2')).toThrow("unknown optimizer 'adamw2'");
    const opt = new SGD({ learningRate: 0.1 });
    const v = new Variable(T.tensor([1], [1], { dtype: 'float64' }));
    opt.applyGradients([v], [T.tensor([1], [1], { dtype: 'float64' })]);
    opt.learningRate = 0.01;
    opt.applyGradients([v], [T.tensor([1], [1], { dtype: 'float64' })]);
    expect(v.value.data[0]).toBeCloseTo(1 - 0.1 - 0.01, 12);
  });
});

describe('gradient clipping inside the optimizer', () => {
  /** The update SGD(lr = 1) applies equals minus the gradient it used. */
  function appliedUpdate(opt: Optimizer, grads: Tensor[]): number[][] {
    const vars = grads.map((g, i) => new Variable(T.zeros(g.shape, { dtype: 'float64' }), `v${i}`));
    opt.applyGradients(vars, grads);
    return vars.map((v) => Array.from(v.value.data).map((x) => -x));
  }
  const grads = [T.tensor([600, -800], [2], { dtype: 'float64' }), T.tensor([0, 0, 0], [3], { dtype: 'float64' }), T.tensor([1e-3], [1], { dtype: 'float64' })];

  test('globalClipnorm 1 on gradients of global norm 1e3 applies exactly the clipped gradient', () => {
    expect(A.globalNorm(grads)).toBeCloseTo(1000, 6);
    const applied = appliedUpdate(new SGD({ learningRate: 1, globalClipnorm: 1 }), grads);
    const expected = A.clipByGlobalNorm(grads, 1).grads.map((g) => Array.from(g.data));
    applied.forEach((u, i) => expectClose(u, expected[i], 1e-12));
    expectClose(applied[0], [0.6, -0.8], 1e-9);
  });

  test('clipnorm clips each gradient by its own norm; clipvalue clips elements', () => {
    const byNorm = appliedUpdate(new SGD({ learningRate: 1, clipnorm: 5 }), grads);
    expectClose(byNorm[0], [3, -4], 1e-9);
    expectClose(byNorm[2], [1e-3], 1e-12); // under the bound: untouched
    const byValue = appliedUpdate(new SGD({ learningRate: 1, clipvalue: 2 }), grads);
    expectClose(byValue[0], [2, -2], 1e-12);
    expect(() => new SGD({ clipnorm: 1, clipvalue: 1 })).toThrow('set at most one of clipnorm, clipvalue, globalClipnorm');
  });
});

describe("Adam's update on the wasm kernel (slots in the optimizer's wasm memory)", () => {
  const tokens = (b: number, t: number, rng: T.Rng) => T.tensor(Array.from({ length: b * t }, () => 1 + Math.floor(rng.uniform() * 29)), [b, t]);

  /** Weights after `steps` steps of an Embedding + LSTM + Dense model trained with Adam; `adamOn` the kernels Adam's update runs on. */
  function train(adamOn: T.KernelsName, amsgrad: boolean, steps: number): Float32Array[] {
    L.setSeed(11);
    const model = new L.Sequential([new L.Embedding({ inputDim: 30, outputDim: 9 }), new L.LSTM({ units: 5 }), new L.Dense({ units: 1, activation: 'sigmoid' })]);
    const opt = new Adam({ learningRate: 0.05, amsgrad });
    // the forward and backward passes run on the same kernels in both runs: only the update differs
    const apply = opt.applyGradients.bind(opt);
    opt.applyGradients = (vars, grads, norm) => {
      const was = T.setKernels(adamOn);
      try { apply(vars, grads, norm); } finally { T.setKernels(was); }
    };
    model.compile({ optimizer: opt, loss: 'binaryCrossentropy' });
    const rng = new T.Rng(4);
    for (let s = 0; s < steps; s++) model.trainOnBatch(tokens(6, 7, rng), T.tensor(Array.from({ length: 6 }, (_, i) => [(i + s) % 2])));
    return model.getWeights().map((w) => w.data as Float32Array);
  }

  (T.getKernels() === 'wasm' ? test : test.skip)("a model trained a few steps gets the same weights, bit for bit, with Adam on 'js' and on 'wasm'", () => {
    for (const amsgrad of [false, true]) {
      const js = train('js', amsgrad, 4);
      const wasm = train('wasm', amsgrad, 4);
      wasm.forEach((w, i) => expect([amsgrad, i, Buffer.from(w.buffer, w.byteOffset, w.byteLength).equals(Buffer.from(js[i].buffer, js[i].byteOffset, js[i].byteLength))]).toEqual([amsgrad, i, true]));
    }
  });

  test('getSlots returns copies; setSlots copies in; both survive the memory growing for later variables', () => {
    const opt = new Adam({ learningRate: 0.1 });
    const v = new Variable(T.tensor([1, 2, 3], [3]), 'v');
    opt.applyGradients([v], [T.tensor([0.5, -1, 2], [3])]);
    const slots = opt.getSlots(v)!;
    expect(slots.map((s) => s.length)).toEqual([3, 3]);
    slots[0][0] = 123;
    expect(opt.getSlots(v)![0][0]).not.toBe(123);
    opt.setSlots(v, [Float64Array.of(1, 2, 3), Float64Array.of(4, 5, 6)]);
    // a large variable later: the slot memory grows, v's slots keep their values
    const big = new Variable(T.zeros([1 << 18]), 'big');
    opt.applyGradients([big], [T.zeros([1 << 18])]);
    expect(opt.getSlots(v)!.map((s) => Array.from(s))).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(opt.getSlots(big)![1].length).toBe(1 << 18);
  });
});
