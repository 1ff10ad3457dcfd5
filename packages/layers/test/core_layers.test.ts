import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import {
  Activation, Add, BatchNormalization, Concatenate, Dense, Dropout, Embedding, Flatten, GlobalAveragePooling1D,
  Layer, Masking, Model, RepeatVector, Reshape, Sequential, TimeDistributed, input, maskOf, setSeed,
} from '@seqlab/layers';

/** Runs checkGradients over a layer's input and every weight, in float64. */
function checkLayer(layer: Layer, x: Tensor, args: { training?: boolean } = {}): void {
  layer.apply(x); // build
  const vars = layer.trainableWeights;
  for (const v of layer.weights) v.value = v.value.cast('float64');
  const f = (...ts: Tensor[]) => {
    const [xi, ...ws] = ts;
    vars.forEach((v, i) => (v.value = ws[i]));
    return layer.call(xi, { training: args.training ?? false, mask: null }) as Tensor;
  };
  const r = A.checkGradients(f, [x, ...vars.map((v) => v.value)]);
  if (!r.ok) throw new Error(`${layer.label}: ${r.message}`);
}

describe('Dense', () => {
  test('2-D and 3-D inputs (last axis), gradients of input, kernel and bias', () => {
    setSeed(1);
    checkLayer(new Dense({ units: 3, activation: 'tanh' }), T.randomNormal([4, 5], 0, 1, { seed: 1 }));
    checkLayer(new Dense({ units: 2, activation: 'softmax' }), T.randomNormal([2, 3, 4], 0, 1, { seed: 2 }));
    const d = new Dense({ units: 2 });
    const y = d.apply(T.ones([2, 3, 4])) as Tensor;
    expect(y.shape).toEqual([2, 3, 2]);
    expect(d.getWeights().map((w) => w.shape)).toEqual([[4, 2], [2]]);
  });

  test('matches x·W + b on a hand case', () => {
    const d = new Dense({ units: 2, kernelInitializer: 'ones', biasInitializer: 'ones' });
    expect((d.apply(T.tensor([[1, 2, 3]])) as Tensor).toArray()).toEqual([[7, 7]]);
  });

  test('a wrong feature size names the layer, expected and received shapes', () => {
    const d = new Dense({ units: 2, name: 'head' });
    d.apply(T.ones([1, 4]));
    expect(() => d.apply(T.ones([1, 5]))).toThrow("Dense 'head': expected input [batch, 4], received [1, 5]");
    const m = new Sequential([new Dense({ units: 2, inputShape: [10], name: 'first' })]);
    expect(() => m.predict(T.zeros([2, 7]))).toThrow("Dense 'first' (in Sequential");
    expect(() => m.predict(T.zeros([2, 7]))).toThrow('expected input [batch, 10], received [2, 7]');
  });
});

describe('Embedding', () => {
  test('lookup, mask from maskZero, and gradient scatter', () => {
    const e = new Embedding({ inputDim: 6, outputDim: 3, maskZero: true });
    const ids = T.tensor([[0, 1, 5], [2, 2, 0]]);
    const y = e.apply(ids) as Tensor;
    expect(y.shape).toEqual([2, 3, 3]);
    expect(maskOf(y)!.toArray()).toEqual([[0, 1, 1], [1, 1, 0]]);
    const table = e.embeddings.value;
    expect(Array.from(y.data.subarray(3, 6))).toEqual(Array.from(table.data.subarray(3, 6)));
    const g = A.variableGrads(() => A.sum(e.call(ids) as Tensor), [e.embeddings]).grads[0];
    expect(Array.from(g.data.subarray(6, 9))).toEqual([2, 2, 2]); // id 2 used twice
  });

  test('bad ids are refused with the layer name, the range and what came', () => {
    const e = new Embedding({ inputDim: 10, outputDim: 2, name: 'emb' });
    expect(() => e.apply(T.tensor([[1, 10]]))).toThrow("Embedding 'emb': expected integer ids in [0, 10), received 10 at flat position 1");
    expect(() => e.apply(T.tensor([[1.5]]))).toThrow('received non-integer 1.5');
    expect(() => e.apply(T.tensor([[NaN]]))).toThrow('received NaN');
    expect(() => e.apply(T.tensor([[-1]]))).toThrow('received -1');
  });

  test('default initializer is U(-0.05, 0.05)', () => {
    const e = new Embedding({ inputDim: 100, outputDim: 20 });
    e.apply(T.zeros([1, 1]));
    const w = e.embeddings.value.data;
    expect(Math.max(...w)).toBeLessThanOrEqual(0.05);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-0.05);
  });
});

