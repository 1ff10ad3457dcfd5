/**
 * The machine's 128-bit floating-point peak, measured: a wasm function whose loop body is
 * independent chains of `f32x4.mul` and `f32x4.add` (CHAINS of each, more than the latency of
 * either instruction times the pipes that run it, so no chain waits on itself), nothing else but
 * the loop counter. GFLOP/s = 4 lanes · 2·CHAINS instructions · iterations / seconds. That is the
 * ceiling a GEMM micro-kernel built from the same instructions can approach.
 */
import { WasmFunc, V128, I32, encodeModule } from '@seqlab/tensor';

const CHAINS = 6;

export function peakModule(): Uint8Array {
  const f = new WasmFunc('peak', [['iters', I32]]);
  const mul = Array.from({ length: CHAINS }, (_, i) => f.local(`m${i}`, V128));
  const add = Array.from({ length: CHAINS }, (_, i) => f.local(`a${i}`, V128));
  const [one, zero, i] = [f.local('one', V128), f.local('zero', V128), f.local('i', I32)];
  f.f32x4(1).set(one);
  f.f32x4(0).set(zero);
  for (const x of [...mul, ...add]) f.f32x4(1.5).set(x);
  f.for(i, 0, 'iters', 1, () => {
    for (let c = 0; c < CHAINS; c++) {
      f.get(mul[c]).get(one).op('f32x4.mul').set(mul[c]);
      f.get(add[c]).get(zero).op('f32x4.add').set(add[c]);
    }
  });
  // one result depending on every chain, stored, so none is dead code
  f.i32(0).get(mul[0]);
  for (const x of [...mul.slice(1), ...add]) f.get(x).op('f32x4.add');
  f.op('v128.store');
  return encodeModule([f]);
}

/** Best GFLOP/s of `runs` timed calls of the peak loop. */
export function measurePeak(runs = 7): number {
  const api = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: { peak(n: number): void } } } }).WebAssembly;
  const memory = new (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => object } }).WebAssembly.Memory({ initial: 1 });
  const { peak } = new api.Instance(new api.Module(peakModule()), { env: { memory } }).exports;
  const iters = 20_000_000;
  peak(1000);
  let best = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    peak(iters);
    const s = (performance.now() - t0) / 1000;
    best = Math.max(best, (4 * 2 * CHAINS * iters) / s / 1e9);
  }
  return best;
}
