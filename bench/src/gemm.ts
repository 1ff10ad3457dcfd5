/**
 * GEMM throughput: GFLOP/s of gemmNN, gemmTN, gemmNT on both kernels (the scalar TypeScript 'js'
 * kernels and the wasm SIMD ones), the naive i-k-j loop, and TensorFlow.js's wasm backend matMul,
 * on the shapes an RNN runs (the recurrent step [B, H] x [H, 4H], the input projection
 * [B·T, in] x [in, 4H], the weight gradient Xᵀ·dZ, and a square reference). One flop count per
 * product: 2·m·n·k. The first line is the machine's 128-bit peak, measured (peak.ts).
 *
 * Method: each kernel is warmed up (JIT), then timed in repetitions; a repetition runs the kernel
 * enough times to last about 20 ms; repetitions continue until the time budget is spent (at least
 * 5 of them); the median repetition gives the figure. tfjs matMul includes reading the result
 * (dataSync), as seqlab's products include copying operands in and out of wasm memory.
 *
 *   npm run bench:gemm                 (builds, then runs)
 *   node bench/dist/gemm.js --budget 500
 */
import * as os from 'os';
import * as path from 'path';
import { GemmArgs, Rng, gemmNN, gemmNT, gemmNaive, gemmTN, setKernels, setThreads } from '@seqlab/tensor';
import { measurePeak } from './peak';

const SHAPES: [number, number, number][] = [
  // m, k, n for [m, k] x [k, n]
  [32, 96, 128],
  [100, 96, 128],
  [3200, 64, 128],
  [256, 256, 256],
  [64, 128, 512], //  LSTM(128) recurrent step, batch 64
  [64, 256, 1024], // LSTM(256) recurrent step
  [64, 512, 2048], // LSTM(512) recurrent step
  [4096, 128, 1024], // LSTM(256) input projection, (64, 64, 128)
  [128, 4096, 1024], // LSTM(256) weight gradient Xᵀ·dZ (as NN: [128, 4096] x [4096, 1024])
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

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function tfWasm(): Promise<any> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const tf = require('@tensorflow/tfjs');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not initialize');
  return tf;
}

async function main(): Promise<void> {
  const rng = new Rng(1);
  setThreads(1); // one thread, as tfjs-wasm runs in Node.js (large products would otherwise split)
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const tf = await tfWasm();
  console.log(`GEMM GFLOP/s (single thread), ${cpu}, ${os.cpus().length} cores, node ${process.version}, load ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);
  console.log(`128-bit peak, measured (independent f32x4.mul and f32x4.add chains): ${measurePeak().toFixed(1)} GFLOP/s`);
  console.log(`median of repetitions within a ${BUDGET_MS} ms budget per kernel and shape; tfjs: @tensorflow/tfjs-backend-wasm matMul (SIMD, one thread)\n`);
  const header = ['shape [m,k]x[k,n]', 'naive', 'js NN', 'js TN', 'js NT', 'wasm NN', 'wasm TN', 'wasm NT', 'tfjs-wasm', 'wasm/js', 'wasm/tfjs'];
  const widths = [22, 6, 6, 6, 6, 8, 8, 8, 9, 8, 9];
  console.log(header.map((h, i) => (i === 0 ? h.padEnd(widths[0]) : pad(h, widths[i]))).join(' '));
  for (const [m, k, n] of SHAPES) {
    const a = randomArray(m * k, rng); // [m, k], or [k, m] for TN: same length
    const b = randomArray(k * n, rng); // [k, n], or [n, k] for NT
    const c = new Float32Array(m * n);
    const args: GemmArgs = { m, n, k, a, b, c };
    const flops = 2 * m * n * k;
    const gflops = (kernel: (x: GemmArgs) => void): number => flops / timeIt(() => kernel(args)) / 1e9;
    setKernels('js');
    const naive = m * n * k <= 1 << 27 ? gflops(gemmNaive) : NaN;
    const js = [gemmNN, gemmTN, gemmNT].map(gflops);
    setKernels('wasm');
    const wasm = [gemmNN, gemmTN, gemmNT].map(gflops);
    const ta = tf.tensor(a, [m, k]);
    const tb = tf.tensor(b, [k, n]);
    const tfjs = flops / timeIt(() => {
      const p = tf.matMul(ta, tb);
      p.dataSync();
      p.dispose();
    }) / 1e9;
    ta.dispose();
    tb.dispose();
    const row = [
      `[${m},${k}]x[${k},${n}]`.padEnd(widths[0]),
      ...[naive, ...js, ...wasm, tfjs].map((g, i) => pad(Number.isNaN(g) ? '—' : g.toFixed(1), widths[i + 1])),
      pad(`${(wasm[0] / js[0]).toFixed(1)}x`, widths[9]),
      pad(`${(wasm[0] / tfjs).toFixed(2)}x`, widths[10]),
    ];
    console.log(row.join(' '));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
