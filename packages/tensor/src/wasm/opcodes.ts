/**
 * The WebAssembly instructions the kernel generators use, by their text-format names, with the
 * bytes of their opcodes (WebAssembly core spec 1.0 §5.4, fixed-width SIMD §5.4.8, relaxed SIMD).
 * SIMD and relaxed-SIMD opcodes are the prefix 0xfd followed by the opcode number as unsigned
 * LEB128. Only what is listed here can be emitted: adding an instruction is one line.
 */

/** Plain instructions: one byte. */
export const PLAIN = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  'local.get': 0x20,
  'local.set': 0x21,
  'local.tee': 0x22,
  'i32.load': 0x28,
  'f32.load': 0x2a,
  'f32.store': 0x38,
  'i32.const': 0x41,
  'f32.const': 0x43,
  'i32.eqz': 0x45,
  'i32.eq': 0x46,
  'i32.ne': 0x47,
  'i32.lt_s': 0x48,
  'i32.lt_u': 0x49,
  'i32.gt_u': 0x4b,
  'i32.ge_s': 0x4e,
  'i32.ge_u': 0x4f,
  'i32.add': 0x6a,
  'i32.sub': 0x6b,
  'i32.mul': 0x6c,
  'i32.and': 0x71,
  'i32.shl': 0x74,
  'i32.shr_u': 0x76,
  'f32.add': 0x92,
  'f32.sub': 0x93,
  'f32.mul': 0x94,
} as const;

/** Fixed-width SIMD (and relaxed-SIMD, from 0x100) instructions: 0xfd, then this number as LEB128. */
export const SIMD = {
  'v128.load': 0x00,
  'v128.load32_splat': 0x09,
  'v128.store': 0x0b,
  'v128.const': 0x0c,
  'i8x16.shuffle': 0x0d,
  'f64x2.splat': 0x14,
  'f32x4.extract_lane': 0x1f,
  'f32x4.replace_lane': 0x20,
  'v128.store32_lane': 0x5a,
  'v128.store64_lane': 0x5b,
  'v128.load32_zero': 0x5c,
  'v128.load64_zero': 0x5d,
  'f32x4.demote_f64x2_zero': 0x5e,
  'f64x2.promote_low_f32x4': 0x5f,
  'f64x2.floor': 0x75,
  'i64x2.shl': 0xcb,
  'f32x4.add': 0xe4,
  'f32x4.sub': 0xe5,
  'f32x4.mul': 0xe6,
  'f64x2.neg': 0xed,
  'f64x2.sqrt': 0xef,
  'f64x2.add': 0xf0,
  'f64x2.sub': 0xf1,
  'f64x2.mul': 0xf2,
  'f64x2.div': 0xf3,
  'f64x2.pmin': 0xf6,
  'f64x2.pmax': 0xf7,
  'f32x4.relaxed_madd': 0x105,
} as const;

/**
 * The instructions that take a memory argument (alignment exponent, offset), each with its natural
 * alignment (log2 bytes), the alignment hint emitted.
 */
export const ALIGN: Record<string, number> = {
  'i32.load': 2, 'f32.load': 2, 'f32.store': 2, 'v128.load32_splat': 2,
  'v128.load': 4, 'v128.store': 4, 'v128.load64_zero': 3, 'v128.store64_lane': 3, 'v128.load32_zero': 2, 'v128.store32_lane': 2,
};

export type PlainOp = keyof typeof PLAIN;
export type SimdOp = keyof typeof SIMD;
export type Op = PlainOp | SimdOp;

/** Value types (binary encoding). */
export const I32 = 0x7f;
/** The wasm value type f32 (its binary code), for `WasmFunc` locals and parameters. */
export const F32 = 0x7d;
/** The wasm value type f64 (its binary code), for float64 parameters. */
export const F64 = 0x7c;
/** The wasm value type v128 (a 128-bit SIMD vector), for `WasmFunc` locals and parameters. */
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof F64 | typeof V128;
