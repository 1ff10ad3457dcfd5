/**
 * A user's cell through the cell seam: the peephole LSTM of tests/support/peephole_lstm.ts, written
 * against public exports only, gets everything a built-in cell gets from `new RNN({ cell })`:
 * gradients (checked against finite differences), training of all its weights, masks, goBackwards,
 * returnSequences / returnState, initial states, stateful, dropout, Bidirectional, summary counts,
 * weights files and model files. With its peepholes at zero it is the built-in LSTM. And a cell
 * class may register a fused kernel, which the layer then runs (the built-in cells' mechanism).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import {
  Adam, Bidirectional, Dense, LSTM, RNN, SequenceArgs, Sequential, fusedSupports, loadModel, referenceSequence, registerFusedKernel, setSeed,
} from '@seqlab/layers';
import { PeepholeLSTMCell } from './support/peephole_lstm';
import { expectClose } from './support';

jest.setTimeout(60_000);

const B = 3;
const STEPS = 5;
const I = 2;
const H = 4;

function uniform(rng: T.Rng, shape: number[], lo = -1, hi = 1, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let k = 0; k < n; k++) d[k] = rng.uniform(lo, hi);
  return new Tensor(d, shape);
}

/** An RNN of a peephole cell with `units` units, built for I features, weights from seed `seed`. */
function peephole(args: Record<string, unknown> = {}, seed = 1): RNN {
  setSeed(seed);
  const layer = new RNN({ cell: new PeepholeLSTMCell({ units: H }), ...args });
  layer.build([null, null, I]);
  return layer;
}

const asList = (y: Tensor | Tensor[]): Tensor[] => (Array.isArray(y) ? y : [y]);

describe('the peephole LSTM: gradients', () => {
  test('every weight, the input and both initial states: checkGradients against finite differences (masks, goBackwards, dropout)', () => {
    const rng = new T.Rng(7);
    const cell = new PeepholeLSTMCell({ units: H });
    cell.build(I);
    const weights = cell.weights.map((v) => uniform(rng, v.shape, -0.7, 0.7));
    expect(cell.weights.map((v) => v.name)).toEqual([
      'peephole_lstm_cell/kernel', 'peephole_lstm_cell/recurrent_kernel', 'peephole_lstm_cell/input_gate_peephole_weights',
      'peephole_lstm_cell/forget_gate_peephole_weights', 'peephole_lstm_cell/output_gate_peephole_weights', 'peephole_lstm_cell/bias',
    ]);
    const x = uniform(rng, [B, STEPS, I]);
    const states = [uniform(rng, [B, H], -0.5, 0.5), uniform(rng, [B, H], -0.5, 0.5)];
    const mask = new Tensor(Float64Array.from([1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1]), [B, STEPS]);
    const dropout = { input: T.dropoutMask([B, I], 0.3, rng, { dtype: 'float64' }), recurrent: T.dropoutMask([B, H], 0.3, rng, { dtype: 'float64' }) };
    const n = weights.length;
    const r = A.checkGradients(
      (xs, ...rest) => {
        const args: SequenceArgs = {
          cell, x: xs, weights: rest.slice(0, n), initialStates: rest.slice(n), mask, goBackwards: true, returnSequences: true, dropout,
        };
        const out = referenceSequence(args);
        return A.concat([A.reshape(out.output, [-1]), ...out.states.map((s) => A.reshape(s, [-1]))], 0);
      },
      [x, ...weights, ...states],
      { seed: 3 },
    );
    if (!r.ok) throw new Error(r.message);
    expect(r.ok).toBe(true);
    // the cell's own variables are untouched by running with given weights
    expect(cell.weights.every((v) => v.value.dtype === 'float32')).toBe(true);
  });

  test('with zero peepholes it is the built-in LSTM (same kernel, recurrent kernel and bias)', () => {
    const layer = peephole({ returnSequences: true, returnState: true });
    const w = layer.getWeights();
    layer.setWeights([w[0], w[1], T.zeros([H]), T.zeros([H]), T.zeros([H]), w[5]]);
    const lstm = new LSTM({ units: H, returnSequences: true, returnState: true });
    lstm.build([null, null, I]);
    lstm.setWeights([w[0], w[1], w[5]]);
    const x = uniform(new T.Rng(2), [B, STEPS, I], -1, 1, 'float32');
    const got = asList(layer.apply(x));
    const want = asList(lstm.apply(x));
    got.forEach((g, k) => expectClose(g, want[k], 1e-5, `output ${k}`));
  });
});

