/**
 * Recurrent layers: milliseconds per batch of the fused sequence kernels (one tape node, hand-written
 * BPTT) beside the reference scan (the cell's step equations with autograd ops, one step at a time),
 * for SimpleRNN, LSTM and GRU (resetAfter, the Keras default), tanh / sigmoid, float32.
 *
 *   forward            the sequence outside any gradient computation (inference)
 *   forward+backward   gradients of Σ output with respect to x, kernel, recurrentKernel and bias
 *
 * Method: each case is warmed up (JIT), then timed call by call until the time budget is spent and
 * at least 5 repetitions are done; the figure is the median repetition. Ratio = reference / fused.
 *
 *   npm run bench:layers                    (builds, then runs)
 *   node bench/dist/layers.js --budget 2000  (ms per case and implementation; default 1000)
 */
import * as os from 'os';
import * as A from '@seqlab/autograd';
import { Rng, Tensor } from '@seqlab/tensor';
import { GRUCell, LSTMCell, RecurrentCell, SequenceArgs, SequenceRunner, SimpleRNNCell, fusedSequence, referenceSequence } from '@seqlab/layers';

/** (batch, time, features, units) */
const SHAPES: [number, number, number, number][] = [
  [32, 32, 64, 32],
  [100, 128, 64, 32],
];
/** The cell of each layer (tanh / sigmoid, GRU with resetAfter) and its gate blocks G. */
const KINDS: [string, (units: number) => RecurrentCell, number][] = [
  ['SimpleRNN', (units) => new SimpleRNNCell({ units }), 1],
  ['LSTM', (units) => new LSTMCell({ units }), 4],
  ['GRU', (units) => new GRUCell({ units }), 3],
];

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const BUDGET_MS = argValue('--budget', 1000);
const MIN_REPS = 5;
const WARMUP = 2;

function randomTensor(shape: number[], scale: number, rng: Rng): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.uniform(-scale, scale);
  return new Tensor(d, shape);
}

function makeArgs(cell: RecurrentCell, G: number, [B, T, I, H]: [number, number, number, number], rng: Rng): SequenceArgs {
  return {
    cell,
    x: randomTensor([B, T, I], 1, rng),
    weights: [
      randomTensor([I, G * H], Math.sqrt(6 / (I + G * H)), rng), //                           kernel
      randomTensor([H, G * H], Math.sqrt(6 / (H + G * H)), rng), //                           recurrentKernel
      cell instanceof GRUCell ? randomTensor([2, G * H], 0.1, rng) : randomTensor([G * H], 0.1, rng), // bias
    ],
    initialStates: cell.stateSize.map(() => new Tensor(new Float32Array(B * H), [B, H])),
    mask: null,
    goBackwards: false,
    returnSequences: false,
  };
}

/** Median milliseconds of `f` over at least MIN_REPS timed calls after WARMUP untimed ones. */
function timeMs(f: () => void): number {
  for (let i = 0; i < WARMUP; i++) f();
  const samples: number[] = [];
  const end = performance.now() + BUDGET_MS;
  while (performance.now() < end || samples.length < MIN_REPS) {
    const t0 = performance.now();
    f();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

function forward(run: SequenceRunner, args: SequenceArgs): () => void {
  return () => {
    A.noGrad(() => run(args));
  };
}

function forwardBackward(run: SequenceRunner, args: SequenceArgs): () => void {
  const wrt = [args.x, ...args.weights];
  return () => {
    A.gradients(() => A.sum(run(args).output), wrt);
  };
}

const fmt = (ms: number): string => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));

function main(): void {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`seqlab recurrent layers, ms per batch (median of >= ${MIN_REPS} reps after warm-up), float32`);
  console.log(`${cpu}, ${os.cpus().length} CPUs, Node.js ${process.version}, budget ${BUDGET_MS} ms per case\n`);
  console.log('| layer | (batch, time, features, units) | fused fwd | reference fwd | ratio | fused fwd+bwd | reference fwd+bwd | ratio |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  const rng = new Rng(2024);
  for (const shape of SHAPES) {
    for (const [label, cellOf, G] of KINDS) {
      const args = makeArgs(cellOf(shape[3]), G, shape, rng);
      const ff = timeMs(forward(fusedSequence, args));
      const rf = timeMs(forward(referenceSequence, args));
      const fb = timeMs(forwardBackward(fusedSequence, args));
      const rb = timeMs(forwardBackward(referenceSequence, args));
      console.log(
        `| ${label} | (${shape.join(', ')}) | ${fmt(ff)} | ${fmt(rf)} | ${(rf / ff).toFixed(1)}x | ${fmt(fb)} | ${fmt(rb)} | ${(rb / fb).toFixed(1)}x |`,
      );
    }
  }
}

main();
