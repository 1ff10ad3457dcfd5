/**
 * Two threads against one, measured in pairs: for each training case, a one-thread process and a
 * two-thread process run alternately, `--pairs` times, and each pair gives a ratio (one-thread
 * median / two-thread median of that pair's repetitions). We report the median of those ratios
 * with its range, beside the medians of every repetition of each.
 *
 *   npm run bench:threads                                  the cases of the two-thread target, 5 pairs
 *   node bench/dist/threads.js --pairs 7 --only charlm     more pairs, fewer cases
 *   node bench/dist/threads.js --smoke                     tiny shapes, the char and IMDb cases (the test)
 *
 * Why pairs: on a shared virtual machine the same process, run twice a few seconds apart, can
 * differ by a third (other tenants take the host's cores and memory bandwidth). The suite
 * (run.ts) runs the one-thread and two-thread processes once each, back to back; one slow spell
 * in either moves that ratio by as much. Alternating them and taking the median of the pairs
 * leaves out most such spells. Each process warms up first (as the suite's), then times `--reps`
 * repetitions by wall time.
 */
import * as os from 'os';
import { Case, allCases } from './suite/cases';
import { median, runChild } from './suite/child_run';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/** The repetitions' wall times (ms) of one process of `c` on `threads` threads. */
async function reps(c: Case, threads: 1 | 2, count: number, warmup: number, smoke: boolean): Promise<number[]> {
  const options = { mode: smoke ? 'smoke' : 'full', reps: count, warmup, budgetMs: 60000, minWarmMs: smoke ? 0 : 1000, minTimeMs: 0, clock: 'wall', afterCheck: false } as const;
  const r = await runChild(c, threads === 2 ? 'seqlab-2t' : 'seqlab', options);
  if (r.status !== 'ok') throw new Error(`threads: ${c.id} on ${threads} thread(s) gave no repetitions: ${r.reason ?? r.status}`);
  return r.samplesMs;
}

async function main(): Promise<void> {
  const pairs = Number(arg('--pairs', '5'));
  const count = Number(arg('--reps', '5'));
  const warmup = Number(arg('--warmup', '1'));
  const smoke = process.argv.includes('--smoke');
  const only = arg('--only', smoke ? 'charlm,imdb' : '64x64x128x,charlm,imdb').split(',');
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`threads: --pairs must be a positive integer, received ${arg('--pairs', '')}`);
  const cases = allCases(smoke ? 'smoke' : 'full').filter((c) => c.kind !== 'gemm' && c.mode === 'train' && only.some((o) => c.id.includes(o)));
  const load = () => os.loadavg().map((x) => x.toFixed(2)).join(', ');
  console.log(`two threads against one, ${pairs} alternating pairs of processes a case, ${count} timed reps each (wall time); ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} CPUs, Node.js ${process.version}`);
  console.log(`load average at the start: ${load()}`);
  console.log('');
  console.log('| case | one thread, ms | two threads, ms | ratio of the medians | median of the pair ratios (min-max) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const c of cases) {
    const one: number[] = [];
    const two: number[] = [];
    const ratios: number[] = [];
    for (let p = 0; p < pairs; p++) {
      const a = await reps(c, 1, count, warmup, smoke);
      const b = await reps(c, 2, count, warmup, smoke);
      one.push(...a);
      two.push(...b);
      ratios.push(median(a) / median(b));
    }
    const [m1, m2] = [median(one), median(two)];
    console.log(`| ${c.id} | ${m1.toFixed(1)} | ${m2.toFixed(1)} | ${(m1 / m2).toFixed(2)}x | ${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}) |`);
  }
  console.log('');
  console.log(`load average at the end: ${load()}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