describe('the peephole LSTM: training', () => {
  test('all its weights train and the loss falls clearly (the mean of a sequence)', async () => {
    setSeed(5);
    const rng = new T.Rng(11);
    const x = uniform(rng, [96, 6, I], -1, 1, 'float32');
    const y = new Tensor(new Float32Array(96), [96, 1]);
    for (let b = 0; b < 96; b++) {
      let s = 0;
      for (let t = 0; t < 6; t++) s += x.data[(b * 6 + t) * I];
      y.data[b] = s / 6;
    }
    const model = new Sequential([new RNN({ cell: new PeepholeLSTMCell({ units: 8 }), inputShape: [6, I] }), new Dense({ units: 1 })]);
    model.compile({ optimizer: new Adam({ learningRate: 0.02 }), loss: 'mse' });
    const before = model.trainableWeights.map((v) => v.value.clone());
    expect(model.trainableWeights.map((v) => v.name).filter((n) => n.includes('peephole_weights'))).toHaveLength(3);
    const history = await model.fit(x, y, { epochs: 25, batchSize: 32, verbose: 0, shuffle: false });
    const loss = history.history.loss;
    expect(loss[loss.length - 1]).toBeLessThan(0.25 * loss[0]);
    model.trainableWeights.forEach((v, k) => expect(T.max(T.abs(T.sub(v.value, before[k]))).item()).toBeGreaterThan(0));
  });
});

