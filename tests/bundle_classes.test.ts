/**
 * Which classes a page bundle holds and registers. A page that builds an LSTM bundles neither the
 * other cells nor Bidirectional nor Embedding (so it stays small); a page that loads a model
 * (loadModel, modelFromBytes, fromTfjs, loadTfjsModel) holds every built-in class, as Node does,
 * and a model file with GRU, SimpleRNN, Bidirectional and Embedding loads there and predicts what
 * it predicts in Node.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import * as L from '@seqlab/layers';
import { bundle } from './support/browser';

jest.setTimeout(120_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-bundle-classes-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Bundles `source` as a page would (its own copy of the packages), runs it, and returns what it put on globalThis.page. */
function runPage(name: string, source: string): Record<string, unknown> {
  fs.writeFileSync(path.join(dir, `${name}.ts`), source);
  bundle({ [name]: path.join(dir, `${name}.ts`) }, dir);
  // in this realm (not a vm context), so that the page and the test share Uint8Array and friends
  new Function(fs.readFileSync(path.join(dir, `${name}.js`), 'utf8'))();
  const page = (globalThis as { page?: Record<string, unknown> }).page as Record<string, unknown>;
  delete (globalThis as { page?: unknown }).page;
  return page;
}

const BUILT_IN_NAMES = L.registeredNames();

test('every class this package registers is in builtInClasses (what the load paths bring)', () => {
  const { builtInClasses } = require('../packages/layers/src/saving/builtins') as typeof import('../packages/layers/src/saving/builtins');
  const names = builtInClasses().map((c) => L.registeredName(c));
  expect(names.slice().sort()).toEqual(BUILT_IN_NAMES);
  expect(BUILT_IN_NAMES).toEqual(expect.arrayContaining(['GRU', 'GRUCell', 'SimpleRNN', 'Bidirectional', 'Embedding', 'Masking', 'Sequential', 'Adagrad']));
});

test('an LSTM + Dense + Adam page registers only what it uses', () => {
  const page = runPage(
    'lstm_only',
    `import { Adam, Dense, LSTM, Sequential, registeredNames } from '@seqlab/layers';
     const m = new Sequential([new LSTM({ units: 4, inputShape: [3, 1] }), new Dense({ units: 1 })]);
     m.compile({ optimizer: new Adam(), loss: 'mse' });
     (globalThis as any).page = { names: registeredNames() };`,
  );
  const names = page.names as string[];
  expect(names).toEqual(expect.arrayContaining(['LSTM', 'LSTMCell', 'Dense', 'Sequential', 'Adam']));
  for (const left of ['GRU', 'GRUCell', 'SimpleRNN', 'SimpleRNNCell', 'Bidirectional', 'Embedding', 'Dropout', 'Activation', 'Flatten', 'Reshape', 'RepeatVector']) {
    expect(names).not.toContain(left);
  }
});

test('the LSTM + Dense + Adam page of `npm run bench:browser` stays within 60 KiB min+gzip', () => {
  const source = fs.readFileSync(path.join(__dirname, '..', 'bench', 'browser', 'run.ts'), 'utf8');
  const page = /`(import \{ Adam, Dense, LSTM, Sequential \} from '@seqlab\/layers';[^`]*)`/.exec(source);
  expect(page).not.toBeNull();
  fs.writeFileSync(path.join(dir, 'size_page.ts'), (page as RegExpExecArray)[1]);
  bundle({ size_page: path.join(dir, 'size_page.ts') }, dir);
  const bytes = zlib.gzipSync(fs.readFileSync(path.join(dir, 'size_page.js')), { level: 9 }).length;
  expect(bytes).toBeLessThanOrEqual(60 * 1024);
});

test.each(['loadModel', 'modelFromBytes', 'fromTfjs', 'loadTfjsModel'])('a page that uses %s registers every built-in class', (load) => {
  const page = runPage(`uses_${load}`, `import { ${load}, registeredNames } from '@seqlab/layers';\n(globalThis as any).page = { load: ${load}, names: registeredNames() };`);
  expect(page.names).toEqual(BUILT_IN_NAMES);
});

test('a model file with GRU, SimpleRNN, Bidirectional and Embedding loads in a page that imports none of them', async () => {
  L.setSeed(7);
  const model = new L.Sequential([
    new L.Embedding({ inputDim: 6, outputDim: 3, inputShape: [4] }),
    new L.Bidirectional({ layer: new L.GRU({ units: 2, returnSequences: true }) }),
    new L.SimpleRNN({ units: 3 }),
    new L.Dense({ units: 1 }),
  ]);
  const ids = [
    [1, 2, 3, 4],
    [5, 0, 1, 2],
  ];
  const expected = Array.from((model.predict(ids) as { data: Float32Array }).data);
  const bytes = (await model.save()) as Uint8Array;
  const page = runPage('loads_file', `import { loadModel } from '@seqlab/layers';\n(globalThis as any).page = { loadModel };`);
  const loaded = (await (page.loadModel as (b: Uint8Array) => Promise<{ predict(x: number[][]): { data: Float32Array }; layers: { className: string }[] }>)(bytes));
  expect(loaded.layers.map((l) => l.className)).toEqual(['Embedding', 'Bidirectional', 'SimpleRNN', 'Dense']);
  expect(Array.from(loaded.predict(ids).data)).toEqual(expected);
});
