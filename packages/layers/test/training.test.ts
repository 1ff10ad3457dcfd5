import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import {
  CSVLogger, Callback, CallbackModel, Dense, EarlyStopping, ModelCheckpoint, ProgressSink, ReduceLROnPlateau, SGD,
  Sequential, TerminateOnNaN, Adam, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy,
  meanSquaredError, meanAbsoluteError, setSeed,
} from '@seqlab/layers';

const silent = { verbose: 0 as const };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-training-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A small binary problem: y = [x₀ + x₁ > 0]. */
function blobs(n: number, seed: number): [Tensor, Tensor] {
  const x = T.randomNormal([n, 2], 0, 1, { seed });
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = x.data[2 * i] + x.data[2 * i + 1] > 0 ? 1 : 0;
  return [x, new Tensor(y, [n, 1])];
}

function smallModel(seed = 1): Sequential {
  setSeed(seed);
  return new Sequential([new Dense({ units: 8, activation: 'tanh', inputShape: [2] }), new Dense({ units: 1, activation: 'sigmoid' })]);
}

describe('losses', () => {
  test('match their formulas and are stable at the extremes', () => {
    const y = T.tensor([[1], [0]]);
    const p = T.tensor([[0.9], [0.2]]);
    expect(binaryCrossentropy()(y, p).toArray()).toEqual([[-Math.log(0.9)].map(Math.fround)[0], Math.fround(-Math.log(0.8))].map((v) => expect.closeTo(v, 6)));
    const z = T.tensor([[1000], [-1000]]);
    const fromLogits = binaryCrossentropy({ fromLogits: true })(T.tensor([[0], [1]]), z);
    expect(Array.from(fromLogits.data)).toEqual([1000, 1000]);
    const sat = binaryCrossentropy()(T.tensor([[1]]), T.tensor([[0]]));
    expect(sat.data[0]).toBeCloseTo(-Math.log(1e-7), 3);
    const cce = categoricalCrossentropy()(T.tensor([[0, 1, 0]]), T.tensor([[0.2, 0.5, 0.3]]));
    expect(cce.data[0]).toBeCloseTo(-Math.log(0.5), 6);
    const scce = sparseCategoricalCrossentropy({ fromLogits: true })(T.tensor([2]), T.tensor([[1, 2, 3]]));
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(scce.data[0]).toBeCloseTo(lse - 3, 5);
    expect(meanSquaredError()(T.tensor([[1, 2]]), T.tensor([[2, 4]])).data[0]).toBe(2.5);
    expect(meanAbsoluteError()(T.tensor([[1, 2]]), T.tensor([[2, 4]])).data[0]).toBe(1.5);
  });

  test('gradients match finite differences', () => {
    const yb = T.tensor([[1], [0], [1]], undefined, { dtype: 'float64' });
    const ys = T.tensor([[0], [2]]);
    const r1 = A.checkGradients((p: Tensor) => binaryCrossentropy()(yb, p), [T.tensor([[0.7], [0.4], [0.2]])]);
    const r2 = A.checkGradients((z: Tensor) => binaryCrossentropy({ fromLogits: true })(yb, z), [T.tensor([[2], [-1], [0.3]])]);
    const r3 = A.checkGradients((z: Tensor) => sparseCategoricalCrossentropy({ fromLogits: true })(ys, z), [T.randomNormal([2, 3], 0, 1, { seed: 2 })]);
    const r4 = A.checkGradients((p: Tensor) => categoricalCrossentropy()(T.tensor([[0, 1, 0]], undefined, { dtype: 'float64' }), p), [T.tensor([[0.2, 0.5, 0.3]])]);
    for (const r of [r1, r2, r3, r4]) if (!r.ok) throw new Error(r.message);
  });

  test('labels [n] against predictions [n, 1] are accepted, as Keras does', async () => {
    const p = T.tensor([[0.9], [0.2]]);
    expect(Array.from(binaryCrossentropy()(T.tensor([1, 0]), p).data)).toEqual(Array.from(binaryCrossentropy()(T.tensor([[1], [0]]), p).data));
    expect(() => meanSquaredError()(T.tensor([1, 0, 1]), p)).toThrow('labels of shape [3] do not match predictions of shape [2,1]');
    const [x, y] = blobs(32, 3);
    const m = smallModel();
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit(x, T.reshape(y, [32]), { epochs: 1, verbose: 0 });
    expect(h.history.accuracy.length).toBe(1);
  });

  test('labels out of range are refused', () => {
    expect(() => sparseCategoricalCrossentropy()(T.tensor([3]), T.tensor([[0.2, 0.3, 0.5]]))).toThrow('labels must be integers in [0, 3), received 3');
    expect(() => binaryCrossentropy()(T.tensor([[2]]), T.tensor([[0.5]]))).toThrow('labels must be in [0, 1], received 2');
  });
});

