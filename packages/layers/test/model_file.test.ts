/**
 * Whole-model files: `model.save(path)` / `loadModel(path)` and the same bytes without files.
 * Round trips are bit-identical, a resumed training run matches an uninterrupted one step for
 * step, and every damaged or unknown file is refused before anything is built or assigned.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildSync } from 'esbuild';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import * as L from '../src/node';
import { encodeContainer, decodeContainer } from '../src/saving/container';

const rng = new T.Rng(5);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-model-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function ids(b: number, t: number, vocab: number): Tensor {
  const x = T.zeros([b, t]);
  for (let i = 0; i < b; i++) for (let s = 0; s < t - (i % 3); s++) x.data[i * t + s] = 1 + Math.floor(rng.uniform() * (vocab - 1));
  return x;
}
const bits = (t: Tensor) => Array.from(t.data);

function buildModel(): L.Model {
  const x = L.input({ shape: [6], name: 'tokens' });
  const e = new L.Embedding({ inputDim: 20, outputDim: 4, maskZero: true }).apply(x) as L.SymbolicTensor;
  const s = new L.Bidirectional({ layer: new L.LSTM({ units: 3, returnSequences: true }) }).apply(e) as L.SymbolicTensor;
  const g = new L.GRU({ units: 3 }).apply(s) as L.SymbolicTensor;
  const n = new L.BatchNormalization().apply(g) as L.SymbolicTensor;
  const y = new L.Dense({ units: 1, activation: 'sigmoid' }).apply(n) as L.SymbolicTensor;
  return new L.Model({ inputs: x, outputs: y, name: 'classifier' });
}

const xs = ids(8, 6, 20);
const ys = T.tensor(Array.from({ length: 8 }, (_, i) => [i % 2]));

/** Rewrites a model file's manifest (checksums recomputed), to craft files a newer or other seqlab could write. */
function rewrite(bytes: Uint8Array, change: (m: Record<string, unknown>) => void): Uint8Array {
  const { manifest, data } = decodeContainer<L.LayerConfig & { format: string; version: number; dataByteLength: number; dataSha256: string }>(bytes, { magic: 'SEQLABM1', format: 'seqlab-model', version: 1, who: 'test', source: 'test' });
  const m = JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>;
  change(m);
  return encodeContainer('SEQLABM1', m as never, data);
}

