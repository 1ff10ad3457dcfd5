/**
 * Runs ONE implementation of ONE case in this process and reports on stdout, one JSON event per
 * line prefixed with "@@ ": setup (with the agreement checks), each warm-up and timed repetition,
 * then done (with the peak RSS of this process). run.ts starts one of these per case and
 * implementation, back to back, and kills it if a repetition overruns the time budget.
 *
 *   node bench/dist/child.js --case lstm-train-32x32x64x32 --impl tfjs-wasm --warmup 2 --reps 7 --budget 60000 [--smoke]
 */
import { findCase, IMPLS, Impl } from './suite/cases';
import { setup } from './suite/impls';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(name);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback === undefined) throw new Error(`child: missing ${name}`);
  return fallback;
}

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`@@ ${JSON.stringify(event)}\n`);
}

const rssMB = (): number => process.memoryUsage().rss / 2 ** 20;
const peakRssMB = (): number => process.resourceUsage().maxRSS / 1024;

async function main(): Promise<void> {
  const c = findCase(arg('--case'), process.argv.includes('--smoke') ? 'smoke' : 'full');
  const impl = arg('--impl') as Impl;
  if (!IMPLS.includes(impl)) throw new Error(`child: unknown implementation ${impl}`);
  const warmup = Number(arg('--warmup', '2'));
  const reps = Number(arg('--reps', '5'));
  const budget = Number(arg('--budget', '60000'));
  const rssBefore = rssMB();
  let ready;
  try {
    ready = await setup(c, impl);
  } catch (e) {
    emit({ type: 'unsupported', reason: `cannot run: setup failed: ${(e as Error).message.split('\n')[0]}` });
    return;
  }
  if ('unsupported' in ready) {
    emit({ type: 'unsupported', reason: ready.unsupported });
    return;
  }
  emit({ type: 'setup', rssBeforeMB: rssBefore, rssAfterSetupMB: rssMB(), notes: ready.notes, checks: ready.checks });
  // wall time, or (--clock cpu) the CPU time this process got
  const cpuClock = arg('--clock', 'wall') === 'cpu';
  const timeOne = async (): Promise<number> => {
    if (cpuClock) {
      const c0 = process.cpuUsage();
      await ready.step();
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1000 / ready.callsPerStep;
    }
    const t0 = performance.now();
    await ready.step();
    return (performance.now() - t0) / ready.callsPerStep;
  };
  // at least `warmup` warm-up reps and at least minWarm ms of them (the JIT settles), then at least
  // `reps` timed reps and at least minTime ms of them (short cases get more samples), at most 60
  const minWarm = Number(arg('--min-warm-ms', '0'));
  const minTime = Number(arg('--min-time-ms', '0'));
  let warmed = 0;
  let timed = 0;
  let nWarm = 0;
  let nTimed = 0;
  for (let i = 0; ; i++) {
    const isWarm = nWarm < warmup || (warmed < minWarm && nWarm < 60);
    if (!isWarm && nTimed >= reps && (timed >= minTime || nTimed >= 60)) break;
    let ms: number;
    try {
      ms = await timeOne();
    } catch (e) {
      emit({ type: 'unsupported', reason: `cannot run: ${(e as Error).message.split('\n')[0]}` });
      return;
    }
    if (isWarm) {
      nWarm++;
      warmed += ms * ready.callsPerStep;
    } else {
      nTimed++;
      timed += ms * ready.callsPerStep;
    }
    emit({ type: isWarm ? 'warmup' : 'rep', ms });
    if (i === 0 && ready.afterFirstStep && !process.argv.includes('--no-after-check')) {
      await ready.afterFirstStep();
      emit({ type: 'checks', checks: ready.checks });
    }
    if (ms * ready.callsPerStep > budget) {
      emit({ type: 'over', ms });
      break;
    }
  }
  emit({ type: 'done', peakRssMB: peakRssMB() });
}

main().then(
  () => process.exit(0),
  (e) => {
    emit({ type: 'unsupported', reason: `cannot run: ${(e as Error).message.split('\n')[0]}` });
    process.exit(0);
  },
);