describe('Masking', () => {
  test('seed 000: padded timesteps are masked and zeroed', () => {
    const x = T.tensor([[[0, 0], [2, 1]], [[3, 3], [0, 0]]]);
    const y = new Masking({ maskValue: 0 }).apply(x) as Tensor;
    expect(maskOf(y)!.toArray()).toEqual([[0, 1], [1, 0]]);
    const y2 = new Masking({ maskValue: 3 }).apply(x) as Tensor;
    expect(maskOf(y2)!.toArray()).toEqual([[1, 1], [0, 1]]);
    expect(y2.toArray()).toEqual([[[0, 0], [2, 1]], [[0, 0], [0, 0]]]);
  });
});

describe('Dropout', () => {
  test('inverted dropout in training, identity at inference', () => {
    const d = new Dropout({ rate: 0.25, seed: 3 });
    const x = T.ones([200, 50]);
    expect(d.apply(x)).toBe(x);
    const y = d.call(x, { training: true }) as Tensor;
    const zeros = Array.from(y.data).filter((v) => v === 0).length / y.size;
    expect(zeros).toBeGreaterThan(0.22);
    expect(zeros).toBeLessThan(0.28);
    expect(new Set(Array.from(y.data))).toEqual(new Set([0, Math.fround(1 / 0.75)]));
  });
});

describe('BatchNormalization', () => {
  test('training normalizes with batch statistics and updates the moving averages', () => {
    const bn = new BatchNormalization();
    const x = T.tensor([[1, 10], [3, 30]]);
    const y = bn.call((bn.apply(x), x), { training: true }) as Tensor;
    // mean [2, 20], biased variance [1, 100]: (x - μ)/√(σ² + 1e-3)
    expect(y.data[0]).toBeCloseTo(-1 / Math.sqrt(1.001), 5);
    expect(y.data[3]).toBeCloseTo(10 / Math.sqrt(100.001), 5);
    expect(bn.movingMean.value.data[1]).toBeCloseTo(0.2, 5);
    expect(bn.movingVariance.value.data[1]).toBeCloseTo(0.99 + 1, 4);
    expect(bn.getWeights().map((w) => w.shape)).toEqual([[2], [2], [2], [2]]);
    expect(bn.trainableWeights.length).toBe(2);
    expect(bn.nonTrainableWeights.map((w) => w.name)).toEqual([`${bn.name}/moving_mean`, `${bn.name}/moving_variance`]);
  });

  test('gradients in training and inference modes', () => {
    checkLayer(new BatchNormalization(), T.randomNormal([5, 3], 0, 2, { seed: 4 }), { training: true });
    checkLayer(new BatchNormalization(), T.randomNormal([5, 3], 0, 2, { seed: 5 }));
  });
});

