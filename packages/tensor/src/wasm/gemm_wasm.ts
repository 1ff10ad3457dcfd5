/**
 * GEMM on the wasm SIMD kernel (gemm_kernel.ts), for float32 operands in JavaScript arrays.
 *
 * Each call copies A and (when beta ≠ 0) C into this thread's wasm memory, packs A into strips of
 * 4 rows, pads C's rows to a multiple of 8 columns and 4 rows so every tile is whole, then walks
 * the blocks: for each
 * block of NC columns, for each block of KC steps of k, pack that block of B into panels (or use
 * it from a B packed once, `wasmPackB`, kept resident in wasm memory while it is reused) and run
 * the micro-kernel over all row tiles. The first k block overwrites C (beta = 0), later ones add.
 * Every element of C is one f32 sum over k in ascending order, per k block, whichever rows or
 * threads share the product: results do not depend on how rows are split.
 */
import type { GemmArgs, PackedB } from '../gemm';
import type { Layout } from '../parallel';
import { takeBuffer } from '../buffer_pool';
import { strides } from '../gemm_strides';
import { TILE_COLS, TILE_ROWS, gemmModule } from './gemm_kernel';
import { Arena, arena, relaxedAvailable } from './runtime';

/** k block: a packed B block of KC × NC floats (512 KiB) stays in L2 while every row tile passes over it. */
const KC = 256;
const NC = 512;

interface GemmExports {
  kernel(pa: number, ts: number, pb: number, kc: number, c: number, ldc: number, tiles: number, panels: number, accumulate: number): void;
  packA(src: number, rs: number, ks: number, rows: number, kc: number, dst: number): void;
  packB(src: number, ld: number, kc: number, nc: number, dst: number): void;
  packBT(src: number, ld: number, kc: number, nc: number, dst: number): void;
  colSums(src: number, ld: number, k: number, n: number, dst: number): void;
}

let state: { arena: Arena; gemm: GemmExports } | null = null;

function kernels(): { arena: Arena; gemm: GemmExports } {
  if (state === null) {
    const mem = arena();
    state = { arena: mem, gemm: mem.instantiate<GemmExports>(gemmModule(relaxedAvailable())) };
  }
  return state;
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/**
 * Whether rows of `cols` floats `ld` apart are copied into wasm memory as one span, gaps included,
 * rather than row by row: when the gaps are short. A row's copy costs a call (~0.2 µs, the price of
 * ~1 KiB copied): 12,800 rows of 64 floats at a stride of 128 took 2.9 ms by rows, 0.9 as a span.
 */
function spanCopy(rows: number, cols: number, ld: number): boolean {
  return rows > 1 && ld !== cols && ld - cols <= 256;
}

/** Floats of B [k, n] packed in panels, block by block in the order the product reads them. */
function packedFloats(k: number, n: number): number {
  let size = 0;
  for (let jc = 0; jc < n; jc += NC) size += k * roundUp(Math.min(NC, n - jc), TILE_COLS);
  return size;
}

/** Packs B [k, n] (or stored transposed, [n, k]) at byte `src` of wasm memory into `dst`, every block. */
function packAll(g: GemmExports, src: number, k: number, n: number, transposed: boolean, dst: number): void {
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      if (transposed) g.packBT(src + (jc * k + pc) * 4, k * 4, kc, nc, dst);
      else g.packB(src + (pc * n + jc) * 4, n * 4, kc, nc, dst);
      dst += kc * roundUp(nc, TILE_COLS) * 4;
    }
  }
}

/** B [k, n] (or [n, k] when transposed) packed for the wasm kernel, once for many products. */
export function wasmPackB(b: Float32Array, k: number, n: number, transposed: boolean, bOffset: number): Float32Array {
  const { arena: mem, gemm } = kernels();
  const size = packedFloats(k, n);
  const raw = mem.region('b', k * n * 4);
  const dst = mem.region('pack', size * 4);
  const f32 = mem.f32;
  f32.set(b.subarray(bOffset, bOffset + k * n), raw >> 2);
  packAll(gemm, raw, k, n, transposed, dst);
  // from the buffer pool: `releasePackedB` gives it back when the products are done
  const out = takeBuffer('float32', size, null, false) as Float32Array;
  out.set(mem.f32.subarray(dst >> 2, (dst >> 2) + size));
  return out;
}

/**
 * Packed right operands kept in wasm memory between products: the recurrent kernels use one or
 * two per timestep, so the copy is made once per sequence. Least recently used goes first.
 */
const SLOTS = 4;
const resident: { owner: PackedB | null; used: number }[] = Array.from({ length: SLOTS }, () => ({ owner: null, used: 0 }));
let tick = 0;

