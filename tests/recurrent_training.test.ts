/**
 * Training recurrent models end to end: convergence on small tasks, truncated BPTT with carried
 * state, generation with a stateful twin and seeded sampling, and NaN diagnosis.
 */
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { statefulWindows } from '@seqlab/datasets';
import {
  Adam, Dense, Embedding, GRU, LSTM, SimpleRNN, Sequential, TerminateOnNaN, TimeDistributed, input, sample, setSeed,
  statefulTwin,
} from '@seqlab/layers';

const silent = { verbose: 0 as const };

/** The adding problem: x[b, t] = (u ~ U(0, 1), marker); exactly two markers; y = sum of the marked values. */
function addingProblem(n: number, steps: number, seed: number): [Tensor, Tensor] {
  const rng = new T.Rng(seed);
  const x = new Float32Array(n * steps * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.int(Math.floor(steps / 2));
    let b = Math.floor(steps / 2) + rng.int(steps - Math.floor(steps / 2));
    if (b === a) b = steps - 1;
    for (let t = 0; t < steps; t++) {
      const u = rng.next();
      x[(i * steps + t) * 2] = u;
      if (t === a || t === b) {
        x[(i * steps + t) * 2 + 1] = 1;
        y[i] += u;
      }
    }
  }
  return [new Tensor(x, [n, steps, 2]), new Tensor(y, [n, 1])];
}