describe('shape layers', () => {
  test('Flatten, Reshape, RepeatVector, Activation, GlobalAveragePooling1D with a mask', () => {
    const x = T.range(24).reshape([2, 3, 4]);
    expect((new Flatten().apply(x) as Tensor).shape).toEqual([2, 12]);
    expect((new Reshape({ targetShape: [4, -1] }).apply(x) as Tensor).shape).toEqual([2, 4, 3]);
    expect(() => new Reshape({ targetShape: [5, 5] }).apply(x)).toThrow('cannot reshape input [2, 3, 4] to target shape [5, 5]');
    const r = new RepeatVector({ n: 3 }).apply(T.tensor([[1, 2]])) as Tensor;
    expect(r.toArray()).toEqual([[[1, 2], [1, 2], [1, 2]]]);
    expect((new Activation({ activation: 'relu' }).apply(T.tensor([-1, 2])) as Tensor).toArray()).toEqual([0, 2]);
    const pool = new GlobalAveragePooling1D();
    const pooled = pool.call(x, { mask: T.tensor([[1, 1, 0], [0, 0, 1]]) }) as Tensor;
    expect(pooled.toArray()).toEqual([[2, 3, 4, 5], [20, 21, 22, 23]]);
    checkLayer(new RepeatVector({ n: 2 }), T.randomNormal([2, 3], 0, 1, { seed: 1 }));
  });

  test('TimeDistributed(Dense) equals Dense on the last axis', () => {
    setSeed(5);
    const td = new TimeDistributed({ layer: new Dense({ units: 3 }) });
    const x = T.randomNormal([2, 4, 5], 0, 1, { seed: 6 });
    const y = td.apply(x) as Tensor;
    const inner = td.layer as Dense;
    const direct = inner.call(x) as Tensor;
    expect(Array.from(y.data)).toEqual(Array.from(direct.data));
    expect(td.countParams()).toBe(18);
    checkLayer(new TimeDistributed({ layer: new Dense({ units: 2, activation: 'tanh' }) }), x);
  });
});

describe('gradients of the remaining layers match finite differences', () => {
  test('Embedding (table), Masking, GlobalAveragePooling1D with a mask, Flatten, Reshape, Activation', () => {
    const e = new Embedding({ inputDim: 5, outputDim: 3 });
    const ids = T.tensor([[0, 4, 4], [2, 1, 0]]);
    e.apply(ids);
    const r1 = A.checkGradients((table: Tensor) => {
      e.embeddings.value = table;
      return e.call(ids) as Tensor;
    }, [e.embeddings.value]);
    if (!r1.ok) throw new Error(r1.message);
    const x = T.randomNormal([2, 3, 4], 0, 1, { seed: 9 });
    checkLayer(new Masking(), x);
    // a padded step gets no gradient (finite differences cannot check it: a nudge unmasks it)
    const padded = x.clone();
    padded.data.fill(0, 4, 8);
    const g = A.grad((t: Tensor) => A.sum(A.square(new Masking().call(t) as Tensor)))(padded);
    expect(Array.from(g.data.subarray(4, 8))).toEqual([0, 0, 0, 0]);
    expect(Array.from(g.data.subarray(0, 4)).every((v) => v !== 0)).toBe(true);
    const pool = new GlobalAveragePooling1D();
    const mask = T.tensor([[1, 0, 1], [1, 1, 0]]);
    const r2 = A.checkGradients((t: Tensor) => pool.call(t, { mask }) as Tensor, [x]);
    if (!r2.ok) throw new Error(r2.message);
    checkLayer(new Flatten(), x);
    checkLayer(new Reshape({ targetShape: [4, 3] }), x);
    checkLayer(new Activation({ activation: 'selu' }), x);
  });

  test('Concatenate and Add', () => {
    const a = T.randomNormal([2, 3], 0, 1, { seed: 1 });
    const b = T.randomNormal([2, 3], 0, 1, { seed: 2 });
    for (const layer of [new Concatenate(), new Add()]) {
      layer.apply([a, b]);
      const r = A.checkGradients((x: Tensor, y: Tensor) => layer.call([x, y], {}) as Tensor, [a, b]);
      if (!r.ok) throw new Error(`${layer.label}: ${r.message}`);
    }
  });
});