describe('fit', () => {
  test('learns a separable problem and records Keras-named history', async () => {
    const [x, y] = blobs(256, 1);
    const [xv, yv] = blobs(64, 2);
    const m = smallModel();
    m.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
    const h = await m.fit(x, y, { epochs: 15, batchSize: 32, validationData: [xv, yv], seed: 3, ...silent });
    expect(Object.keys(h.history).sort()).toEqual(['accuracy', 'grad_norm', 'loss', 'val_accuracy', 'val_loss']);
    expect(h.history.loss.length).toBe(15);
    expect(h.history.loss[14]).toBeLessThan(h.history.loss[0] / 2);
    expect(h.history.val_accuracy[14]).toBeGreaterThan(0.9);
    const [loss, acc] = m.evaluate(xv, yv) as number[];
    expect(loss).toBeCloseTo(h.history.val_loss[14], 5);
    expect(acc).toBeCloseTo(h.history.val_accuracy[14], 5);
  });

  test('the same seed gives the same training run', async () => {
    const [x, y] = blobs(64, 4);
    const runOnce = async () => {
      const m = smallModel(9);
      m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
      return (await m.fit(x, y, { epochs: 3, batchSize: 16, seed: 5, ...silent })).history.loss;
    };
    expect(await runOnce()).toEqual(await runOnce());
  });

  test('a model-level update with globalClipnorm equals the update of the clipped gradient', () => {
    setSeed(2);
    const m = new Sequential([new Dense({ units: 1, inputShape: [3] })]);
    const x = T.tensor([[100, -200, 300], [50, 10, -20]]);
    const y = T.tensor([[1e3], [-1e3]]);
    m.compile({ optimizer: new SGD({ learningRate: 0.1, globalClipnorm: 1 }), loss: 'mse' });
    const vars = m.trainableWeights;
    const { grads } = A.variableGrads(() => A.mean(A.square(A.sub(m.run([x])[0], y))), vars);
    expect(A.globalNorm(grads)).toBeGreaterThan(1e3);
    const before = m.getWeights();
    m.trainOnBatch(x, y);
    const clipped = A.clipByGlobalNorm(grads, 1).grads;
    m.getWeights().forEach((w, i) => {
      for (let k = 0; k < w.size; k++) expect(w.data[k]).toBeCloseTo(before[i].data[k] - 0.1 * clipped[i].data[k], 5);
    });
  });

  test('validationSplit holds out the last samples; classWeight and sampleWeight weigh the loss', async () => {
    const [x, y] = blobs(100, 6);
    const m = smallModel();
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    const plain = m.evaluate(x, y) as number;
    const weighted = m.evaluate(x, y, { sampleWeight: new Array(100).fill(2) }) as number;
    expect(weighted).toBeCloseTo(2 * plain, 5);
    const h = await m.fit(x, y, { epochs: 1, validationSplit: 0.2, classWeight: { 0: 1, 1: 3 }, ...silent });
    expect(h.history.val_loss.length).toBe(1);
  });

  test('progress: one line per epoch when output is not a terminal, a bar on a terminal', async () => {
    const [x, y] = blobs(64, 7);
    const m = smallModel();
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const lines: string[] = [];
    const pipe: ProgressSink = { isTTY: false, write: (s) => lines.push(s) };
    await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 1, progressSink: pipe });
    expect(lines.filter((l) => /^4\/4 - .* - loss: \d\.\d{4} - accuracy: \d\.\d{4} - grad_norm/.test(l)).length).toBe(2);
    const tty: string[] = [];
    await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 1, progressSink: { isTTY: true, write: (s) => tty.push(s) } });
    expect(tty.some((l) => /\r1\/4 \[======>\.{23}\] - ETA: \d+s - loss: /.test(l))).toBe(true);
  });

  test('bad input is refused before any weight changes', async () => {
    const m = smallModel();
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const before = m.getWeights().map((w) => Array.from(w.data));
    const [x, y] = blobs(10, 8);
    await expect(m.fit(x, T.slice(y, [0], [9]), silent)).rejects.toThrow('x and y must have the same number of samples: input 0 has 10, target 0 has 9');
    const bad = y.clone();
    bad.data[9] = 2;
    await expect(m.fit(x, bad, silent)).rejects.toThrow('binaryCrossentropy needs labels in [0, 1], received 2 at flat position 9');
    const nan = x.clone();
    nan.data[5] = NaN;
    await expect(m.fit(nan, y, silent)).rejects.toThrow('fit: input 0 must be finite, received NaN at index [2, 1] (shape [10, 2])');
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(before);
    const sparse = new Sequential([new Dense({ units: 3, activation: 'softmax', inputShape: [2] })]);
    sparse.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    await expect(sparse.fit(x, T.fill([10, 1], 3), silent)).rejects.toThrow('integer labels in [0, 3), received 3');
  });
});

