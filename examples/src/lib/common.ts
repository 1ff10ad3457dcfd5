/**
 * What every example shares: its options, the figures it returns, where its output goes, how it
 * logs, and the one error class the runner prints without a stack trace (missing or bad data).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ProgressSink } from '@seqlab/layers';

export interface RunOptions {
  /** A few batches on a small slice of the data, full-size models (CI). */
  smoke?: boolean;
  /** Where plots and logs go (default examples/output/<name>/). */
  outDir?: string;
  /** Where printed lines go (default console.log). */
  log?: (s: string) => void;
  /** Look for data files in this folder instead of the datasets lookup (../shared/data, cache). */
  dataDir?: string;
  /** Adam's learning rate instead of the example's default (the seeds use Keras's 0.001). */
  learningRate?: number;
  /**
   * IMDb examples: the seed's protocol, validating (early stopping, learning-rate schedule) on the
   * test set and training on all 25,000 training reviews, instead of holding 10% of them out.
   */
  validateOnTest?: boolean;
  /** imdb-textvectorization: epochs per model instead of the seed's 10 (the time budget still applies). */
  epochs?: number;
  /** imdb-textvectorization: the training time budget per model in minutes (default 7.5; 0: none, the seed's full run). */
  budgetMinutes?: number;
}

/** The figures an example printed (parameter counts, shapes, metrics), for tests and RESULTS.md. */
export type Figures = Record<string, unknown>;

export interface Example {
  name: string;
  /** The seed chapter it mirrors, and what it does, in one line. */
  description: string;
  run(options?: RunOptions): Promise<Figures>;
}

/** A data file is missing or unreadable: the runner prints the message, no stack trace. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** Runs a data loader; any error it throws becomes a DataError with the datasets package's message. */
export async function loadOrFail<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    throw new DataError((e as Error).message);
  }
}

/** The repository root (the folder holding examples/). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** examples/output/<name>, created if needed. */
export function outputDir(name: string, options: RunOptions): string {
  const dir = options.outDir ?? path.join(repoRoot, 'examples', 'output', name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function logger(options: RunOptions): (s: string) => void {
  return options.log ?? ((s: string) => console.log(s));
}

/** A `fit` progress sink that hands whole lines to `log` (one line per epoch). */
export function progressTo(log: (s: string) => void): ProgressSink {
  let pending = '';
  return {
    isTTY: false,
    write(s: string) {
      pending += s;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        log(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    },
  };
}

/** The machine a run happened on, for RESULTS.md. */
export function machine(): { cpus: number; cpu: string; node: string; loadAverage: number[]; platform: string } {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
    platform: `${os.platform()} ${os.arch()}`,
  };
}

/** Seconds since `start` (a Date.now() value), one decimal. */
export function seconds(start: number): number {
  return Math.round((Date.now() - start) / 100) / 10;
}

/** Writes `data` to `file` through a temporary file and a rename, so a reader never sees half. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** Writes the figures as JSON beside the plots (results.json). */
export function saveFigures(dir: string, figures: Figures): string {
  const file = path.join(dir, 'results.json');
  writeFileAtomic(file, JSON.stringify(figures, null, 2) + '\n');
  return file;
}

/** A fixed-width text table. */
export function table(header: string[], rows: (string | number)[][]): string[] {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
}

/** Shape as Keras prints it: (None, 128, 64). */
export function kerasShape(shape: readonly (number | null)[]): string {
  const parts = shape.map((d) => (d === null ? 'None' : String(d)));
  return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
}

/** The single output of a symbolic layer application (`apply` may return a list). */
export function one<T>(x: T | T[]): T {
  if (Array.isArray(x)) throw new Error(`expected one output, received ${x.length}`);
  return x;
}
