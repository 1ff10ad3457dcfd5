/**
 * Keras-style progress output for `fit`:
 *   verbose 1 on a terminal: a bar redrawn per batch,
 *     12/250 [=>............................] - ETA: 41s - loss: 0.6931 - accuracy: 0.5100
 *   verbose 2, or output that is not a terminal: one line per epoch.
 * When the number of batches is not known (a dataset of unknown length), the bar shows the count
 * as Keras does, `12/Unknown - 5s 41ms/step - loss: 0.6931`, until the first epoch has told it.
 */
import type { Logs } from './callbacks';

/** Where progress text goes: a terminal (redrawn in place when `isTTY`) or a line consumer. */
export interface ProgressSink {
  isTTY: boolean;
  /** Writes text as is (lines end with '\n'). */
  write(s: string): void;
}

const hasStdout = (): boolean => typeof process !== 'undefined' && !!process.stdout;

/** Lines written so far without their end (the console sink prints whole lines). */
let pendingLine = '';

/** Node's stdout; where there is none (a page), whole lines to the console. */
const stdoutSink: ProgressSink = {
  get isTTY() {
    return hasStdout() && !!process.stdout.isTTY;
  },
  write: (s) => {
    if (hasStdout()) {
      process.stdout.write(s);
      return;
    }
    const lines = (pendingLine + s).split('\n');
    pendingLine = lines.pop() as string;
    for (const line of lines) console.log(line);
  },
};

function fmtValue(v: number): string {
  return Math.abs(v) !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4) ? v.toExponential(4) : v.toFixed(4);
}

function fmtLogs(logs: Logs): string {
  return Object.entries(logs)
    .filter(([k, v]) => typeof v === 'number' && k !== 'batch' && k !== 'size')
    .map(([k, v]) => ` - ${k}: ${fmtValue(v as number)}`)
    .join('');
}

function fmtTime(seconds: number): string {
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}:${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
  return `${Math.round(seconds)}s`;
}

/** Keras's progress line for `fit` and `evaluate` ('Epoch 1/10', a bar or one line per epoch, loss and metrics). */
export class ProgressBar {
  private start = 0;
  private readonly bar: boolean;

  constructor(
    private readonly verbose: number,
    /** Batches per epoch, null while not known (fit sets it after the first epoch). */
    public steps: number | null,
    private readonly sink: ProgressSink = stdoutSink,
    private readonly width = 30,
  ) {
    this.bar = verbose === 1 && sink.isTTY;
  }

  /** Starts an epoch (prints 'Epoch 3/10' when verbose). */
  epochBegin(epoch: number, epochs: number): void {
    this.start = Date.now();
    if (this.verbose > 0) this.sink.write(`Epoch ${epoch + 1}/${epochs}\n`);
  }

  /** After batch `done` (1-based) of `steps`, with the running logs. */
  batchEnd(done: number, logs: Logs): void {
    if (!this.bar) return;
    const elapsed = (Date.now() - this.start) / 1000;
    if (this.steps === null) {
      this.sink.write(`\r${done}/Unknown - ${fmtTime(elapsed)} ${Math.round((elapsed * 1000) / done)}ms/step${fmtLogs(logs)}\x1b[K`);
      return;
    }
    const eta = done > 0 ? (elapsed / done) * (this.steps - done) : 0;
    // Keras: (filled - 1) '=' then '>' (or '=' when done), then '.' to the width
    const filled = Math.floor((this.width * done) / this.steps);
    const head = filled > 0 ? '='.repeat(filled - 1) + (done < this.steps ? '>' : '=') : '';
    const padded = head.padEnd(this.width, '.');
    const n = String(this.steps).length;
    this.sink.write(`\r${String(done).padStart(n)}/${this.steps} [${padded}] - ETA: ${fmtTime(eta)}${fmtLogs(logs)}\x1b[K`);
  }

  /** At the end of an epoch of `done` batches (default: the known length). */
  epochEnd(logs: Logs, done = this.steps ?? 0): void {
    if (this.verbose === 0) return;
    const elapsed = (Date.now() - this.start) / 1000;
    const perStep = done > 0 ? Math.round((elapsed * 1000) / done) : 0;
    if (this.bar) {
      const n = String(done).length;
      this.sink.write(`\r${String(done).padStart(n)}/${done} [${'='.repeat(this.width)}] - ${fmtTime(elapsed)} ${perStep}ms/step${fmtLogs(logs)}\x1b[K\n`);
    } else {
      this.sink.write(`${done}/${done} - ${fmtTime(elapsed)} - ${perStep}ms/step${fmtLogs(logs)}\n`);
    }
  }
}
