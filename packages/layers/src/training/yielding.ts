/**
 * Training that yields to the event loop and stops on an AbortSignal.
 *
 * `yieldEvery` follows TensorFlow.js: `'auto'` (the default) yields when at least 125 ms have
 * passed since the last yield, checked after every batch; `'batch'` after every batch; `'epoch'`
 * after every epoch; `'never'` not at all; a number yields when that many milliseconds have passed.
 * Yielding lets timers, I/O, a page's repaint and an `AbortController.abort()` run during `fit`.
 *
 * An abort is honoured at the next batch boundary: the batch in flight finishes, so the weights are
 * those after the last completed batch, never half an update. The promise then rejects with an
 * {@link AbortError} (the convention of `fetch`, streams and Node's timers: an awaited operation
 * that was cancelled does not return a result that looks normal). The error carries the History of
 * the completed epochs (`error.history`; also `model.history`), so nothing learned is lost.
 * Callbacks' `onTrainEnd` is not called after an abort (it is not the end of a training run;
 * `EarlyStopping({ restoreBestWeights })` would otherwise overwrite the last batch's weights).
 */

export type YieldEvery = 'auto' | 'batch' | 'epoch' | 'never' | number;

/** The frame interval TensorFlow.js uses for `yieldEvery: 'auto'`. */
export const AUTO_YIELD_MS = 125;

/** Rejection of a `fit`, `evaluateAsync` or `predictAsync` stopped by its AbortSignal (`name` is 'AbortError'). */
export class AbortError extends Error {
  override readonly name = 'AbortError';
  /** For fit: the History of the epochs completed before the abort. */
  history?: unknown;
  constructor(
    message: string,
    /** `signal.reason`, as given to `controller.abort(reason)`. */
    readonly reason?: unknown,
  ) {
    super(message);
  }
}

/** Refuses a `yieldEvery` or `signal` option that is not one of the accepted forms. */
export function checkYieldOptions(who: string, yieldEvery: unknown, signal: unknown): void {
  const named = ['auto', 'batch', 'epoch', 'never'];
  const ok = yieldEvery === undefined || named.includes(yieldEvery as string) || (typeof yieldEvery === 'number' && Number.isFinite(yieldEvery) && yieldEvery >= 0);
  if (!ok) throw new Error(`${who}: yieldEvery must be 'auto', 'batch', 'epoch', 'never' or a number of milliseconds >= 0, received ${String(yieldEvery)}`);
  const isSignal = signal === undefined || (typeof signal === 'object' && signal !== null && typeof (signal as AbortSignal).aborted === 'boolean');
  if (!isSignal) throw new Error(`${who}: signal must be an AbortSignal (new AbortController().signal), received ${String(signal)}`);
}

/** Resolves on the next turn of the event loop, after pending I/O and timers. */
export function nextTurn(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  // a page: a message task (setTimeout(0) is clamped to 4 ms once nested, a cost on every yield)
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const { port1, port2 } = new MessageChannel();
      // the DOM's MessagePort (Node's typings describe worker_threads' port, without onmessage)
      const port = port1 as unknown as { onmessage: (() => void) | null; close(): void };
      port.onmessage = () => {
        port.close();
        resolve();
      };
      port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Decides when a long loop yields, and turns an abort into an AbortError at a safe boundary. */
export class Yielder {
  private last = now();
  private readonly every: YieldEvery;

  constructor(
    private readonly who: string,
    every: YieldEvery | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {
    checkYieldOptions(who, every, signal);
    this.every = every ?? 'auto';
  }

  /** Throws the AbortError if the signal has fired. */
  check(): void {
    const s = this.signal;
    if (!s?.aborted) return;
    const why = (s.reason as { message?: unknown } | undefined)?.message;
    throw new AbortError(`${this.who}: aborted by its signal${typeof why === 'string' && why ? ` (${why})` : ''}`, s.reason);
  }

  /** After each batch: yields if the policy says so, then checks the signal. */
  async afterBatch(): Promise<void> {
    const e = this.every;
    if (e === 'batch' || ((e === 'auto' || typeof e === 'number') && now() - this.last >= (e === 'auto' ? AUTO_YIELD_MS : e))) await this.yieldNow();
    this.check();
  }

  /** After each epoch: yields for 'epoch' (the time-based policies already yield after batches), then checks. */
  async afterEpoch(): Promise<void> {
    if (this.every === 'epoch') await this.yieldNow();
    this.check();
  }

  private async yieldNow(): Promise<void> {
    await nextTurn();
    this.last = now();
  }
}
