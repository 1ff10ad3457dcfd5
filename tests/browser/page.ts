/**
 * The test page: the training case (training_case.ts) bundled for the browser from the packages'
 * platform-neutral entries, with a timer that records its ticks (the page must stay responsive
 * while `fit` runs: timeline.ts) and a progress line.
 */
import { getThreads, poolJobsPosted, setThreads, sharedMemoryAvailable, useWebWorkers } from '@seqlab/tensor';
import type { FitTimeline } from './timeline';
import { CaseOptions, trainCase } from './training_case';

const w = window as unknown as Record<string, unknown>;
/** The timer's period (ms). */
const TICK_MS = 10;
/** performance.now() of each tick while a training runs (null: none runs). */
let tickTimes: number[] | null = null;
setInterval(() => tickTimes?.push(performance.now()), TICK_MS);

w.seqlab = {
  isolated: () => sharedMemoryAvailable(),
  useWorkers: (threads: number) => useWebWorkers('worker.js', { threads }),
  setThreads: (n: number) => setThreads(n),
  getThreads: () => getThreads(),
  jobs: () => poolJobsPosted(),
  train: async (o: CaseOptions) => {
    const progress = document.getElementById('progress') as HTMLElement;
    const timeline: FitTimeline = { tickMs: TICK_MS, ticks: [], begins: [], ends: [] };
    tickTimes = timeline.ticks;
    try {
      const r = await trainCase({
        ...o,
        onEpoch: (epoch, loss) => (progress.textContent = `epoch ${epoch + 1}: loss ${loss}`),
        onBatchBegin: () => timeline.begins.push(performance.now()),
        onBatchEnd: () => timeline.ends.push(performance.now()),
      });
      return { ...r, weights: Array.from(r.weights), timeline };
    } finally {
      tickTimes = null;
    }
  },
};
