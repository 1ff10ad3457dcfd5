/**
 * Resident memory of training at one and at two threads.
 *
 *   node bench/dist/thread_memory.js [--steps 60]       # after a build; about 30 s on 2 cores
 *
 * Each thread count runs in a fresh child process (SEQLAB_THREADS), which trains an LSTM(128) on a
 * [64, 50, 32] batch for `steps` steps (trainOnBatch, Adam, MSE) and prints its resident memory
 * every 10 steps and its peak (the kernel's maxRSS). With two threads the fused time loops run on
 * SharedArrayBuffers, whose memory lies outside the JavaScript heap: before shared buffers were
 * collected promptly (tensor's `sharedBuffer` and the pool worker), resident memory grew by about
 * 15 MB a step there.
 */
import { spawnSync } from 'child_process';
import * as os from 'os';
import * as T from '@seqlab/tensor';
import { Dense, LSTM, Sequential, setSeed } from '@seqlab/layers';

const MB = 2 ** 20;

function child(steps: number): void {
  setSeed(1);
  const m = new Sequential([new LSTM({ units: 128, inputShape: [50, 32] }), new Dense({ units: 1 })]);
  m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  const x = T.randomNormal([64, 50, 32], 0, 1, { seed: 1 });
  const y = T.randomNormal([64, 1], 0, 1, { seed: 2 });
  const every10: number[] = [];
  const t0 = Date.now();
  for (let s = 0; s < steps; s++) {
    m.trainOnBatch(x, y);
    if (s % 10 === 9) every10.push(Math.round(process.memoryUsage().rss / MB));
  }
  const peak = Math.round((process.resourceUsage().maxRSS * 1024) / MB);
  console.log(JSON.stringify({ threads: T.getThreads(), steps, rssEvery10MB: every10, peakMB: peak, seconds: (Date.now() - t0) / 1000 }));
}

function main(): void {
  const at = process.argv.indexOf('--steps');
  const steps = at > 0 ? Number(process.argv[at + 1]) : 60;
  if (process.argv.includes('--child')) return child(steps);
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (const threads of ['1', '2']) {
    const r = spawnSync(process.execPath, [__filename, '--child', '--steps', String(steps)], { env: { ...process.env, SEQLAB_THREADS: threads }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`thread_memory: the ${threads}-thread run failed: ${r.stderr}`);
    process.stdout.write(r.stdout);
  }
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main();
