/**
 * waitForStatus, the caller's wait for a worker's answer: a wake-up the worker missed is repaired
 * (the wait wakes it again each second), and a job no worker takes ends in an error, not a hang;
 * the same limit holds for a page's spinning wait (spinForStatus).
 */
import { Worker } from 'worker_threads';
import { setTakeLimit, spinForStatus, waitForStatus } from '../src/pool_host';

/**
 * A stand-in worker on `ctrl`: it waits for a wake-up on ctrl[2] as a pool worker does, and
 * answers "done" then; if nothing wakes it within `fallbackMs` it answers "failed" instead, so
 * that a wait that never wakes it ends (and the test fails) rather than hanging.
 */
function standIn(ctrl: Int32Array, fallbackMs: number): Worker {
  const source = `
    const { workerData, parentPort } = require('worker_threads');
    const ctrl = workerData.ctrl;
    parentPort.postMessage('waiting');
    const r = Atomics.wait(ctrl, 2, 0, ${fallbackMs});
    Atomics.store(ctrl, 0, -1);
    Atomics.store(ctrl, 1, r === 'timed-out' ? 2 : 1);
    Atomics.notify(ctrl, 1);
  `;
  return new Worker(source, { eval: true, workerData: { ctrl } });
}

describe('waitForStatus', () => {
  test('a missed wake-up is repaired: the wait wakes the worker again', async () => {
    const ctrl = new Int32Array(new SharedArrayBuffer(16));
    ctrl[0] = 7; // job 7 posted, not taken; ctrl[2] never bumped: the wake-up was missed
    const w = standIn(ctrl, 8000);
    await new Promise((resolve) => w.once('message', resolve));
    waitForStatus(ctrl);
    await w.terminate();
    expect(ctrl[1]).toBe(1); // woken by the wait's re-notify, not by the stand-in's own time-out
  });

  test('a job no worker takes ends in a clear error after the limit', () => {
    const ctrl = new Int32Array(new SharedArrayBuffer(16));
    ctrl[0] = 3; // posted, and nobody will take it
    const prev = setTakeLimit(2000);
    try {
      expect(() => waitForStatus(ctrl)).toThrow('parallel: a pool worker has not taken its job in 2 s (it stopped, or never woke); run on one thread (SEQLAB_THREADS=1 or setThreads(1))');
    } finally {
      setTakeLimit(prev);
    }
  });

  test('a job taken and running is waited for past the limit', async () => {
    const ctrl = new Int32Array(new SharedArrayBuffer(16));
    ctrl[0] = -1; // taken
    const w = new Worker(`const { workerData } = require('worker_threads'); const c = workerData.ctrl; const s = new Int32Array(new SharedArrayBuffer(4)); Atomics.wait(s, 0, 0, 2500); Atomics.store(c, 1, 1); Atomics.notify(c, 1);`, { eval: true, workerData: { ctrl } });
    const prev = setTakeLimit(1000);
    try {
      waitForStatus(ctrl);
    } finally {
      setTakeLimit(prev);
    }
    await w.terminate();
    expect(ctrl[1]).toBe(1);
  });

  test("a page's spinning wait gives up on an untaken job too, and waits out a taken one", async () => {
    const prev = setTakeLimit(500);
    try {
      const untaken = new Int32Array(new SharedArrayBuffer(16));
      untaken[0] = 4;
      const t0 = Date.now();
      expect(() => spinForStatus(untaken)).toThrow('parallel: a pool worker has not taken its job in 1 s');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
      const taken = new Int32Array(new SharedArrayBuffer(16));
      taken[0] = -1;
      const w = new Worker(`const { workerData } = require('worker_threads'); const c = workerData.ctrl; const s = new Int32Array(new SharedArrayBuffer(4)); Atomics.wait(s, 0, 0, 1200); Atomics.store(c, 1, 1);`, { eval: true, workerData: { ctrl: taken } });
      spinForStatus(taken);
      await w.terminate();
      expect(taken[1]).toBe(1);
    } finally {
      setTakeLimit(prev);
    }
  });
});
