/**
 * A small WebAssembly binary encoder: a function body written instruction by instruction, in the
 * order of the text format (`f.get(x).get(y).op('f32x4.mul')` is `local.get $x local.get $y
 * f32x4.mul`), and a module of functions that import one memory `env.memory` and export
 * themselves by name. Enough for the kernels, nothing more: no tables, globals or data segments.
 *
 * Binary format (WebAssembly core spec, chapter 5): a module is the magic `\0asm`, version 1, then
 * sections, each an id byte, its size as unsigned LEB128 and its contents; vectors are a LEB128
 * count followed by their elements.
 */
import { ALIGN, F32, F64, I32, Op, PLAIN, SIMD, V128, ValType } from './opcodes';

export { I32, F32, F64, V128 };
export type { ValType };

/** Unsigned LEB128: 7 bits a byte, low first, the high bit set on all but the last. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function utf8(s: string): number[] {
  return [...new TextEncoder().encode(s)];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, contents: number[]): number[] {
  return [id, ...uleb(contents.length), ...contents];
}

/** Block type of `block`, `loop`, `if` with no result. */
const EMPTY_BLOCK = 0x40;

/**
 * One function: its parameters and locals are named, so the body reads like the text format.
 * Each method appends one instruction (or a structured block) and returns `this`.
 */
export class Func {
  readonly code: number[] = [];
  readonly names = new Map<string, number>();
  private readonly locals: ValType[] = [];

  constructor(readonly name: string, readonly params: [string, ValType][], readonly results: ValType[] = []) {
    params.forEach(([n], i) => this.names.set(n, i));
  }

  /** Declares a local (f.local('acc', V128)); returns its name for use with get/set. */
  local(name: string, type: ValType): string {
    if (this.names.has(name)) throw new Error(`wasm emitter: ${this.name} declares '${name}' twice`);
    this.names.set(name, this.params.length + this.locals.length);
    this.locals.push(type);
    return name;
  }

  private index(name: string): number {
    const i = this.names.get(name);
    if (i === undefined) throw new Error(`wasm emitter: ${this.name} has no local '${name}'`);
    return i;
  }

  /** Any listed instruction without immediates, or a memory instruction with its byte offset. */
  op(name: Op, offset = 0): this {
    if (name in SIMD) this.code.push(0xfd, ...uleb(SIMD[name as keyof typeof SIMD]));
    else this.code.push(PLAIN[name as keyof typeof PLAIN]);
    if (name in ALIGN) this.code.push(...uleb(ALIGN[name]), ...uleb(offset));
    else if (offset !== 0) throw new Error(`wasm emitter: ${name} takes no offset`);
    return this;
  }

  /** `local.get x`: push local `x`. */
  get(x: string): this { this.code.push(PLAIN['local.get'], ...uleb(this.index(x))); return this; }
  /** `local.set x`: pop into local `x`. */
  set(x: string): this { this.code.push(PLAIN['local.set'], ...uleb(this.index(x))); return this; }
  /** `local.tee x`: store into local `x`, keeping the value on the stack. */
  tee(x: string): this { this.code.push(PLAIN['local.tee'], ...uleb(this.index(x))); return this; }
  /** `i32.const v`. */
  i32(v: number): this { this.code.push(PLAIN['i32.const'], ...sleb(v)); return this; }

  /** `f32.const v` (rounded to float32). */
  f32(v: number): this {
    const bytes = new Uint8Array(Float32Array.of(v).buffer);
    this.code.push(PLAIN['f32.const'], ...bytes);
    return this;
  }

  /** v128.const with four f32 lanes (little-endian, as memory). */
  f32x4(v: number): this {
    const bytes = new Uint8Array(Float32Array.of(v, v, v, v).buffer);
    this.code.push(0xfd, ...uleb(SIMD['v128.const']), ...bytes);
    return this;
  }

  /** v128.const with two f64 lanes. */
  f64x2(v: number): this {
    const bytes = new Uint8Array(Float64Array.of(v, v).buffer);
    this.code.push(0xfd, ...uleb(SIMD['v128.const']), ...bytes);
    return this;
  }

  /** v128.const with two i64 lanes (|v| < 2³¹). */
  i64x2(v: number): this {
    const bytes = new Uint8Array(BigInt64Array.of(BigInt(v), BigInt(v)).buffer);
    this.code.push(0xfd, ...uleb(SIMD['v128.const']), ...bytes);
    return this;
  }

