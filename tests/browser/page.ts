/**
 * The test page: the training case (training_case.ts) bundled for the browser from the packages'
 * platform-neutral entries, with a timer that counts its ticks (the page must stay responsive
 * while `fit` runs) and a progress line.
 */
import { getThreads, poolJobsPosted, setThreads, sharedMemoryAvailable, useWebWorkers } from '@seqlab/tensor';
import { CaseOptions, trainCase } from './training_case';

const w = window as unknown as Record<string, unknown>;
let ticks = 0;
setInterval(() => ticks++, 10);

w.seqlab = {
  ticks: () => ticks,
  isolated: () => sharedMemoryAvailable(),
  useWorkers: (threads: number) => useWebWorkers('worker.js', { threads }),
  setThreads: (n: number) => setThreads(n),
  getThreads: () => getThreads(),
  jobs: () => poolJobsPosted(),
  train: async (o: CaseOptions) => {
    const progress = document.getElementById('progress') as HTMLElement;
    const r = await trainCase({ ...o, onEpoch: (epoch, loss) => (progress.textContent = `epoch ${epoch + 1}: loss ${loss}`) });
    return { ...r, weights: Array.from(r.weights) };
  },
};
