/**
 * Resident memory of training at one and at two threads.
 *
 *   node bench/dist/thread_memory.js [--steps 60] [--case lstm|stacked|onehot]   # after a build
 *
 * Each case and thread count runs in a fresh child process (SEQLAB_THREADS), which trains a model
 * for `steps` steps on one batch of 64 sequences of 50 steps (trainOnBatch, Adam, MSE) and prints
 * its resident memory every 10 steps and its peak (the kernel's maxRSS). The cases (all three by
 * default; 5 to 30 s each per thread count on 2 busy cores):
 *
 *   lstm     LSTM(128) on [64, 50, 32] floats, Dense(1)
 *   stacked  Embedding(1000, 32, maskZero) on padded ids, LSTM(128, returnSequences,
 *            recurrentDropout 0.2), GRU(128), Dense(1): step masks, a recurrent dropout mask, and
 *            input gradients passed down from one recurrent layer to the next
 *   onehot   Bidirectional(SimpleRNN(128)) on one-hot [64, 50, 48], Dense(1): the one-hot path,
 *            both directions
 *
 * With two threads the fused time loops run on SharedArrayBuffers, whose memory lies outside the
 * JavaScript heap and which a pool worker keeps alive, once handed one, until its own collector
 * runs (seldom: it waits in Atomics.wait). Before the kernels took their shared buffers from
 * tensor's buffer pool, resident memory grew by about 15 MB a step there (bench/README.md). Now a
 * worker keeps the buffers it was handed by id, as many as the caller allows (tensor's
 * pool_wire.ts); each child also prints what its workers hold at the end, and how many of its pool
 * jobs went by message (handing over buffers) rather than through shared memory alone.
 */
import { spawnSync } from 'child_process';
import * as os from 'os';
import * as T from '@seqlab/tensor';
import { Bidirectional, Dense, Embedding, GRU, LSTM, Layer, SimpleRNN, Sequential, setSeed } from '@seqlab/layers';

const MB = 2 ** 20;
const [B, STEPS] = [64, 50];

/** The case's model and its one batch. */
function build(name: string): { layers: Layer[]; x: T.Tensor } {
  const rng = new T.Rng(1);
  if (name === 'lstm') {
    return { layers: [new LSTM({ units: 128, inputShape: [STEPS, 32] }), new Dense({ units: 1 })], x: T.randomNormal([B, STEPS, 32], 0, 1, { seed: 1 }) };
  }
  if (name === 'stacked') {
    // ids 1..999, each row padded with zeros after 25 to 50 steps
    const ids = new Float32Array(B * STEPS);
    for (let b = 0; b < B; b++) {
      const len = 25 + Math.floor(rng.next() * 26);
      for (let t = 0; t < len; t++) ids[b * STEPS + t] = 1 + Math.floor(rng.next() * 999);
    }
    const layers = [
      new Embedding({ inputDim: 1000, outputDim: 32, maskZero: true, inputLength: STEPS }),
      new LSTM({ units: 128, returnSequences: true, recurrentDropout: 0.2 }),
      new GRU({ units: 128 }),
      new Dense({ units: 1 }),
    ];
    return { layers, x: new T.Tensor(ids, [B, STEPS]) };
  }
  if (name === 'onehot') {
    const I = 48;
    const x = new Float32Array(B * STEPS * I);
    for (let r = 0; r < B * STEPS; r++) x[r * I + Math.floor(rng.next() * I)] = 1;
    return { layers: [new Bidirectional({ layer: new SimpleRNN({ units: 128 }), inputShape: [STEPS, I] }), new Dense({ units: 1 })], x: new T.Tensor(x, [B, STEPS, I]) };
  }
  throw new Error(`thread_memory: --case: expected lstm, stacked or onehot, received '${name}'`);
}

function child(name: string, steps: number): void {
  setSeed(1);
  const { layers, x } = build(name);
  const m = new Sequential(layers);
  m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  const y = T.randomNormal([B, 1], 0, 1, { seed: 2 });
  const every10: number[] = [];
  const t0 = Date.now();
  for (let s = 0; s < steps; s++) {
    m.trainOnBatch(x, y);
    if (s % 10 === 9) every10.push(Math.round(process.memoryUsage().rss / MB));
  }
  const peak = Math.round((process.resourceUsage().maxRSS * 1024) / MB);
  // what the workers hold (pool_wire.ts) and how many jobs had to go by message
  const held = T.poolHeldBuffers().map((h) => ({ buffers: h.buffers, MB: +(h.bytes / MB).toFixed(1) }));
  const jobs = { posted: T.poolJobsPosted(), byMessage: T.poolJobMessages() };
  console.log(JSON.stringify({ case: name, threads: T.getThreads(), steps, rssEvery10MB: every10, peakMB: peak, seconds: (Date.now() - t0) / 1000, held, jobs }));
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

function main(): void {
  const steps = Number(option('--steps') ?? 60);
  const only = option('--case');
  if (process.argv.includes('--child')) return child(only ?? 'lstm', steps);
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (const name of only !== undefined ? [only] : ['lstm', 'stacked', 'onehot']) {
    for (const threads of ['1', '2']) {
      const r = spawnSync(process.execPath, [__filename, '--child', '--case', name, '--steps', String(steps)], { env: { ...process.env, SEQLAB_THREADS: threads }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`thread_memory: the ${name} case on ${threads} thread(s) failed: ${r.stderr}`);
      process.stdout.write(r.stdout);
    }
  }
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main();
