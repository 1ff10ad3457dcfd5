/**
 * The pool's wire (pool_wire.ts), without threads: a job written by a worker's ledger
 * (`HandedBuffers`), cloned as a message is, and read by that worker (`HeldBuffers`) comes back
 * with the same values (every number exactly, -0, NaN and ±Infinity included), arrays on the
 * same memory, and an object held twice as one object; a buffer is handed over once; what the
 * worker holds stays within the limit, matches the ledger, and drops what `forgetShared` names
 * (also when the job that carried the forget was withdrawn: its message is taken, the job not
 * run); what cannot cross is refused.
 */
import fc from 'fast-check';
import { HandedBuffers, HeldBuffers, WireMessage, forgetShared } from '../src/pool_wire';

/** A caller's ledger and its worker's buffers, and a post that hands `job` across. */
function pair(limit?: number) {
  const ledger = new HandedBuffers(limit);
  const worker = new HeldBuffers();
  let seq = 0;
  const send = (job: unknown): { back: unknown; wire: WireMessage } => {
    const wire = ledger.encode(job, ++seq);
    // what postMessage delivers: a structured clone
    const m = structuredClone(wire);
    worker.take(m);
    return { back: worker.job(m), wire };
  };
  return { ledger, worker, send };
}

const f32 = (n: number) => new Float32Array(new SharedArrayBuffer(4 * n));