/** A stand-in model whose validation loss follows a script, for callback tests. */
function scripted(valLosses: number[]): { model: CallbackModel & { weights: number }; run: (cbs: Callback[]) => Promise<number> } {
  const model = {
    stopTraining: false,
    optimizer: { learningRate: 1 },
    weights: 0,
    getWeights: () => [T.tensor([model.weights])],
    setWeights: (ws: Tensor[]) => (model.weights = ws[0].data[0]),
    saveWeights: async () => undefined,
  };
  const run = async (cbs: Callback[]) => {
    for (const cb of cbs) cb.setModel?.(model);
    for (const cb of cbs) await cb.onTrainBegin?.({});
    let epoch = 0;
    for (; epoch < valLosses.length && !model.stopTraining; epoch++) {
      model.weights = epoch; // "weights" = the epoch they came from
      for (const cb of cbs) await cb.onEpochEnd?.(epoch, { val_loss: valLosses[epoch] });
    }
    for (const cb of cbs) await cb.onTrainEnd?.({});
    return epoch;
  };
  return { model, run };
}

describe('callbacks', () => {
  test('EarlyStopping stops after patience and restores the best weights', async () => {
    const { model, run } = scripted([1.0, 0.8, 0.5, 0.6, 0.55, 0.7, 0.4, 0.3]);
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true });
    const epochs = await run([es]);
    expect(epochs).toBe(6); // best at epoch 2; epochs 3, 4, 5 do not improve
    expect(es.stoppedEpoch).toBe(5);
    expect(model.weights).toBe(2);
  });

  test('EarlyStopping minDelta counts small improvements as none', async () => {
    const { run } = scripted([1.0, 0.99, 0.985, 0.98, 0.5]);
    const es = new EarlyStopping({ patience: 2, minDelta: 0.05 });
    expect(await run([es])).toBe(3);
  });

  test('ReduceLROnPlateau halves the rate after patience flat epochs', async () => {
    const { model, run } = scripted([1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]);
    const rates: number[] = [];
    const rl = new ReduceLROnPlateau({ factor: 0.5, patience: 2, minDelta: 1e-4 });
    await run([rl, { onEpochEnd: () => void rates.push(model.optimizer!.learningRate) }]);
    expect(rates).toEqual([1, 1, 1, 0.5, 0.5, 0.25, 0.25]);
  });

  test("verbose callbacks write to fit's progressSink, not to the console", async () => {
    const [x, y] = blobs(32, 9);
    const m = smallModel();
    m.compile({ optimizer: new SGD({ learningRate: 1e-9 }), loss: 'binaryCrossentropy' }); // val_loss barely moves
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await m.fit(x, y, {
        epochs: 5, batchSize: 16, verbose: 0, validationData: [x, y], progressSink: { isTTY: false, write: (s) => lines.push(s) },
        callbacks: [new ReduceLROnPlateau({ patience: 1, factor: 0.5, verbose: 1 }), new EarlyStopping({ patience: 2, minDelta: 1e-3, restoreBestWeights: true, verbose: 1 })],
      });
      expect(log).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
    expect(lines.some((l) => /^Epoch 2: ReduceLROnPlateau reducing learning rate to 5e-10\.\n$/.test(l))).toBe(true);
    expect(lines).toContain('Epoch 3: early stopping\n');
    expect(lines.some((l) => l.startsWith('Restoring model weights from the end of the best epoch: 1.'))).toBe(true);
  });

  test('TerminateOnNaN stops at the first NaN loss and says where it came from', async () => {
    const m = new Sequential([new Dense({ units: 2, inputShape: [2], name: 'hidden' }), new Dense({ units: 1, name: 'out' })]);
    m.compile({ optimizer: new SGD({ learningRate: 1 }), loss: 'mse' });
    (m.layers[1] as Dense).kernel.value.data[0] = NaN;
    const t = new TerminateOnNaN();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const h = await m.fit(T.ones([8, 2]), T.ones([8, 1]), { epochs: 3, batchSize: 4, callbacks: [t], ...silent });
    warn.mockRestore();
    expect(h.history.loss.length).toBe(1);
    expect(t.report).toContain("NaN or infinity first appears in the weights of Dense 'out' ('out/kernel')");
  });

  test('ModelCheckpoint keeps the best weights; CSVLogger writes one row per epoch', async () => {
    const [x, y] = blobs(64, 9);
    const m = smallModel();
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const file = path.join(tmp, 'best.slw');
    const csv = path.join(tmp, 'log.csv');
    await m.fit(x, y, { epochs: 3, validationData: [x, y], callbacks: [new ModelCheckpoint({ filepath: file, saveBestOnly: true }), new CSVLogger({ filename: csv })], ...silent });
    expect(fs.existsSync(file)).toBe(true);
    const rows = fs.readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('epoch,grad_norm,loss,val_loss');
    expect(rows.length).toBe(4);
  });
});