describe('convergence', () => {
  test('the adding problem at T = 20: LSTM reaches MSE < 0.02 (baseline 0.167)', async () => {
    setSeed(1);
    const [x, y] = addingProblem(1024, 20, 1);
    const [xt, yt] = addingProblem(256, 20, 2);
    const m = new Sequential([new LSTM({ units: 16, inputShape: [20, 2] }), new Dense({ units: 1 })]);
    m.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
    await m.fit(x, y, { epochs: 25, batchSize: 32, seed: 1, ...silent });
    const mse = m.evaluate(xt, yt) as number;
    expect(mse).toBeLessThan(0.02);
  });

  test('a tiny sequence classification: GRU tells whether a 1 occurs after a 2 (accuracy > 0.95)', async () => {
    setSeed(2);
    const rng = new T.Rng(3);
    const n = 512;
    const steps = 8;
    const ids = new Float32Array(n * steps);
    const labels = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let seenTwo = false;
      for (let t = 0; t < steps; t++) {
        const v = 1 + rng.int(4);
        ids[i * steps + t] = v;
        if (v === 2) seenTwo = true;
        if (v === 1 && seenTwo) labels[i] = 1;
      }
    }
    const x = new Tensor(ids, [n, steps]);
    const y = new Tensor(labels, [n, 1]);
    const m = new Sequential([
      new Embedding({ inputDim: 5, outputDim: 8, inputLength: steps }),
      new GRU({ units: 16 }),
      new Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    m.compile({ optimizer: new Adam({ learningRate: 0.02 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit(x, y, { epochs: 30, batchSize: 32, seed: 4, ...silent });
    expect(h.history.accuracy[h.history.accuracy.length - 1]).toBeGreaterThan(0.95);
  });
});

describe('truncated BPTT', () => {
  test('a stateful layer carries state across windows: outputs equal one pass over the whole sequence', () => {
    setSeed(5);
    const whole = new LSTM({ units: 4, returnSequences: true });
    const x = T.randomNormal([2, 15, 3], 0, 1, { seed: 6 });
    const full = whole.apply(x) as Tensor;
    const stateful = new LSTM({ units: 4, returnSequences: true, stateful: true, batchInputShape: [2, 5, 3] });
    stateful.apply(T.zeros([2, 5, 3]));
    stateful.setWeights(whole.getWeights());
    stateful.resetStates();
    const parts = [0, 1, 2].map((k) => stateful.apply(T.slice(x, [0, 5 * k, 0], [2, 5, 3])) as Tensor);
    const joined = T.concat(parts, 1);
    for (let i = 0; i < full.size; i++) expect(joined.data[i]).toBeCloseTo(full.data[i], 6);
  });

  test('gradients of window k stop at the window boundary', () => {
    setSeed(7);
    const layer = new SimpleRNN({ units: 3, stateful: true, batchInputShape: [1, 4, 2] });
    layer.apply(T.zeros([1, 4, 2])); // build
    layer.resetStates();
    const x1 = T.randomNormal([1, 4, 2], 0, 1, { seed: 8 });
    const x2 = T.randomNormal([1, 4, 2], 0, 1, { seed: 9 });
    const { grads } = A.gradients(() => {
      layer.call(x1, {});
      return A.sum(layer.call(x2, {}) as Tensor);
    }, [x1, x2]);
    expect(Array.from(grads[0].data).every((v) => v === 0)).toBe(true);
    expect(Array.from(grads[1].data).some((v) => v !== 0)).toBe(true);
    // without the boundary (state passed on the tape) window 1 would receive a gradient
    const free = new SimpleRNN({ units: 3, returnState: true });
    free.apply(x1);
    free.setWeights(layer.getWeights());
    const { grads: g2 } = A.gradients(() => {
      const [, h] = free.call(x1, {}) as Tensor[];
      const [y2] = free.call(x2, { initialState: [h] }) as Tensor[];
      return A.sum(y2);
    }, [x1]);
    expect(Array.from(g2[0].data).some((v) => v !== 0)).toBe(true);
  });

  test('fit with shuffle: false trains a stateful char model over statefulWindows; misuse is flagged', async () => {
    setSeed(11);
    const text = 'the cat sat on the mat. '.repeat(60);
    const chars = Array.from(new Set(text)).sort();
    const ids = Array.from(text).map((c) => chars.indexOf(c));
    const batch = 4;
    const steps = 10;
    const data = statefulWindows(ids, batch, steps);
    expect(data.x.shape).toEqual([data.numWindows * batch, steps]);
    // row r of window 1 continues row r of window 0
    const totalSteps = data.numWindows * steps;
    expect(data.x.data[batch * steps + 0]).toBe(ids[0 * totalSteps + steps]);
    expect(data.x.data[batch * steps + steps]).toBe(ids[1 * totalSteps + steps]);
    const v = chars.length;
    const m = new Sequential([
      new Embedding({ inputDim: v, outputDim: 8, batchInputShape: [batch, steps] }),
      new LSTM({ units: 32, returnSequences: true, stateful: true }),
      new TimeDistributed({ layer: new Dense({ units: v, activation: 'softmax' }) }),
    ]);
    m.compile({ optimizer: new Adam({ learningRate: 0.01, globalClipnorm: 5 }), loss: 'sparseCategoricalCrossentropy' });
    const before = m.evaluate(data.x, data.y) as number;
    m.resetStates();
    const resetEachEpoch = { onEpochBegin: () => m.resetStates() };
    const h = await m.fit(data.x, data.y, { epochs: 12, batchSize: batch, shuffle: false, callbacks: [resetEachEpoch], ...silent });
    expect(h.history.loss[11]).toBeLessThan(before / 3);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    await m.fit(data.x, data.y, { epochs: 1, batchSize: batch, shuffle: true, ...silent });
    expect(warn.mock.calls.some((c) => String(c[0]).includes('shuffle: true breaks the carried state'))).toBe(true);
    await m.fit(data.x, data.y, { epochs: 1, batchSize: 8, shuffle: false, ...silent });
    expect(warn.mock.calls.some((c) => String(c[0]).includes('built for batch size 4, but fit was given batchSize 8'))).toBe(true);
    const before2 = m.getWeights().map((w) => Array.from(w.data));
    await expect(m.fit(T.slice(data.x, [0], [6]), T.slice(data.y, [0], [6]), { batchSize: batch, shuffle: false, ...silent })).rejects.toThrow('stateful with batch size 4, which does not divide the 6 training samples');
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(before2);
    warn.mockRestore();

    // generation: a batch-1 twin that shares the weights, stepped one character at a time
    const twin = statefulTwin(m);
    const prompt = Array.from('the c').map((c) => chars.indexOf(c));
    twin.resetStates();
    let last: Tensor | null = null;
    for (const id of prompt) last = twin.predict(T.tensor([[id]])) as Tensor;
    const whole = twin.layers.find((l) => l instanceof LSTM) as LSTM;
    twin.resetStates();
    const once = twin.predict(T.tensor([prompt])) as Tensor;
    const lastStep = T.slice(once, [0, prompt.length - 1, 0], [1, 1, v]);
    for (let i = 0; i < v; i++) expect(last!.data[i]).toBeCloseTo(lastStep.data[i], 5);
    expect(whole.stateful).toBe(true);
    // the learned continuation of "the c" is "a" (from "the cat")
    expect(chars[sample(T.reshape(lastStep, [v]), { topK: 1 }) as number]).toBe('a');
    // shared weights: changing the trained model changes the twin
    const lstm = m.layers[1] as LSTM;
    lstm.weights[0].value.data[0] += 1;
    twin.resetStates();
    const changed = twin.predict(T.tensor([prompt])) as Tensor;
    expect(Array.from(changed.data)).not.toEqual(Array.from(once.data));
  });
});

describe('sample', () => {
  test('seeded, top-k and temperature behave as defined', () => {
    const logits = T.tensor([2, 1, 0.5, -1]);
    const draw = (o: object) => Array.from({ length: 20 }, ((rng) => () => sample(logits, { rng, ...o }))(new T.Rng(1)));
    expect(draw({})).toEqual(draw({}));
    expect(new Set(draw({ topK: 1 }))).toEqual(new Set([0]));
    expect(draw({ topK: 2 }).every((i) => i === 0 || i === 1)).toBe(true);
    // frequencies follow softmax(logits / temperature)
    const rng = new T.Rng(2);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[sample(logits, { rng, temperature: 2 }) as number]++;
    const p = Array.from(T.softmax(T.div(logits, 2)).data);
    counts.forEach((c, i) => expect(Math.abs(c / 20000 - p[i])).toBeLessThan(0.015));
    expect(sample(T.tensor([[0, 9], [9, 0]]), { topK: 1 })).toEqual([1, 0]);
    expect(() => sample(logits, { temperature: 0 })).toThrow('temperature must be positive');
  });
});

describe('TerminateOnNaN', () => {
  test('reports the recurrent layer and the first timestep where values blow up', async () => {
    setSeed(12);
    const x = input({ batchShape: [null, 40, 1] });
    const rnn = new SimpleRNN({ units: 2, activation: 'relu', kernelInitializer: 'ones', recurrentInitializer: (s) => T.fill(s, 20), name: 'exploding' });
    const out = new Dense({ units: 1 }).apply(rnn.apply(x) as never) as never;
    const { Model } = await import('@seqlab/layers');
    const m = new Model({ inputs: x, outputs: out });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const t = new TerminateOnNaN();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const xs = T.ones([4, 40, 1]);
    await m.fit(xs, T.ones([4, 1]), { epochs: 2, batchSize: 4, callbacks: [t], ...silent });
    warn.mockRestore();
    // h_t = relu(x + 20·Σh_{t-1}) grows ~40x per step: float32 overflows near step 24
    const steps = rnn.stepOutputs(xs);
    let first = -1;
    for (let s = 0; s < 40 && first < 0; s++) if (!Number.isFinite(steps.data[s * 2])) first = s;
    expect(first).toBeGreaterThan(5);
    expect(t.report).toContain(`NaN or infinity first appears in the output of SimpleRNN 'exploding' at input timestep ${first}`);
  });
});
