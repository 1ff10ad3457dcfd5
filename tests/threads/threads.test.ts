/**
 * One training step of an LSTM model at a size where the pool engages (input projection
 * [12800, 64]·[64, 128] split by rows of C, the time loops split by bands of batch rows, the
 * weight-gradient GEMMs split by rows of C) gives the same loss and the same weights with one and
 * two threads.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Rng, Tensor, setThreads } from '@seqlab/tensor';
import { Adam, LSTM, Sequential, setSeed } from '@seqlab/layers';

jest.setTimeout(60_000);
// workers run the compiled dist/ (the pool's worker, the fused kernels' rows.js): build it
// (incremental, quick when up to date) so that they run the same code as these sources
beforeAll(() => {
  const layers = path.join(__dirname, '..', '..', 'packages', 'layers');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', layers], { stdio: 'pipe' });
});
afterAll(() => setThreads(1));

function step(threads: number): { loss: number; weights: Float32Array[] } {
  setThreads(threads);
  setSeed(3);
  const [B, T, I, H] = [100, 128, 64, 32];
  const model = new Sequential([new LSTM({ units: H, inputShape: [T, I] })]);
  model.compile({ optimizer: new Adam({ learningRate: 1e-3 }), loss: 'meanSquaredError' });
  const rng = new Rng(11);
  const x = new Float32Array(B * T * I).map(() => rng.uniform(-1, 1));
  const y = new Float32Array(B * H).map(() => rng.uniform(-0.5, 0.5));
  const loss = model.trainOnBatch(new Tensor(x, [B, T, I]), new Tensor(y, [B, H])) as number;
  return { loss, weights: model.getWeights().map((w) => w.data as Float32Array) };
}

test('an LSTM training step is identical with one and two threads', () => {
  const dist = path.join(__dirname, '..', '..', 'packages', 'tensor', 'dist', 'parallel_worker.js');
  if (!fs.existsSync(dist)) throw new Error(`build @seqlab/tensor first (npm run build): ${dist} is missing`);
  const one = step(1);
  const two = step(2);
  expect(two.loss).toBe(one.loss);
  one.weights.forEach((w, i) => {
    let maxDiff = 0;
    for (let j = 0; j < w.length; j++) maxDiff = Math.max(maxDiff, Math.abs(w[j] - two.weights[i][j]));
    expect({ weight: i, maxDiff }).toEqual({ weight: i, maxDiff: 0 });
  });
});
