/**
 * Adam's update on the IMDb model's variables (Embedding(10000, 64) -> LSTM(32) -> Dense(1):
 * 652,449 trainable values), on the scalar loop ('js') and on the wasm kernel ('wasm'), both
 * bit-identical. Each round times `reps` steps of a fresh optimizer per kernels and keeps the
 * median; rounds alternate the kernels, so a busy machine slows both alike.
 *
 *   node bench/dist/adam.js                       # after a build: 3 rounds of 15 steps, a few seconds
 *   node bench/dist/adam.js --rounds 5 --amsgrad
 */
import { Adam, Dense, Embedding, LSTM, Sequential, setSeed } from '@seqlab/layers';
import { KernelsName, Rng, randomNormal, setKernels, zeros } from '@seqlab/tensor';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const rounds = arg('rounds', 3);
const reps = arg('reps', 15);
const amsgrad = process.argv.includes('--amsgrad');

setSeed(1);
const model = new Sequential([new Embedding({ inputDim: 10000, outputDim: 64 }), new LSTM({ units: 32 }), new Dense({ units: 1, activation: 'sigmoid' })]);
model.predict(zeros([1, 4]));
const vars = model.trainableWeights;
const values = vars.reduce((s, v) => s + v.value.size, 0);
const rng = new Rng(2);
const grads = vars.map((v) => randomNormal(v.shape, 0, 0.01, { rng }));
const median = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1];

const results: Record<KernelsName, number[]> = { js: [], wasm: [] };
for (let r = 0; r < rounds; r++) {
  for (const kernels of ['js', 'wasm'] as const) {
    setKernels(kernels);
    const opt = new Adam({ learningRate: 1e-3, amsgrad });
    const ms: number[] = [];
    for (let s = 0; s < reps + 2; s++) {
      const t0 = performance.now();
      opt.applyGradients(vars, grads);
      if (s >= 2) ms.push(performance.now() - t0); // the first steps create the slots
    }
    results[kernels].push(median(ms));
  }
}
console.log(`Adam${amsgrad ? ' (amsgrad)' : ''}.applyGradients on ${values} values, median of ${reps} steps per round:`);
for (const k of ['js', 'wasm'] as const) {
  console.log(`  ${k.padEnd(4)} ${results[k].map((ms) => `${ms.toFixed(2)} ms (${((ms * 1e6) / values).toFixed(1)} ns a value)`).join(', ')}`);
}