describe('pool wire', () => {
  test('numbers, strings, booleans, nulls, nested objects and arrays come back as they were', () => {
    const { ledger, send } = pair();
    fc.assert(
      fc.property(fc.double(), fc.integer(), fc.string(), fc.boolean(), (d, i, s, b) => {
        const job = { d, i, s, b, n: null, list: [d, -0, [i, s]], nested: { deep: { x: d, neg: -0 } } };
        const { back } = send(job);
        expect(back).toEqual(job);
        const r = back as typeof job;
        expect(Object.is(r.d, d)).toBe(true);
        expect(Object.is(r.list[1], -0) && Object.is(r.nested.deep.neg, -0)).toBe(true);
      }),
    );
    for (const x of [NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE, 0.1 + 0.2, 1e-310]) {
      expect(Object.is((send({ x }).back as { x: number }).x, x)).toBe(true);
    }
    // an undefined field is left out, as a clone leaves it undefined
    expect(send({ a: 1, u: undefined }).back).toEqual({ a: 1 });
    ledger.close();
  });

  test('arrays come back on the same memory, of their type, offset and length; one held twice is one', () => {
    const { ledger, send } = pair();
    const sab = new SharedArrayBuffer(64);
    const views = [new Float32Array(sab, 4, 3), new Float64Array(sab, 8, 2), new Int32Array(sab, 12, 1), new Uint8Array(sab, 3, 5), new Uint16Array(sab, 2, 4)];
    const hs = f32(8);
    const { back } = send({ views, hs, hd: hs, again: { inner: hs }, list: views });
    const r = back as { views: ArrayBufferView[]; hs: Float32Array; hd: Float32Array; again: { inner: Float32Array }; list: ArrayBufferView[] };
    r.views.forEach((v, i) => {
      expect(v.constructor).toBe(views[i].constructor);
      expect([v.byteOffset, (v as Float32Array).length]).toEqual([views[i].byteOffset, (views[i] as Float32Array).length]);
    });
    // the same object where the job had the same object (a loop tests hd !== hs)
    expect(r.hd).toBe(r.hs);
    expect(r.again.inner).toBe(r.hs);
    expect(r.list).toBe(r.views);
    // writes on either side are seen on the other: the same memory
    r.hs[5] = 2.5;
    expect(hs[5]).toBe(2.5);
    views[0][1] = 7;
    expect((r.views[0] as Float32Array)[1]).toBe(7);
    ledger.close();
  });

  test('a buffer is handed over once: the next jobs on it carry no buffer', () => {
    const { ledger, send } = pair();
    const a = f32(16);
    const b = f32(16);
    expect(send({ a, b, a2: a.subarray(4, 8) }).wire.fresh.map(([, buf]) => buf)).toEqual([a.buffer, b.buffer]);
    for (let i = 0; i < 3; i++) expect(send({ b, a: a.subarray(i) }).wire.fresh).toEqual([]);
    expect(send({ c: f32(4), a }).wire.fresh.length).toBe(1);
    expect(ledger.holding()).toEqual({ buffers: 3, bytes: 64 + 64 + 16 });
    ledger.close();
  });

  test('what a worker holds stays within the limit, least recently used forgotten first, as the ledger says', () => {
    const limit = 10 * 1024;
    const { ledger, worker, send } = pair(limit);
    const kept = f32(256); // 1 KiB, named by every job: never forgotten
    for (let i = 0; i < 200; i++) {
      const { back } = send({ kept, fresh: f32(256 * (1 + (i % 3))) });
      expect((back as { kept: Float32Array }).kept.buffer).toBeDefined();
      const h = ledger.holding();
      expect(h.bytes).toBeLessThanOrEqual(limit);
      expect(worker.holding()).toEqual(h);
    }
    // one job naming more than the limit keeps all of its buffers while it runs
    const big = [f32(2048), f32(2048)];
    send({ big });
    expect(ledger.holding().bytes).toBeGreaterThanOrEqual(2 * 8192);
    expect(worker.holding()).toEqual(ledger.holding());
    ledger.close();
  });

  test('forgetShared: the worker drops the buffer with its next job, and is handed it again if it comes back', () => {
    const { ledger, worker, send } = pair();
    const a = f32(32);
    const b = f32(32);
    send({ a, b });
    expect(worker.holding().buffers).toBe(2);
    forgetShared(a.buffer);
    expect(ledger.holding().buffers).toBe(1);
    send({ b });
    expect(worker.holding()).toEqual({ buffers: 1, bytes: 128 });
    expect(send({ a }).wire.fresh.length).toBe(1);
    expect(worker.holding().buffers).toBe(2);
    ledger.close();
    // a closed ledger is told nothing more
    forgetShared(b.buffer);
    expect(ledger.holding().buffers).toBe(2);
  });

  test('a withdrawn job: the worker takes its forgets and buffers without running it, and holds what the ledger says', () => {
    const { ledger, worker, send } = pair();
    const a = f32(8);
    const b = f32(8);
    const c = f32(4);
    send({ a, b });
    forgetShared(a.buffer);
    const withdrawn = ledger.encode({ b, c }, 100); // forgets a, hands over c
    expect([withdrawn.forget.length, withdrawn.fresh.length]).toEqual([1, 1]);
    worker.take(structuredClone(withdrawn));
    expect(worker.holding()).toEqual({ buffers: 2, bytes: 48 });
    expect(send({ b, c }).wire.fresh).toEqual([]);
    expect(worker.holding()).toEqual(ledger.holding());
    ledger.close();
  });

  test('what cannot cross is refused by name', () => {
    const { ledger } = pair();
    expect(() => ledger.encode({ x: new Float32Array(4) }, 1)).toThrow(/pool job: a typed array is not on a SharedArrayBuffer/);
    expect(() => ledger.encode({ f: () => 1 }, 1)).toThrow(/pool job: a function cannot be handed/);
    expect(() => ledger.encode({ v: new DataView(new SharedArrayBuffer(4)) }, 1)).toThrow(/pool job: a DataView cannot be handed/);
    ledger.close();
  });

  test('a worker asked for a buffer it was never handed says which', () => {
    const w = new HeldBuffers();
    expect(() => w.job({ seq: 1, forget: [], fresh: [], job: { a: { $view: [999999, 0, 1, 0] } } })).toThrow(/pool worker: no buffer 999999/);
  });
});