/** The byte offset of `pre`'s wasm panels in wasm memory, copying them in if they are not there. */
function residentPanels(mem: Arena, pre: PackedB, panels: Float32Array): number {
  tick++;
  let slot = resident.findIndex((s) => s.owner === pre);
  if (slot >= 0) {
    resident[slot].used = tick;
    return mem.region(`resident${slot}`, panels.length * 4);
  }
  slot = 0;
  for (let i = 1; i < SLOTS; i++) if (resident[i].used < resident[slot].used) slot = i;
  resident[slot] = { owner: pre, used: tick };
  const ptr = mem.region(`resident${slot}`, panels.length * 4);
  mem.f32.set(panels, ptr >> 2);
  return ptr;
}

/** The scratch regions of one product (byte offsets; 0 where the product needs none). */
interface Scratch {
  aRaw: number;
  aPack: number;
  c: number;
  bRaw: number;
  bPack: number;
  /** B's column sums, float64 [n] (bColumnSums). */
  sums: number;
}

/**
 * The scratch regions a product of these sizes uses: A as stored and packed, a padded C, B as stored
 * and one packed block of it. `inMemory` says which operands are views of wasm memory already
 * (those need no copy, and C needs no scratch when its tiles are whole).
 */
function scratch(mem: Arena, layout: Layout, m: number, n: number, k: number, packed: boolean, inMemory: { a: boolean; b: boolean; c: boolean }, sums = false, raw = { a: m * k, b: k * n }): Scratch {
  const mPad = roundUp(m, TILE_ROWS);
  const nPad = roundUp(n, TILE_COLS);
  return {
    aRaw: inMemory.a ? 0 : mem.region('araw', raw.a * 4),
    aPack: mem.region('apack', mPad * k * 4),
    c: inMemory.c && mPad === m && nPad === n ? 0 : mem.region('c', mPad * nPad * 4),
    bRaw: packed || inMemory.b ? 0 : mem.region('b', raw.b * 4),
    bPack: packed ? 0 : mem.region('pack', Math.min(k, KC) * roundUp(Math.min(n, NC), TILE_COLS) * 4),
    sums: sums ? mem.region('colsums', n * 8) : 0,
  };
}

/** A product a sequence's loop will run with operands in wasm memory (`wasmReserve`); `packed`: B given packed (packGemmB). */
export interface ReservedProduct {
  layout: Layout;
  m: number;
  n: number;
  k: number;
  packed?: boolean;
}

/**
 * Grows this thread's wasm memory now for every scratch region the products will use, whatever
 * operands they get, and for the B operands packed for them (packGemmB's regions, and a resident
 * slot of that size in every slot, since which slot a packed B takes is decided as it is used):
 * then packing and running them does not grow the memory, and views of it (wasmWorkspace) stay
 * attached. Call before taking the views.
 */
export function wasmReserve(products: ReservedProduct[]): void {
  const { arena: mem } = kernels();
  const none = { a: false, b: false, c: false };
  let panels = 0;
  for (const { layout, m, n, k, packed } of products) {
    scratch(mem, layout, m, n, k, packed === true, none);
    if (packed) {
      mem.region('b', k * n * 4);
      mem.region('pack', packedFloats(k, n) * 4);
      panels = Math.max(panels, packedFloats(k, n));
    }
  }
  if (panels > 0) for (let slot = 0; slot < SLOTS; slot++) mem.region(`resident${slot}`, panels * 4);
}