  /**
   * `i8x16.shuffle` of the two vectors on the stack, picking four 32-bit lanes: lane l of the
   * result is lane `lanes[l]` of (first, second), 0-3 from the first and 4-7 from the second.
   */
  shuffle32(lanes: [number, number, number, number]): this {
    this.code.push(0xfd, ...uleb(SIMD['i8x16.shuffle']));
    for (const l of lanes) this.code.push(4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3);
    return this;
  }

  /** A store of one lane (`v128.store64_lane offset lane`). */
  storeLane(name: 'v128.store64_lane' | 'v128.store32_lane', offset: number, lane: number): this {
    this.op(name, offset);
    this.code.push(lane);
    return this;
  }

  /** `f32x4.extract_lane i` or `f32x4.replace_lane i`. */
  lane(name: 'f32x4.extract_lane' | 'f32x4.replace_lane', i: number): this {
    this.code.push(0xfd, ...uleb(SIMD[name]), i);
    return this;
  }

  /** x += step (i32 locals). */
  inc(x: string, step: number | string): this {
    this.get(x);
    if (typeof step === 'number') this.i32(step); else this.get(step);
    return this.op('i32.add').set(x);
  }

  /** `block ... end`: `br 0` inside (at this depth) jumps past the end. */
  block(body: () => void): this {
    this.code.push(PLAIN.block, EMPTY_BLOCK);
    body();
    this.code.push(PLAIN.end);
    return this;
  }

  /** `loop ... end`: `br 0` inside (at this depth) jumps back to the start. */
  loop(body: () => void): this {
    this.code.push(PLAIN.loop, EMPTY_BLOCK);
    body();
    this.code.push(PLAIN.end);
    return this;
  }

  /** `if ... end` on the i32 on the stack. */
  if(body: () => void): this {
    this.code.push(PLAIN.if, EMPTY_BLOCK);
    body();
    this.code.push(PLAIN.end);
    return this;
  }

  /** `br depth`: jump to the label `depth` blocks out (a loop's start, a block's end). */
  br(depth: number): this { this.code.push(PLAIN.br, ...uleb(depth)); return this; }
  /** `br_if depth`: the same jump when the i32 on the stack is non-zero. */
  brIf(depth: number): this { this.code.push(PLAIN.br_if, ...uleb(depth)); return this; }

  /**
   * `for (i = from; i < to; i += step) body()` on i32 locals: a block around a loop whose test
   * comes first, so zero trips run nothing. Inside body, `br` depth 0 is the loop, 1 the block.
   */
  for(i: string, from: number | string, to: number | string, step: number | string, body: () => void): this {
    if (typeof from === 'number') this.i32(from); else this.get(from);
    this.set(i);
    return this.block(() => this.loop(() => {
      this.get(i);
      if (typeof to === 'number') this.i32(to); else this.get(to);
      this.op('i32.ge_s').brIf(1);
      body();
      this.inc(i, step).br(0);
    }));
  }

  /** The function's code entry: local declarations (runs of one type), body, `end`. */
  encode(): number[] {
    const runs: number[][] = [];
    for (const t of this.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    const body = [...vec(runs.map(([n, t]) => [...uleb(n), t])), ...this.code, PLAIN.end];
    return [...uleb(body.length), ...body];
  }
}

/**
 * A module of functions importing `env.memory` (at least `minPages` 64 KiB pages) and exporting
 * each function under its name.
 */
export function encodeModule(funcs: Func[], minPages = 1): Uint8Array {
  const sig = (f: Func) => [0x60, ...vec(f.params.map(([, t]) => [t])), ...vec(f.results.map((t) => [t]))];
  const types = section(1, vec(funcs.map(sig)));
  // import entry: module name, field name, kind 2 (memory), limits 0 (min only)
  const name = (s: string) => [...uleb(utf8(s).length), ...utf8(s)];
  const imports = section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(minPages)]]));
  const functions = section(3, vec(funcs.map((_, i) => uleb(i))));
  const exports = section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])));
  const code = section(10, vec(funcs.map((f) => f.encode())));
  // custom section "name": function names (subsection 1) and local names (2), so a disassembly
  // reads $kernel, $acc, $bp instead of indices
  const funcNames = vec(funcs.map((f, i) => [...uleb(i), ...name(f.name)]));
  const localNames = vec(funcs.map((f, i) => [...uleb(i), ...vec([...f.names].map(([n, j]) => [...uleb(j), ...name(n)]))]));
  const names = section(0, [...name('name'), 1, ...uleb(funcNames.length), ...funcNames, 2, ...uleb(localNames.length), ...localNames]);
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...functions, ...exports, ...code, ...names]);
}