describe('the peephole LSTM: what the layer gives every cell', () => {
  const x = uniform(new T.Rng(3), [B, STEPS, I], -1, 1, 'float32');

  test('returnSequences and returnState: [B, T, H], h and c; the last output is h', () => {
    const layer = peephole({ returnSequences: true, returnState: true });
    const [seq, h, c] = asList(layer.apply(x));
    expect(seq.shape).toEqual([B, STEPS, H]);
    expect(h.shape).toEqual([B, H]);
    expect(c.shape).toEqual([B, H]);
    expectClose(T.reshape(T.slice(seq, [0, STEPS - 1, 0], [B, 1, H]), [B, H]), h, 0);
    expect(layer.computeOutputShape([null, STEPS, I])).toEqual([[null, STEPS, H], [null, H], [null, H]]);
  });

  test('masks: masked trailing steps keep the state, as running the unpadded sequence', () => {
    const layer = peephole({ returnState: true });
    const mask = T.ones([B, STEPS]);
    for (const t of [3, 4]) mask.data[0 * STEPS + t] = 0; // row 0: 3 real steps, then padding
    const [y, h, c] = asList(layer.apply(x, { mask }));
    const short = T.slice(x, [0, 0, 0], [1, 3, I]);
    const [y0, h0, c0] = asList(layer.apply(short));
    expectClose(T.slice(y, [0, 0], [1, H]), y0, 1e-6);
    expectClose(T.slice(h, [0, 0], [1, H]), h0, 1e-6);
    expectClose(T.slice(c, [0, 0], [1, H]), c0, 1e-6);
    // the unmasked rows are the plain run's
    const plain = layer.apply(x, { mask: null }) as Tensor[];
    expectClose(T.slice(y, [1, 0], [2, H]), T.slice(plain[0], [1, 0], [2, H]), 0);
  });

  test('goBackwards: the same as the forward run of the time-reversed input', () => {
    const back = peephole({ goBackwards: true });
    const fwd = peephole({});
    fwd.setWeights(back.getWeights());
    expectClose(back.apply(x) as Tensor, fwd.apply(T.reverse(x, 1)) as Tensor, 0);
  });

  test('initial states: given states change the output, and running on from a split point is the whole run', () => {
    const layer = peephole({ returnState: true, returnSequences: false });
    const first = T.slice(x, [0, 0, 0], [B, 2, I]);
    const rest = T.slice(x, [0, 2, 0], [B, STEPS - 2, I]);
    const [, h, c] = asList(layer.apply(first));
    const [yRest] = asList(layer.apply(rest, { initialState: [h, c] }));
    const [yAll] = asList(layer.apply(x));
    expectClose(yRest, yAll, 1e-6);
    const [yZero] = asList(layer.apply(rest));
    expect(T.max(T.abs(T.sub(yZero, yAll))).item()).toBeGreaterThan(1e-3);
  });

  test('stateful: two calls on the halves give the whole run, resetStates starts over', () => {
    setSeed(1);
    const layer = new RNN({ cell: new PeepholeLSTMCell({ units: H }), stateful: true, batchInputShape: [B, null, I] });
    layer.build([B, null, I]);
    const whole = peephole({});
    whole.setWeights(layer.getWeights());
    layer.apply(T.slice(x, [0, 0, 0], [B, 2, I]));
    const y2 = layer.apply(T.slice(x, [0, 2, 0], [B, STEPS - 2, I])) as Tensor;
    expectClose(y2, whole.apply(x) as Tensor, 1e-6);
    expect(layer.getStates()).toHaveLength(2);
    layer.resetStates();
    expectClose(layer.apply(x) as Tensor, whole.apply(x) as Tensor, 1e-6);
  });

  test('dropout: masks drawn while training only, on x and on h; inference is deterministic', () => {
    setSeed(2);
    const layer = new RNN({ cell: new PeepholeLSTMCell({ units: H, dropout: 0.4, recurrentDropout: 0.3 }) });
    layer.build([null, null, I]);
    const a = layer.apply(x) as Tensor;
    expectClose(layer.apply(x, { training: false }) as Tensor, a, 0);
    setSeed(9);
    const t1 = layer.apply(x, { training: true }) as Tensor;
    setSeed(9);
    const t2 = layer.apply(x, { training: true }) as Tensor;
    expectClose(t1, t2, 0);
    expect(T.max(T.abs(T.sub(t1, a))).item()).toBeGreaterThan(1e-4);
    const masks = (layer.cell as PeepholeLSTMCell).dropoutMasks(B, 'float32', new T.Rng(1));
    expect(masks?.input?.shape).toEqual([B, I]);
    expect(masks?.recurrent?.shape).toEqual([B, H]);
  });

  test('Bidirectional: a fresh backward copy with its own weights; the backward half is the reversed run', () => {
    setSeed(4);
    const bi = new Bidirectional({ layer: new RNN({ cell: new PeepholeLSTMCell({ units: H }) }) });
    bi.build([null, STEPS, I]);
    expect(bi.weights).toHaveLength(12);
    expect(T.max(T.abs(T.sub(bi.getWeights()[0], bi.getWeights()[6]))).item()).toBeGreaterThan(0); // drawn separately
    expect(bi.countParams()).toBe(2 * (4 * (I * H + H * H + H) + 3 * H));
    const y = bi.apply(x) as Tensor;
    expect(y.shape).toEqual([B, 2 * H]);
    const back = peephole({});
    back.setWeights(bi.getWeights().slice(6));
    expectClose(T.slice(y, [0, H], [B, H]), back.apply(T.reverse(x, 1)) as Tensor, 1e-6);
    const fwd = peephole({});
    fwd.setWeights(bi.getWeights().slice(0, 6));
    expectClose(T.slice(y, [0, 0], [B, H]), fwd.apply(x) as Tensor, 1e-6);
  });

  test('summary: the parameter count of every weight (4·(I·H + H·H + H) + 3·H)', () => {
    const model = new Sequential([new RNN({ cell: new PeepholeLSTMCell({ units: H }), inputShape: [STEPS, I] }), new Dense({ units: 1 })]);
    const lines: string[] = [];
    model.summary(undefined, (l) => lines.push(l));
    const count = 4 * (I * H + H * H + H) + 3 * H;
    expect(model.layers[0].countParams()).toBe(count);
    expect(lines.some((l) => /\(RNN\)/.test(l) && l.trim().endsWith(String(count)))).toBe(true);
    expect(lines.some((l) => l.includes(`Total params: ${(count + H + 1).toLocaleString('en-US')}`))).toBe(true);
  });

  test('weights files: saveWeights / loadWeights round-trip every weight', async () => {
    const make = (seed: number) => {
      setSeed(seed);
      return new Sequential([new RNN({ cell: new PeepholeLSTMCell({ units: H }), inputShape: [STEPS, I] }), new Dense({ units: 1 })]);
    };
    const a = make(1);
    const b = make(2);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-peephole-')), 'w.seqlab');
    await a.saveWeights(file);
    expect(T.max(T.abs(T.sub(b.predict(x) as Tensor, a.predict(x) as Tensor))).item()).toBeGreaterThan(1e-4);
    await b.loadWeights(file);
    expectClose(b.predict(x) as Tensor, a.predict(x) as Tensor, 0);
    b.getWeights().forEach((w, k) => expectClose(w, a.getWeights()[k], 0));
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  test('model files: save() / loadModel() rebuild the registered cell class with its options and weights', async () => {
    setSeed(8);
    const a = new Sequential([new RNN({ cell: new PeepholeLSTMCell({ units: H, dropout: 0.1 }), inputShape: [STEPS, I] }), new Dense({ units: 1 })]);
    const b = await loadModel(await a.save());
    const cell = (b.layers[0] as RNN).cell;
    expect(cell).toBeInstanceOf(PeepholeLSTMCell);
    expect((cell as PeepholeLSTMCell).dropout).toBe(0.1);
    expectClose(b.predict(x) as Tensor, a.predict(x) as Tensor, 0);
  });
});

describe('a fused kernel registered for a user cell', () => {
  /** The peephole cell with a registered "fused" kernel (here: the reference, counted). */
  class CountedPeepholeCell extends PeepholeLSTMCell {}
  let calls = 0;
  registerFusedKernel(CountedPeepholeCell, {
    name: 'countedPeephole',
    supports: (cell) => cell.units > 0,
    run: (_cell, args) => {
      calls++;
      return referenceSequence(args);
    },
  });

  test("RNN runs the registered kernel ('fused'), not with implementation 'reference', and not for the base class", () => {
    const x = uniform(new T.Rng(6), [B, STEPS, I], -1, 1, 'float32');
    setSeed(3);
    const fused = new RNN({ cell: new CountedPeepholeCell({ units: H }) });
    fused.build([null, null, I]);
    const ref = new RNN({ cell: new CountedPeepholeCell({ units: H }), implementation: 'reference' });
    ref.build([null, null, I]);
    ref.setWeights(fused.getWeights());
    calls = 0;
    const y = fused.apply(x) as Tensor;
    expect(calls).toBe(1);
    expectClose(ref.apply(x) as Tensor, y, 0);
    expect(calls).toBe(1);
    const plain = peephole({});
    expect(fusedSupports({ cell: plain.cell, x, weights: [], initialStates: [], mask: null, goBackwards: false, returnSequences: false })).toBe(false);
    expect(fusedSupports({ cell: fused.cell, x, weights: [], initialStates: [], mask: null, goBackwards: false, returnSequences: false })).toBe(true);
  });
});