/** C = op(A)·op(B) + beta·C on the wasm kernel; a, b, c float32, m, n, k > 0, arguments checked (gemmSerial). */
export function wasmGemm(layout: Layout, args: GemmArgs): void {
  const { m, n, k } = args;
  const a = args.a as Float32Array;
  const b = args.b as Float32Array;
  const c = args.c as Float32Array;
  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  const co = args.cOffset ?? 0;
  const { lda, ldb, ldc: ldC } = strides(layout, args);
  const beta = args.beta ?? 0;
  const pre = args.packedB?.wasm ?? null;
  const { arena: mem, gemm } = kernels();
  const mPad = roundUp(m, TILE_ROWS);
  const nPad = roundUp(n, TILE_COLS);

  // operands that live in wasm memory are used where they are (byte pointers read now: a view
  // of a memory that grows is detached); every region next, then no growth until the end
  const inMemory = { a: mem.holds(a), b: pre === null && mem.holds(b), c: mem.holds(c) };
  const aAt = inMemory.a ? a.byteOffset + 4 * ao : 0;
  const bAt = inMemory.b ? b.byteOffset + 4 * bo : 0;
  const cAt = inMemory.c ? c.byteOffset + 4 * co : 0;
  const buffer = mem.memory.buffer;
  const aRows = layout === 'TN' ? k : m; // A as stored: [m, k], or [k, m] for Aᵀ·B
  const aCols = layout === 'TN' ? m : k;
  const bRows = layout === 'NT' ? n : k; // B as stored: [k, n], or [n, k] for A·Bᵀ
  const bCols = layout === 'NT' ? k : n;
  // a strided operand copied in as one span, gaps and all, when nothing lives in wasm memory (its
  // scratch may then grow): a band of a split product, read in place at its stride from the copy
  const spans = !inMemory.a && !inMemory.b && !inMemory.c;
  const aSpan = spans && spanCopy(aRows, aCols, lda);
  const bSpan = spans && pre === null && spanCopy(bRows, bCols, ldb);
  const raw = { a: aSpan ? (aRows - 1) * lda + aCols : m * k, b: bSpan ? (bRows - 1) * ldb + bCols : k * n };
  const s = scratch(mem, layout, m, n, k, pre !== null, inMemory, args.bColumnSums !== undefined, raw);
  const bResident = pre === null ? 0 : residentPanels(mem, args.packedB as PackedB, pre);
  if ((inMemory.a || inMemory.b || inMemory.c) && mem.memory.buffer !== buffer) {
    throw new Error(`gemm${layout}: wasm memory grew under operands that live in it ([${m}, ${n}, ${k}] not reserved with wasmReserve)`);
  }
  const f32 = mem.f32;

  // A packed into strips of 4 rows, from where it lives or from a copy of its rows
  let aSrc = aAt;
  let aStride = lda; // floats between stored rows
  if (!inMemory.a) {
    aSrc = s.aRaw;
    aStride = aSpan ? lda : aCols;
    if (lda === aCols || aSpan) f32.set(a.subarray(ao, ao + raw.a), aSrc >> 2);
    else for (let r = 0; r < aRows; r++) f32.set(a.subarray(ao + r * lda, ao + r * lda + aCols), (aSrc >> 2) + r * aCols);
  }
  if (layout === 'TN') gemm.packA(aSrc, 4, 4 * aStride, m, k, s.aPack);
  else gemm.packA(aSrc, 4 * aStride, 4, m, k, s.aPack);

  // C (rows ldC apart): written in place when it lives in wasm memory and its tiles are whole,
  // else in a padded scratch (copied in when it is accumulated into)
  if (beta !== 0 && beta !== 1) for (let i = 0; i < m; i++) for (let j = co + i * ldC; j < co + i * ldC + n; j++) c[j] *= beta;
  const cPtr = s.c === 0 ? cAt : s.c;
  const ldc = s.c === 0 ? ldC : nPad;
  const c0 = cPtr >> 2;
  if (s.c !== 0 && beta !== 0) {
    if (inMemory.c) for (let i = 0; i < m; i++) f32.copyWithin(c0 + i * nPad, (cAt >> 2) + i * ldC, (cAt >> 2) + i * ldC + n);
    else if (nPad === n && ldC === n) f32.set(c.subarray(co, co + m * n), c0);
    else for (let i = 0; i < m; i++) f32.set(c.subarray(co + i * ldC, co + i * ldC + n), c0 + i * nPad);
  }

  // B as stored (rows ldb apart), when it has to be packed here: read in place from wasm memory,
  // else copied in as one span (bSpan) or as dense rows of bCols
  const bRaw = pre !== null ? 0 : inMemory.b ? bAt : s.bRaw;
  const bLd = inMemory.b || bSpan ? ldb : bCols; // floats between B's rows where the packers read them
  if (pre === null && !inMemory.b) {
    if (ldb === bCols || bSpan) f32.set(b.subarray(bo, bo + raw.b), bRaw >> 2);
    else for (let r = 0, at = bRaw >> 2; r < bRows; r++, at += bCols) f32.set(b.subarray(bo + r * ldb, bo + r * ldb + bCols), at);
  }
  const bPack = s.bPack;

  let block = bResident;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const panels = roundUp(nc, TILE_COLS) / TILE_COLS;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      let panelPtr: number;
      if (pre !== null) {
        panelPtr = block;
        block += kc * panels * TILE_COLS * 4;
      } else {
        panelPtr = bPack;
        if (layout === 'NT') gemm.packBT(bRaw + (jc * bLd + pc) * 4, bLd * 4, kc, nc, bPack);
        else gemm.packB(bRaw + (pc * bLd + jc) * 4, bLd * 4, kc, nc, bPack);
      }
      gemm.kernel(s.aPack + pc * 16, k * 16, panelPtr, kc, cPtr + jc * 4, ldc * 4, mPad / TILE_ROWS, panels, pc > 0 || beta !== 0 ? 1 : 0);
    }
  }

  if (s.c !== 0) {
    if (inMemory.c) for (let i = 0; i < m; i++) f32.copyWithin((cAt >> 2) + i * ldC, c0 + i * nPad, c0 + i * nPad + n);
    else if (nPad === n && ldC === n) c.set(f32.subarray(c0, c0 + m * n), co);
    else for (let i = 0; i < m; i++) c.set(f32.subarray(c0 + i * nPad, c0 + i * nPad + n), co + i * ldC);
  }

  const sums = args.bColumnSums;
  if (sums !== undefined) {
    // Σ_p B[p, j] in float64, p ascending, added once (as the scalar kernel does), from B where
    // it lies in wasm memory (NN, TN: bColumnSums comes without packedB, so B is there)
    gemm.colSums(bRaw, 4 * bLd, k, n, s.sums);
    const f64 = new Float64Array(mem.memory.buffer, s.sums, n);
    for (let j = 0; j < n; j++) sums[j] += f64[j];
  }
}
