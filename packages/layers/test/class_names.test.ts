/**
 * Fixed class names (engine/registry.ts): summaries and weights-file keys use each class's
 * registered Keras name, so a bundled and minified build shows and reads the same names as a
 * plain Node script.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildSync } from 'esbuild';
import * as L from '../src/node';

const root = path.resolve(__dirname, '..', '..', '..');

describe('registered class names', () => {
  test('every built-in class is registered under its Keras name', () => {
    const expected: [string, unknown][] = [
      ['Dense', L.Dense], ['Activation', L.Activation], ['Dropout', L.Dropout], ['Flatten', L.Flatten],
      ['Reshape', L.Reshape], ['RepeatVector', L.RepeatVector], ['Embedding', L.Embedding], ['Masking', L.Masking],
      ['Concatenate', L.Concatenate], ['Add', L.Add], ['GlobalAveragePooling1D', L.GlobalAveragePooling1D],
      ['BatchNormalization', L.BatchNormalization], ['TimeDistributed', L.TimeDistributed], ['InputLayer', L.InputLayer],
      ['Bidirectional', L.Bidirectional], ['RNN', L.RNN], ['SimpleRNN', L.SimpleRNN], ['LSTM', L.LSTM], ['GRU', L.GRU],
      ['Functional', L.Model], ['Sequential', L.Sequential], ['SimpleRNNCell', L.SimpleRNNCell], ['LSTMCell', L.LSTMCell],
      ['GRUCell', L.GRUCell], ['StackedRNNCells', L.StackedRNNCells], ['SGD', L.SGD], ['Adam', L.Adam],
      ['RMSprop', L.RMSprop], ['Adagrad', L.Adagrad],
    ];
    for (const [name, cls] of expected) {
      expect([name, L.registeredName(cls as never)]).toEqual([name, name]);
      expect(L.registeredClass(name)).toBe(cls);
    }
    expect(new L.LSTM({ units: 2 }).className).toBe('LSTM');
    expect(new L.Adam().className).toBe('Adam');
    expect(new L.GRUCell({ units: 2 }).label).toMatch(/^GRUCell /);
  });

  test("a user's layer and cell register by name; clashes are refused", () => {
    class Doubler extends L.Layer {
      computeOutputShape(s: (number | null)[]) {
        return s;
      }
      call(x: L.LayerInput) {
        return x;
      }
    }
    expect(L.registerLayer('Doubler', Doubler)).toBe(Doubler);
    expect(L.registerLayer('Doubler', Doubler)).toBe(Doubler); // again: a no-op
    expect(new Doubler().className).toBe('Doubler');
    expect(new Doubler().name).toMatch(/^doubler(_\d+)?$/);
    expect(() => L.registerLayer('LSTM', Doubler)).toThrow("the name 'LSTM' is already registered for another class");
    expect(() => L.registerLayer('Twice', Doubler)).toThrow("this class is already registered as 'Doubler'");
    expect(() => L.registerLayer('NotALayer', class {} as never)).toThrow('expected a class extending Layer');
    expect(() => L.registerLayer('bad name', Doubler)).toThrow('expected a class name');
    class MyCell extends L.SimpleRNNCell {}
    expect(L.registerCell('MyCell', MyCell)).toBe(MyCell);
    expect(new MyCell({ units: 2 }).label).toMatch(/^MyCell /);
    expect(() => L.registerCell('NoStep', class {})).toThrow("registerCell('NoStep'): expected a cell class");
  });

  test('a minified bundle shows the same summary and reads a weights file saved by plain Node', async () => {
    // one model definition, run here from the sources and in the bundle
    const buildSource = `L.setSeed(seed);
      return new L.Sequential([
        new L.Embedding({ inputDim: 20, outputDim: 4, maskZero: true, inputShape: [5], name: 'embedding' }),
        new L.Bidirectional({ layer: new L.LSTM({ units: 3, returnSequences: true }), name: 'bidirectional' }),
        new L.GRU({ units: 3, name: 'gru' }),
        new L.Dense({ units: 1, name: 'dense' }),
      ]);`;
    const build = new Function('L', 'seed', buildSource) as (l: typeof L, seed: number) => L.Sequential;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-names-'));
    try {
      const model = build(L, 1);
      const weightsPath = path.join(dir, 'w.seqlab');
      await model.saveWeights(weightsPath);
      const entry = path.join(dir, 'entry.ts');
      fs.writeFileSync(
        entry,
        `import * as L from '@seqlab/layers';
         const build = (seed: number) => { ${buildSource} };
         const m = build(2);
         m.loadWeights(${JSON.stringify(weightsPath)}).then(() => {
           console.log(JSON.stringify({ summary: m.summaryText(), weights: m.getWeights().map((w) => Array.from(w.data)) }));
         }, (e) => { console.error(e.message); process.exit(1); });`,
      );
      const out = path.join(dir, 'bundle.js');
      const alias = Object.fromEntries(['tensor', 'autograd', 'layers', 'datasets'].map((p) => [`@seqlab/${p}`, path.join(root, 'packages', p, 'src', p === 'autograd' ? 'index.ts' : 'node.ts')]));
      buildSync({ entryPoints: [entry], bundle: true, minify: true, platform: 'node', outfile: out, alias, logLevel: 'error' });
      expect(fs.readFileSync(out, 'utf8')).not.toMatch(/class LSTM\b/); // the class names really are minified away
      const result = JSON.parse(execFileSync(process.execPath, [out], { encoding: 'utf8', env: { ...process.env, SEQLAB_THREADS: '1' } }));
      expect(result.summary).toEqual(model.summaryText());
      expect(result.summary.join('\n')).toContain('gru (GRU)');
      expect(result.weights).toEqual(model.getWeights().map((w) => Array.from(w.data)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
