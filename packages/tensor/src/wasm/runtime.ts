/**
 * What the engine accepts (SIMD, relaxed SIMD), and the one linear memory each thread's kernels
 * share: regions of it are handed out by name and grown on demand, never freed (a region that
 * must grow moves to the top; the memory only grows, so the waste is bounded by a factor of
 * about two). Browser-safe: only the standard WebAssembly API.
 */
import { Func, V128, encodeModule } from './encode';

/** The part of the standard WebAssembly API used here (typed locally: the build has no DOM lib). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let simd: boolean | null = null;
let relaxed: boolean | null = null;

function validates(f: Func): boolean {
  try {
    return api !== undefined && api.validate(encodeModule([f]));
  } catch {
    return false;
  }
}

/** True when the engine validates 128-bit SIMD (every current browser and Node >= 16). */
export function simdAvailable(): boolean {
  if (simd === null) {
    const f = new Func('probe', [], [V128]);
    f.f32x4(1).f32x4(2).op('f32x4.add');
    simd = validates(f);
  }
  return simd;
}

/** True when the engine validates relaxed SIMD (`f32x4.relaxed_madd`): Node 20 only behind a flag. */
export function relaxedAvailable(): boolean {
  if (relaxed === null) {
    const f = new Func('probe', [], [V128]);
    f.f32x4(1).f32x4(2).f32x4(3).op('f32x4.relaxed_madd');
    relaxed = validates(f);
  }
  return relaxed;
}

const PAGE = 65536;

/** A new growable wasm memory of `pages` 64 KiB pages. */
export function newMemory(pages: number): WasmMemory {
  return new (api as WasmApi).Memory({ initial: pages });
}

/** A kernel module compiled once, to instantiate on several memories. */
export function compile(bytes: Uint8Array): object {
  return new (api as WasmApi).Module(bytes);
}

/** Instantiates a compiled kernel module (or its bytes) on `memory`, imported as `env.memory`. */
export function instantiate<T>(module: object | Uint8Array, memory: WasmMemory): T {
  const m = module instanceof Uint8Array ? compile(module) : module;
  return new (api as WasmApi).Instance(m, { env: { memory } }).exports as unknown as T;
}

interface Region {
  ptr: number;
  bytes: number;
}

/** One thread's wasm memory and its named regions (byte offsets, 16-byte aligned). */
export class Arena {
  readonly memory = newMemory(16);
  private top = 64;
  private readonly regions = new Map<string, Region>();
  /**
   * The memory's buffer as of the last growth: only `region` grows the memory, and reading
   * `memory.buffer` is a call into the engine that the per-call checks (`holds`) cannot afford.
   */
  private buffer = this.memory.buffer;
  private view = new Float32Array(this.buffer);

  /** A Float32Array over the whole memory (renewed after the memory grows). */
  get f32(): Float32Array {
    return this.view;
  }


  /** The byte offset of region `name`, at least `bytes` long (its contents are kept only if it did not move). */
  region(name: string, bytes: number): number {
    let r = this.regions.get(name);
    if (r === undefined || r.bytes < bytes) {
      const size = Math.ceil(Math.max(bytes, r ? r.bytes * 1.5 : 0) / 16) * 16;
      const ptr = this.top;
      this.top += size;
      const need = this.top - this.buffer.byteLength;
      if (need > 0) {
        this.memory.grow(Math.ceil(need / PAGE));
        this.buffer = this.memory.buffer;
        this.view = new Float32Array(this.buffer);
      }
      r = { ptr, bytes: size };
      this.regions.set(name, r);
    }
    return r.ptr;
  }

  /** True when `a` is a view of this memory (its values are where the kernels can reach them). */
  holds(a: ArrayBufferView): boolean {
    return a.buffer === this.buffer;
  }

  /** Instantiates a kernel module on this memory. */
  instantiate<T>(bytes: Uint8Array): T {
    return instantiate<T>(bytes, this.memory);
  }
}

let threadArena: Arena | null = null;

/** True when `a` is a view of this thread's wasm memory (false before the memory exists). */
export function inArena(a: ArrayBufferView): boolean {
  return threadArena !== null && threadArena.holds(a);
}

/** This thread's arena: every kernel module of the thread is instantiated on its one memory. */
export function arena(): Arena {
  if (threadArena === null) threadArena = new Arena();
  return threadArena;
}
