/**
 * GEMM throughput: GFLOP/s of gemmNN, gemmTN, gemmNT and the naive i-k-j loop on the shapes an RNN
 * runs (the recurrent step [B, H] x [H, 4H], the input projection [B·T, in] x [in, 4H], and a square
 * reference). One flop count per product: 2·m·n·k.
 *
 * Method: each kernel is warmed up (JIT), then timed in repetitions; a repetition runs the kernel
 * enough times to last about 20 ms; repetitions continue until the time budget is spent (at least
 * 5 of them); the median repetition gives the figure.
 *
 *   npm run bench:gemm                 (builds, then runs)
 *   node bench/dist/gemm.js --budget 500
 */
import * as os from 'os';
import { GemmArgs, Rng, gemmNN, gemmNT, gemmNaive, gemmTN } from '@seqlab/tensor';

const SHAPES: [number, number, number][] = [
  // m, k, n for [m, k] x [k, n]
  [32, 96, 128],
  [100, 96, 128],
  [3200, 64, 128],
  [256, 256, 256],
];

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const BUDGET_MS = argValue('--budget', 300);
const REP_MS = 20;
const MIN_REPS = 5;

function randomArray(n: number, rng: Rng): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal();
  return x;
}

/** Median seconds per call of `f`. */
function timeIt(f: () => void): number {
  // warm-up: long enough for the optimizing compiler to kick in
  const warmEnd = performance.now() + Math.min(100, BUDGET_MS / 2);
  let calls = 0;
  while (performance.now() < warmEnd || calls < 3) {
    f();
    calls++;
  }
  // calls per repetition so that a repetition lasts about REP_MS
  let t0 = performance.now();
  f();
  const once = Math.max(performance.now() - t0, 1e-3);
  const perRep = Math.max(1, Math.round(REP_MS / once));
  const samples: number[] = [];
  const end = performance.now() + BUDGET_MS;
  while (performance.now() < end || samples.length < MIN_REPS) {
    t0 = performance.now();
    for (let r = 0; r < perRep; r++) f();
    samples.push((performance.now() - t0) / 1000 / perRep);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

function pad(s: string, w: number): string {
  return s.length >= w ? s : ' '.repeat(w - s.length) + s;
}

function main(): void {
  const rng = new Rng(1);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`GEMM GFLOP/s (single thread), ${cpu}, ${os.cpus().length} cores, node ${process.version}`);
  console.log(`median of repetitions within a ${BUDGET_MS} ms budget per kernel and shape\n`);
  const header = ['shape [m,k]x[k,n]', 'naive', 'NN', 'TN', 'NT', 'NN/naive', 'TN/naive', 'NT/naive'];
  const widths = [22, 7, 7, 7, 7, 9, 9, 9];
  console.log(header.map((h, i) => (i === 0 ? h.padEnd(widths[0]) : pad(h, widths[i]))).join(' '));
  for (const [m, k, n] of SHAPES) {
    const a = randomArray(m * k, rng); // [m, k], or [k, m] for TN: same length
    const b = randomArray(k * n, rng); // [k, n], or [n, k] for NT
    const c = new Float32Array(m * n);
    const args: GemmArgs = { m, n, k, a, b, c };
    const flops = 2 * m * n * k;
    const gflops = (kernel: (x: GemmArgs) => void): number => flops / timeIt(() => kernel(args)) / 1e9;
    const naive = gflops(gemmNaive);
    const nn = gflops(gemmNN);
    const tn = gflops(gemmTN);
    const nt = gflops(gemmNT);
    const row = [
      `[${m},${k}]x[${k},${n}]`.padEnd(widths[0]),
      ...[naive, nn, tn, nt].map((g, i) => pad(g.toFixed(2), widths[i + 1])),
      ...[nn, tn, nt].map((g, i) => pad(`${(g / naive).toFixed(2)}x`, widths[i + 5])),
    ];
    console.log(row.join(' '));
  }
}

main();