describe('saveWeights / loadWeights', () => {
  test('round trip gives identical predictions', async () => {
    const m = smallModel(11);
    const file = path.join(tmp, 'w.slw');
    await m.saveWeights(file);
    const x = T.randomNormal([5, 2], 0, 1, { seed: 1 });
    const expected = Array.from((m.predict(x) as Tensor).data);
    const other = smallModel(12);
    expect(Array.from((other.predict(x) as Tensor).data)).not.toEqual(expected);
    await other.loadWeights(file);
    expect(Array.from((other.predict(x) as Tensor).data)).toEqual(expected);
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a truncated file, a flipped manifest byte, a shape mismatch: refused, weights unchanged', async () => {
    const m = smallModel(13);
    const file = path.join(tmp, 'good.slw');
    await m.saveWeights(file);
    const bytes = fs.readFileSync(file);
    const target = smallModel(14);
    const before = target.getWeights().map((w) => Array.from(w.data));
    const cut = path.join(tmp, 'cut.slw');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 7));
    await expect(target.loadWeights(cut)).rejects.toThrow('file truncated or padded');
    const flipped = Buffer.from(bytes);
    flipped[60] ^= 0x01; // inside the manifest
    const flip = path.join(tmp, 'flip.slw');
    fs.writeFileSync(flip, flipped);
    await expect(target.loadWeights(flip)).rejects.toThrow('the manifest is corrupted');
    const dataFlip = Buffer.from(bytes);
    dataFlip[dataFlip.length - 3] ^= 0x10;
    fs.writeFileSync(flip, dataFlip);
    await expect(target.loadWeights(flip)).rejects.toThrow('the data are corrupted');
    setSeed(1);
    const wider = new Sequential([new Dense({ units: 9, activation: 'tanh', inputShape: [2] }), new Dense({ units: 1 })]);
    const wb = wider.getWeights().map((w) => Array.from(w.data));
    await expect(wider.loadWeights(file)).rejects.toThrow('has shape [2,8] but');
    expect(wider.getWeights().map((w) => Array.from(w.data))).toEqual(wb);
    expect(target.getWeights().map((w) => Array.from(w.data))).toEqual(before);
  });
});
