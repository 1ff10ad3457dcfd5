/**
 * The packages as npm users get them: `npm pack` (prepack builds them clean), the tarballs
 * installed into a new project (the @seqlab packages from the tarballs only; their third-party
 * dependencies from the registry or npm's cache), then used from CommonJS, from ESM, and from
 * strict TypeScript with `skipLibCheck: false`: a Node project (module nodenext, @types/node) and
 * a browser project (module resolution 'bundler', DOM types, no Node types) that must see the
 * platform-neutral entries only.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

jest.setTimeout(240_000);

const root = path.resolve(__dirname, '..');
const PACKAGES = ['tensor', 'autograd', 'layers', 'datasets'];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-pack-'));
const tsc = require.resolve('typescript/bin/tsc');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const run = (cmd: string, args: string[], cwd: string): string =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, SEQLAB_THREADS: '1' } });

let tarballs: Record<string, { filename: string; files: { path: string }[] }>;

beforeAll(() => {
  const out = run('npm', ['pack', '--json', '--pack-destination', dir, ...PACKAGES.flatMap((p) => ['-w', `packages/${p}`])], root);
  const packed = JSON.parse(out.slice(out.indexOf('['))) as { name: string; filename: string; files: { path: string }[] }[];
  tarballs = Object.fromEntries(packed.map((p) => [p.name, p]));
  const project = {
    name: 'consumer',
    version: '1.0.0',
    private: true,
    dependencies: Object.fromEntries(PACKAGES.map((p) => [`@seqlab/${p}`, `file:${path.join(dir, tarballs[`@seqlab/${p}`].filename)}`])),
    devDependencies: { '@types/node': require('@types/node/package.json').version },
  };
  fs.mkdirSync(path.join(dir, 'app'));
  fs.writeFileSync(path.join(dir, 'app', 'package.json'), JSON.stringify(project, null, 2));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], path.join(dir, 'app'));
});

test('each tarball holds the CommonJS and ESM builds, types, README, LICENSE and package.json fields', () => {
  for (const p of PACKAGES) {
    const t = tarballs[`@seqlab/${p}`];
    const files = t.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/esm/index.mjs']));
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'packages', p, 'package.json'), 'utf8'));
    expect(pkg.engines).toEqual({ node: '>=20' });
    expect(pkg.repository.directory).toBe(`packages/${p}`);
    expect(pkg.sideEffects).toBeDefined();
    // every file the exports map names is in the tarball
    const targets = JSON.stringify(pkg.exports).match(/\.\/dist\/[^"]+/g) ?? [];
    for (const target of targets) expect([p, files.includes(target.slice(2)) ? target : `missing ${target}`]).toEqual([p, target]);
    // no file of a removed module: every compiled file has its source
    const orphans = files.filter((f) => /^dist\/(?!esm\/).*\.js$/.test(f) && !files.includes(f.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')));
    expect([p, orphans]).toEqual([p, []]);
  }
});

// one small training run, the same from every kind of import: it prints the losses and a summary line
const body = `
  T.setSeed?.(1);
  L.setSeed(1);
  const x = T.tensor(Array.from({ length: 8 }, (_, b) => Array.from({ length: 5 }, (_, t) => [Math.sin(b + t)])));
  const y = T.tensor(Array.from({ length: 8 }, (_, b) => [Math.cos(b)]));
  const model = new L.Sequential([new L.LSTM({ units: 4, inputShape: [5, 1] }), new L.Dense({ units: 1 })]);
  model.compile({ optimizer: new L.Adam({ learningRate: 0.01 }), loss: 'mse' });
  const padded = D.padSequences([[1, 2], [3]], { maxlen: 3 });
  const grads = A.grad((v) => A.sum(A.mul(v, v)))(T.tensor([1, 2]));
  model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 }).then(async (h) => {
    const bytes = await model.saveWeights();
    console.log(JSON.stringify({ loss: h.history.loss, summary: model.summaryText().join('\\n'), padded: padded.toArray(), grads: Array.from(grads.data), bytes: bytes.length }));
  });
`;

function runJs(file: string, source: string): { loss: number[]; summary: string; padded: number[][]; grads: number[]; bytes: number } {
  fs.writeFileSync(path.join(dir, 'app', file), source);
  return JSON.parse(run(process.execPath, [file], path.join(dir, 'app')));
}

test('CommonJS and ESM consumers train the same model to the same losses', () => {
  const cjs = runJs('use.cjs', `const T = require('@seqlab/tensor'); const A = require('@seqlab/autograd'); const L = require('@seqlab/layers'); const D = require('@seqlab/datasets');\n${body}`);
  const esm = runJs(
    'use.mjs',
    `import * as T from '@seqlab/tensor'; import * as A from '@seqlab/autograd'; import * as L from '@seqlab/layers'; import * as D from '@seqlab/datasets';
     import { toNdarray } from '@seqlab/tensor/ndarray'; if (toNdarray(T.tensor([1, 2])).shape[0] !== 2) throw new Error('ndarray');
     if (typeof D.imdb.loadData !== 'function' || typeof L.loadModel !== 'function') throw new Error('Node entries');\n${body}`,
  );
  expect(cjs.loss).toHaveLength(3);
  expect(cjs.loss.every(Number.isFinite)).toBe(true);
  expect(esm).toEqual(cjs);
  expect(cjs.padded).toEqual([[0, 1, 2], [0, 0, 3]]);
  expect(cjs.grads).toEqual([2, 4]);
  expect(cjs.summary).toMatch(/lstm.*\(LSTM\)/);
});

test('the Node entries in ESM start the worker threads (their __dirname is dist/)', () => {
  fs.writeFileSync(
    path.join(dir, 'app', 'threads.mjs'),
    `import * as T from '@seqlab/tensor'; console.log(T.setThreads(2)); T.setThreads(1);`,
  );
  expect(run(process.execPath, ['threads.mjs'], path.join(dir, 'app')).trim()).toBe('2');
});

function typecheck(name: string, files: Record<string, string>, compilerOptions: Record<string, unknown>): void {
  const proj = path.join(dir, 'app', name);
  fs.mkdirSync(proj, { recursive: true });
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(proj, f), text);
  const config = { compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, target: 'es2022', ...compilerOptions }, include: Object.keys(files) };
  fs.writeFileSync(path.join(proj, 'tsconfig.json'), JSON.stringify(config));
  let out = '';
  try {
    run(process.execPath, [tsc, '-p', proj], proj);
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? e);
  }
  expect(out).toBe('');
}

const tsBody = `
const model: Sequential = new Sequential([new LSTM({ units: 4, inputShape: [5, 1] }), new Dense({ units: 1 })]);
model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
const x: Tensor = tensor([[[1], [2], [3], [4], [5]]]);
const p: Tensor = padSequences([[1, 2]], { maxlen: 3 }).toTensor(); // int32 ids by default, as Keras
const g = grad((v: Tensor) => sum(mul(v, v)));
export const use = async (): Promise<Uint8Array> => { model.predict(x); g(p); return model.saveWeights(); };
`;
const tsImports = `import { Tensor, tensor } from '@seqlab/tensor';
import { grad, mul, sum } from '@seqlab/autograd';
import { Adam, Dense, LSTM, Sequential } from '@seqlab/layers';
import { padSequences } from '@seqlab/datasets';`;

test('strict TypeScript in Node (nodenext, skipLibCheck false): CommonJS and ESM files type-check', () => {
  typecheck(
    'ts-node',
    {
      'a.mts': `${tsImports}\nimport { toNdarray } from '@seqlab/tensor/ndarray';\nimport { imdb } from '@seqlab/datasets';\n${tsBody}\nexport const n = toNdarray(tensor([1])); export const l = imdb.loadData;`,
      'b.cts': `${tsImports}\n${tsBody}`,
    },
    { module: 'nodenext', moduleResolution: 'nodenext', types: ['node'] },
  );
});

test('strict TypeScript for the browser (bundler resolution, DOM, no Node types) sees the neutral entries', () => {
  typecheck(
    'ts-web',
    { 'page.ts': `${tsImports}\nimport { useWebWorkers } from '@seqlab/tensor';\n${tsBody}\nexport const w = useWebWorkers(new URL('./w.js', location.href));` },
    { module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'], types: [] },
  );
});