describe('model files', () => {
  beforeAll(() => L.setSeed(3));

  test('save(path) / loadModel(path): architecture, weights, compile configuration, bit-identical predictions', async () => {
    const model = buildModel();
    model.compile({ optimizer: new L.Adam({ learningRate: 0.01, clipnorm: 1 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
    for (let i = 0; i < 2; i++) model.trainOnBatch(xs, ys);
    const file = path.join(tmp, 'classifier.seqlab');
    await model.save(file);
    const again = await L.loadModel(file);
    expect(again.toConfig()).toEqual(JSON.parse(JSON.stringify(model.toConfig())));
    expect(bits(again.predict(xs) as Tensor)).toEqual(bits(model.predict(xs) as Tensor));
    expect(again.getWeights().map(bits)).toEqual(model.getWeights().map(bits));
    const opt = again.optimizer as L.Adam;
    expect([opt.className, opt.learningRate, opt.clipnorm, opt.iterations]).toEqual(['Adam', 0.01, 1, 2]);
    expect(again.compileArgs?.metrics).toEqual(['accuracy']);
    expect(again.evaluate(xs, ys)).toEqual(model.evaluate(xs, ys));
    // bytes in and out: the same file
    const bytes = await model.save();
    expect(Buffer.from(bytes).equals(fs.readFileSync(file))).toBe(true);
  });

  test('a resumed training run matches an uninterrupted one step for step (and fails without the optimizer state)', async () => {
    L.setSeed(9);
    const a = buildModel();
    a.compile({ optimizer: new L.Adam({ learningRate: 0.02 }), loss: 'binaryCrossentropy' });
    for (let i = 0; i < 3; i++) a.trainOnBatch(xs, ys);
    const b = await L.loadModel(await a.save());
    const fresh = await L.loadModel(await a.save(undefined, { includeOptimizer: false }));
    for (let step = 0; step < 4; step++) {
      const la = a.trainOnBatch(xs, ys);
      const lb = b.trainOnBatch(xs, ys);
      expect([step, lb]).toEqual([step, la]);
      expect(b.getWeights().map(bits)).toEqual(a.getWeights().map(bits));
      fresh.trainOnBatch(xs, ys);
    }
    // the moments matter: restarting Adam from zero gives other weights
    expect(fresh.getWeights().map(bits)).not.toEqual(a.getWeights().map(bits));
  });

  test('Sequential with SGD momentum, RMSprop; the user generator is not advanced by a load', async () => {
    for (const optimizer of [new L.SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }), new L.RMSprop({ centered: true, momentum: 0.5 })]) {
      const m = new L.Sequential([new L.SimpleRNN({ units: 3, inputShape: [4, 2] }), new L.Dense({ units: 2 })]);
      m.compile({ optimizer, loss: 'mse' });
      const x = T.randomNormal([5, 4, 2], 0, 1, { rng });
      const y = T.randomNormal([5, 2], 0, 1, { rng });
      m.trainOnBatch(x, y);
      L.setSeed(1);
      const expected = L.getRng().uniform();
      L.setSeed(1);
      const b = await L.loadModel(await m.save());
      expect(L.getRng().uniform()).toBe(expected);
      m.trainOnBatch(x, y);
      b.trainOnBatch(x, y);
      expect(b.getWeights().map(bits)).toEqual(m.getWeights().map(bits));
      expect(b.optimizer!.getConfig()).toEqual(optimizer.getConfig());
    }
  });

  test('damaged, newer and unknown files are refused with the reason; a failed save leaves the old file', async () => {
    const model = buildModel();
    const bytes = await model.save();
    const flipped = bytes.slice();
    flipped[flipped.length - 3] ^= 0xff;
    await expect(L.loadModel(flipped)).rejects.toThrow(/data checksum does not match/);
    await expect(L.loadModel(bytes.slice(0, bytes.length - 10))).rejects.toThrow(/data section has .* bytes, the manifest says/);
    await expect(L.loadModel(bytes.slice(0, 20))).rejects.toThrow(/fewer than the 44-byte header/);
    await expect(L.loadModel(new Uint8Array(100))).rejects.toThrow(/wrong magic/);
    await expect(L.loadModel(rewrite(bytes, (m) => (m.version = 2)))).rejects.toThrow(/written by a newer seqlab \(seqlab-model version 2\); this seqlab reads versions up to 1/);
    const unknown = rewrite(bytes, (m) => {
      const layers = (m.model_config as { config: { layers: L.LayerConfig[] } }).config.layers;
      layers[2].class_name = 'Peephole';
    });
    await expect(L.loadModel(unknown)).rejects.toThrow(/unknown class 'Peephole'.*customObjects/);
    const badShape = rewrite(bytes, (m) => ((m.weights as { shape: number[] }[])[0].shape = [21, 4]));
    await expect(L.loadModel(badShape)).rejects.toThrow(/weight 0 \('embedding.*\/embeddings'\) has shape \[21,4\] but the architecture's .* has shape \[20,4\]/);
    await expect(L.loadModel(path.join(tmp, 'missing.seqlab'))).rejects.toThrow(/loadModel: cannot read .*missing.seqlab/);

    const file = path.join(tmp, 'keep.seqlab');
    await model.save(file);
    const kept = fs.readFileSync(file);
    model.compile({ optimizer: 'adam', loss: (a: Tensor, b: Tensor) => L.getLoss('mse')(a, b) });
    await expect(model.save(file)).rejects.toThrow(/the loss is a custom function/);
    expect(fs.readFileSync(file).equals(kept)).toBe(true);
  });

  test.each([['saving', 'model_file.ts'], ['saving', 'tfjs_format.ts'], ['onnx', 'export.ts']])('the bytes API (%s/%s) does not import Node modules', (dir, file) => {
    const out = buildSync({
      entryPoints: [path.join(__dirname, '..', 'src', dir, file)],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      external: ['@seqlab/*'],
      logLevel: 'silent',
    });
    const code = out.outputFiles[0].text;
    expect(code).not.toMatch(/require\(["'](fs|crypto|path|os)["']\)|from ["'](node:)?(fs|crypto|path|os)["']/);
  });
});
