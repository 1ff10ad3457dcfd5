/**
 * One benchmark process: the suite (run.ts) and the two-thread pairs (threads.ts) both run each
 * implementation of a case in a Node.js process of its own (child.ts) and read the events it
 * prints, one `@@ {json}` line each (setup, warmup, rep, over, unsupported, done).
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { Case, Impl } from './cases';

/** How a child process runs its case. */
export interface ChildOptions {
  /** 'smoke': the tiny shapes. */
  mode: 'full' | 'quick' | 'smoke';
  reps: number;
  warmup: number;
  /** Budget of one repetition. */
  budgetMs: number;
  /** Least time of warm-up, and of timed repetitions. */
  minWarmMs: number;
  minTimeMs: number;
  clock: 'wall' | 'cpu';
  /** Whether the child checks its predictions after the timed repetitions. */
  afterCheck: boolean;
}

/** What one process of a case reported. */
export interface Result {
  case: string;
  impl: Impl;
  status: 'ok' | 'unsupported' | 'over budget';
  reason?: string;
  warmupMs: number[];
  samplesMs: number[];
  medianMs?: number;
  minMs?: number;
  maxMs?: number;
  peakRssMB?: number;
  rssBeforeMB?: number;
  notes: string[];
  checks: Record<string, number>;
  /** Wall time of the whole process (setup, checks, warm-up, reps). */
  wallSeconds: number;
}

/** The median (the mean of the two middle values for an even count). */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

/**
 * Runs one implementation of one case in a process of its own (child.ts) and gathers what it
 * reports (its `@@ {json}` lines): the warm-up and timed repetitions, the notes and checks of its
 * setup, its peak RSS. A process that overruns its budget is killed and reported "over budget";
 * one that cannot run the case, "unsupported" with the reason.
 */
export function runChild(c: Case, impl: Impl, a: ChildOptions): Promise<Result> {
  const r: Result = { case: c.id, impl, status: 'ok', warmupMs: [], samplesMs: [], notes: [], checks: {}, wallSeconds: 0 };
  const t0 = Date.now();
  const script = path.join(__dirname, '..', 'child.js');
  const argv = [script, '--case', c.id, '--impl', impl, '--warmup', String(a.warmup), '--reps', String(a.reps), '--budget', String(a.budgetMs), '--min-warm-ms', String(a.minWarmMs), '--min-time-ms', String(a.minTimeMs)];
  if (a.mode === 'smoke') argv.push('--smoke');
  if (!a.afterCheck) argv.push('--no-after-check');
  argv.push('--clock', a.clock);
  const env = { ...process.env, SEQLAB_THREADS: impl === 'seqlab-2t' ? '2' : '1' };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let stderr = '';
    let timer: NodeJS.Timeout;
    let killed = false;
    // setup may take a while (tfjs loads, the agreement checks run a forward pass): budget + 60 s for the first event
    const arm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, ms);
    };
    arm(a.budgetMs + 60000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.startsWith('@@ ')) continue;
        const ev = JSON.parse(line.slice(3));
        if (ev.type === 'setup') {
          r.notes = ev.notes;
          r.checks = ev.checks;
          r.rssBeforeMB = ev.rssBeforeMB;
          arm(a.budgetMs * 1.5 + 5000);
        } else if (ev.type === 'checks') {
          r.checks = ev.checks;
        } else if (ev.type === 'warmup' || ev.type === 'rep') {
          (ev.type === 'rep' ? r.samplesMs : r.warmupMs).push(ev.ms);
          arm(a.budgetMs * 1.5 + 5000);
        } else if (ev.type === 'over') {
          r.status = 'over budget';
          r.reason = `over budget: one rep took ${(ev.ms / 1000).toFixed(1)} s (budget ${a.budgetMs / 1000} s per rep)`;
        } else if (ev.type === 'unsupported') {
          r.status = 'unsupported';
          r.reason = ev.reason;
        } else if (ev.type === 'done') {
          r.peakRssMB = ev.peakRssMB;
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      r.wallSeconds = (Date.now() - t0) / 1000;
      if (killed && r.status === 'ok') {
        r.status = 'over budget';
        r.reason = `over budget: no rep finished within ${((a.budgetMs * 1.5 + 5000) / 1000).toFixed(0)} s (killed)`;
      } else if (code !== 0 && r.status === 'ok') {
        r.status = 'unsupported';
        r.reason = `cannot run: process exited with code ${code}: ${stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
      }
      if (r.status === 'ok' && r.samplesMs.length === 0) {
        r.status = 'unsupported';
        r.reason = `cannot run: no repetition reported ${stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
      }
      const all = r.samplesMs.length ? r.samplesMs : r.warmupMs;
      if (all.length) {
        r.medianMs = median(all);
        r.minMs = Math.min(...all);
        r.maxMs = Math.max(...all);
      }
      resolve(r);
    });
  });
}