describe('functional models', () => {
  test('several inputs and outputs, shared layers, Concatenate and Add', () => {
    setSeed(7);
    const a = input({ shape: [4] });
    const b = input({ shape: [4] });
    const shared = new Dense({ units: 3, name: 'shared' });
    const ha = shared.apply(a) as any;
    const hb = shared.apply(b) as any;
    const cat = new Concatenate().apply([ha, hb]) as any;
    const sum = new Add().apply([ha, hb]) as any;
    const m = new Model({ inputs: [a, b], outputs: [cat, sum] });
    expect(m.countParams()).toBe(15);
    expect(m.weights.length).toBe(2);
    const [c, s] = m.predict([T.ones([2, 4]), T.zeros([2, 4])]) as Tensor[];
    expect(c.shape).toEqual([2, 6]);
    expect(s.shape).toEqual([2, 3]);
    const lines = m.summaryText();
    expect(lines.some((l) => l.includes('shared (Dense)') && l.includes('multiple'))).toBe(true);
    expect(lines.some((l) => l.includes('Connected to'))).toBe(true);
  });

  test('a graph that needs an input it was not given is refused', () => {
    const a = input({ shape: [2] });
    const b = input({ shape: [2] });
    const out = new Add().apply([a, b]) as any;
    expect(() => new Model({ inputs: a, outputs: out })).toThrow('graph disconnected');
  });

  test('nested models count as one row and their weights as part of the outer model', () => {
    const inner = new Sequential([new Dense({ units: 4, inputShape: [3] }), new Dense({ units: 2 })]);
    const x = input({ shape: [3] });
    const outer = new Model({ inputs: x, outputs: new Dense({ units: 1 }).apply(inner.apply(x) as any) as any });
    expect(outer.countParams()).toBe(16 + 10 + 3);
    const rows = outer.summaryText().filter((l) => l.includes('(Sequential)'));
    expect(rows.length).toBe(1);
    expect(rows[0]).toContain('26');
  });

  test('trainable = false moves weights to non-trainable', () => {
    const m = new Sequential([new Dense({ units: 4, inputShape: [3] }), new Dense({ units: 2 })]);
    m.layers[0].trainable = false;
    expect(m.trainableWeights.length).toBe(2);
    expect(m.nonTrainableWeights.length).toBe(2);
    expect(m.summaryText().join('\n')).toContain('Non-trainable params: 16 (64.00 Byte)');
  });

  test('getWeights/setWeights round trip in Keras order; a wrong shape changes nothing', () => {
    const m = new Sequential([new Dense({ units: 2, inputShape: [3] }), new Dense({ units: 1 })]);
    const ws = m.getWeights();
    expect(ws.map((w) => w.shape)).toEqual([[3, 2], [2], [2, 1], [1]]);
    const changed = ws.map((w) => T.add(w, 1));
    m.setWeights(changed);
    expect(Array.from(m.getWeights()[2].data)).toEqual(Array.from(changed[2].data));
    const before = m.getWeights();
    const bad = changed.slice();
    bad[3] = T.zeros([2]);
    expect(() => m.setWeights(bad)).toThrow("setWeights: weight 3 ('dense");
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(before.map((w) => Array.from(w.data)));
  });
});

describe('summary format', () => {
  test('the Keras table: header, rows, totals with sizes', () => {
    const m = new Sequential({ name: 'seq_fmt', layers: [new Dense({ units: 32, inputShape: [10], name: 'hidden' }), new Dense({ units: 1, name: 'out' })] });
    const lines = m.summaryText();
    expect(lines[0]).toBe('Model: "seq_fmt"');
    expect(lines[2]).toBe(' Layer (type)                Output Shape              Param #   ');
    expect(lines[4]).toBe(' hidden (Dense)              (None, 32)                352       ');
    expect(lines).toContain('Total params: 385 (1.50 KB)');
    expect(lines).toContain('Non-trainable params: 0 (0.00 Byte)');
    expect(m.countParams()).toBe(385);
  });

  test('a null time axis prints as None and accepts any length', () => {
    const x = input({ shape: [null, 10] });
    const m = new Model({ inputs: x, outputs: new Dense({ units: 2 }).apply(x) as any });
    expect(m.summaryText().join('\n')).toContain('(None, None, 2)');
    expect((m.predict(T.zeros([3, 7, 10])) as Tensor).shape).toEqual([3, 7, 2]);
    expect((m.predict(T.zeros([1, 2, 10])) as Tensor).shape).toEqual([1, 2, 2]);
  });
});
