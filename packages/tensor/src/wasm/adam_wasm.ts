/**
 * An optimizer's float64 slots (momenta) kept for good in a wasm memory of its own, with the Adam
 * module instantiated on it: a step copies only the weights and gradients in (float32, by chunks
 * that stay in cache) and the weights out; m and v never move. Copying m and v in and out on every
 * step as well (32 bytes a value more of memory traffic) took the update from about 4 to about 10
 * ns a value.
 *
 * Layout: from byte W, CHUNK weights, then CHUNK gradients, then each key's slot buffers, 16-byte
 * aligned, allocated once per key (a key set again with the same sizes reuses its buffers), never
 * freed: the memory lives as long as its optimizer. Growing the memory detaches every view of it,
 * so after a growth every key's views are renewed; a view from `get` is valid until the next `set`.
 */
import { adamModule } from './adam_kernel';
import { WasmMemory, compile, instantiate, newMemory } from './runtime';

type AdamFn = (w: number, g: number, m: number, v: number, n: number, alpha: number, c1: number, c2: number, eps: number) => void;
type AdamAmsgradFn = (w: number, g: number, m: number, v: number, vhat: number, n: number, alpha: number, c1: number, c2: number, eps: number) => void;
interface AdamExports { adam: AdamFn; adamAmsgrad: AdamAmsgradFn }

/** Values of w and g copied in per kernel call (32 KiB of each: they stay in cache until the kernel reads them). */
export const CHUNK = 8192;
/**
 * Where the weights' scratch starts: half a page in. Large typed arrays start on a page (or 16
 * bytes past one), and copying out of wasm memory to an address at the same offset in its page
 * ran 5x slower here (2.4 against 0.5 ns a value, Node 20 on an AMD EPYC: the C library's copy).
 */
const W = 2048;
const G = W + 4 * CHUNK;
const PAGE = 65536;

let adamCompiled: object | null = null;

interface Entry {
  ptrs: number[];
  lengths: number[];
  views: Float64Array[];
}

/** Float64 buffers by key in one wasm memory, and the Adam kernel on them (see the header). */
export class WasmSlots<K> {
  // created on the first `set`: an optimizer that never steps holds no wasm memory
  private memory: WasmMemory | null = null;
  private kernel: AdamExports | null = null;
  private buffer: ArrayBuffer | SharedArrayBuffer | null = null;
  private f32: Float32Array = new Float32Array(0);
  private top = G + 4 * CHUNK;
  private readonly entries = new Map<K, Entry>();

  /** The current views of key's buffers. */
  get(key: K): Float64Array[] | undefined {
    return this.entries.get(key)?.views;
  }

  /** Copies `arrays` into key's buffers (reused when their sizes match, else placed anew). */
  set(key: K, arrays: Float64Array[]): this {
    if (this.memory === null) {
      this.memory = newMemory(1);
      if (adamCompiled === null) adamCompiled = compile(adamModule());
      this.kernel = instantiate<AdamExports>(adamCompiled, this.memory);
      this.renew();
    }
    let e = this.entries.get(key);
    if (!e || e.lengths.length !== arrays.length || e.lengths.some((n, i) => n !== arrays[i].length)) {
      const lengths = arrays.map((a) => a.length);
      const ptrs: number[] = [];
      for (const n of lengths) {
        ptrs.push(this.top);
        this.top += Math.ceil(n / 2) * 16;
      }
      e = { ptrs, lengths, views: [] };
      this.entries.set(key, e);
      this.reserve(this.top);
      e.views = ptrs.map((p, i) => new Float64Array(this.buffer!, p, lengths[i]));
    }
    e.views.forEach((view, i) => view.set(arrays[i]));
    return this;
  }

  /** True when `a` is a view of this memory (a buffer `get` returned, still valid). */
  holds(a: Float64Array): boolean {
    return a.buffer === this.buffer;
  }

  /**
   * One Adam step on the kernel (adam_kernel.ts) for float32 w and g, and slot buffers [m, v] or
   * [m, v, v̂] of this memory: w and g go through the scratch by chunks, m, v, v̂ are worked in place.
   */
  adam(w: Float32Array, g: Float32Array, slots: Float64Array[], alpha: number, c1: number, c2: number, eps: number): void {
    const { adam, adamAmsgrad } = this.kernel!;
    const f32 = this.f32;
    const [m, v, vhat] = slots.map((s) => s.byteOffset);
    for (let o = 0; o < w.length; o += CHUNK) {
      const n = Math.min(CHUNK, w.length - o);
      f32.set(n === w.length ? w : w.subarray(o, o + n), W / 4);
      f32.set(n === g.length ? g : g.subarray(o, o + n), G / 4);
      if (vhat === undefined) adam(W, G, m + 8 * o, v + 8 * o, n, alpha, c1, c2, eps);
      else adamAmsgrad(W, G, m + 8 * o, v + 8 * o, vhat + 8 * o, n, alpha, c1, c2, eps);
      w.set(f32.subarray(W / 4, W / 4 + n), o);
    }
  }

  /** Grows the memory to at least `bytes` (renewing the views after a growth). */
  private reserve(bytes: number): void {
    const need = bytes - this.buffer!.byteLength;
    if (need <= 0) return;
    this.memory!.grow(Math.ceil(need / PAGE));
    this.renew();
  }

  /** New views of the memory's current buffer: the scratch's, and every key's buffers. */
  private renew(): void {
    const buffer = this.memory!.buffer;
    this.buffer = buffer;
    this.f32 = new Float32Array(buffer);
    for (const e of this.entries.values()) e.views = e.ptrs.map((p, i) => new Float64Array(buffer, p, e.lengths[i]));
  }
}
