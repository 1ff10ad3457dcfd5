/**
 * The lanes module: the element-wise primitives the fused recurrent cells are written in, each an
 * expression over float32 operands in wasm memory, evaluated four lanes at a time (f32x4), then one
 * at a time (f32) for the n mod 4 values left:
 *
 *   copy(out, a, n)            out = a
 *   mul(out, a, b, n)          out = a ⊙ b
 *   add(out, a, b, n)          out = a + b
 *   madd(out, a, b, c, n)      out = a ⊙ b + c
 *   mul2add(out, a, b, c, d, n) out = a ⊙ b + c ⊙ d
 *   lerp(out, z, a, b, n)      out = z ⊙ a + (1 - z) ⊙ b
 *   mulDiff(out, a, b, c, n)   out = a ⊙ (b - c)
 *   mulCompl(out, a, b, n)     out = a ⊙ (1 - b)
 *   sigmoidGrad(out, d, y, n)  out = d ⊙ (y ⊙ (1 - y))          σ' through its output y = σ(x)
 *   tanhGrad(out, d, y, n)     out = d ⊙ (1 - y ⊙ y)            tanh' through y = tanh(x)
 *
 * Operands are byte pointers; `out` may be any of the inputs (each vector is loaded before it is
 * stored). Every operation rounds to float32, lane by lane, in the order the expression is written
 * (a ⊙ b + c is mul then add, never fused), so the f32x4 loop, the f32 tail and the scalar versions
 * in lanes.ts (Math.fround after each operation) agree bit for bit.
 */
import { Func, I32, encodeModule } from './encode';
import { Op } from './opcodes';

/** An expression: an operand by name, the constant 1, or an operation on two expressions. */
export type LaneExpr = string | 1 | ['add' | 'sub' | 'mul', LaneExpr, LaneExpr];

/** The primitives: their operands, in call order after `out`, and the expression stored to out. */
export const LANE_OPS = {
  copy: { args: ['a'], expr: 'a' },
  mul: { args: ['a', 'b'], expr: ['mul', 'a', 'b'] },
  add: { args: ['a', 'b'], expr: ['add', 'a', 'b'] },
  madd: { args: ['a', 'b', 'c'], expr: ['add', ['mul', 'a', 'b'], 'c'] },
  mul2add: { args: ['a', 'b', 'c', 'd'], expr: ['add', ['mul', 'a', 'b'], ['mul', 'c', 'd']] },
  lerp: { args: ['z', 'a', 'b'], expr: ['add', ['mul', 'z', 'a'], ['mul', ['sub', 1, 'z'], 'b']] },
  mulDiff: { args: ['a', 'b', 'c'], expr: ['mul', 'a', ['sub', 'b', 'c']] },
  mulCompl: { args: ['a', 'b'], expr: ['mul', 'a', ['sub', 1, 'b']] },
  sigmoidGrad: { args: ['d', 'y'], expr: ['mul', 'd', ['mul', 'y', ['sub', 1, 'y']]] },
  tanhGrad: { args: ['d', 'y'], expr: ['mul', 'd', ['sub', 1, ['mul', 'y', 'y']]] },
} as const satisfies Record<string, { args: readonly string[]; expr: LaneExpr }>;

/** The name of a lanes primitive (`copy`, `mul`, `mul2add`, …). */
export type LaneOp = keyof typeof LANE_OPS;

/** Pushes the expression's value, as f32x4 (`vector`) or f32, with the operands at pointer + i. */
function emit(f: Func, e: LaneExpr, vector: boolean): void {
  if (e === 1) {
    if (vector) f.f32x4(1); else f.f32(1);
  } else if (typeof e === 'string') {
    f.get(e).get('i').op('i32.add').op(vector ? 'v128.load' : 'f32.load');
  } else {
    emit(f, e[1], vector);
    emit(f, e[2], vector);
    f.op(`${vector ? 'f32x4' : 'f32'}.${e[0]}` as Op);
  }
}

/** The loop over whole vectors of one row of n values, then its tail value by value. */
function emitRow(f: Func, expr: LaneExpr): void {
  const [i, whole, end] = ['i', 'whole', 'end'];
  f.for(i, 0, whole, 16, () => {
    f.get('out').get(i).op('i32.add');
    emit(f, expr, true);
    f.op('v128.store');
  });
  f.for(i, whole, end, 4, () => {
    f.get('out').get(i).op('i32.add');
    emit(f, expr, false);
    f.op('f32.store');
  });
}

/** Locals i, whole = 16·⌊n/4⌋ and end = 4·n (byte bounds of a row). */
function rowBounds(f: Func): void {
  const [whole, end] = [f.local('whole', I32), f.local('end', I32)];
  f.local('i', I32);
  f.get('n').i32(-4).op('i32.and').i32(2).op('i32.shl').set(whole);
  f.get('n').i32(2).op('i32.shl').set(end);
}

const ptrParams = (names: readonly string[]): [string, typeof I32][] => names.map((a) => [a, I32]);

/** name(out, ...args, n): one row. */
function laneFunction(name: LaneOp): Func {
  const { args, expr } = LANE_OPS[name];
  const f = new Func(name, [...ptrParams(['out', ...args]), ['n', I32]]);
  rowBounds(f);
  emitRow(f, expr as LaneExpr);
  return f;
}

/**
 * nameRows(out, ...args, n, rows, outStride, ...argStrides): `rows` rows of n values, each operand
 * advancing by its own byte stride after a row (a gate block of every batch row of a step).
 */
function laneRowsFunction(name: LaneOp): Func {
  const { args, expr } = LANE_OPS[name];
  const operands = ['out', ...args];
  const strides = operands.map((a) => `${a}Stride`);
  const f = new Func(`${name}Rows`, [...ptrParams(operands), ['n', I32], ['rows', I32], ...ptrParams(strides)]);
  const r = f.local('r', I32);
  rowBounds(f);
  f.for(r, 0, 'rows', 1, () => {
    emitRow(f, expr as LaneExpr);
    operands.forEach((a, k) => f.inc(a, strides[k]));
  });
  return f;
}

/**
 * Rows picked by int32 ids (an Embedding's lookup and its gradient, gather_rows.ts), k < count in
 * order, for the ids with 0 <= ids[k] - lo < span (v = ids[k] - lo); each row the loop of `copy` or `add`:
 *   gatherRows(base, src, ids, n, count, lo, span)       row k of base = row v of src
 *   scatterAddRows(base, src, ids, n, count, lo, span)   row v of base += row k of src
 */
function idRowsFunction(add: boolean): Func {
  const f = new Func(add ? 'scatterAddRows' : 'gatherRows', ptrParams(['base', 'src', 'ids', 'n', 'count', 'lo', 'span']));
  const [k, v] = [f.local('k', I32), f.local('v', I32)];
  for (const p of ['out', 'a', 'b']) f.local(p, I32);
  rowBounds(f);
  f.for(k, 0, 'count', 1, () => {
    f.get('ids').op('i32.load').get('lo').op('i32.sub').set(v);
    f.get(v).get('span').op('i32.lt_u').if(() => {
      // a: row v of the picked operand; the row k of the other is out (gather) or b (scatter)
      f.get(v).get('end').op('i32.mul').get(add ? 'base' : 'src').op('i32.add').set('a');
      f.get(k).get('end').op('i32.mul').get(add ? 'src' : 'base').op('i32.add').set(add ? 'b' : 'out');
      if (add) f.get('a').set('out');
      emitRow(f, add ? ['add', 'a', 'b'] : 'a');
    });
    f.inc('ids', 4);
  });
  return f;
}

/** The lanes module's bytes: per primitive of LANE_OPS, its one-row function and its rows function; the id-row functions. */
export function lanesModule(): Uint8Array {
  const ops = Object.keys(LANE_OPS) as LaneOp[];
  return encodeModule([...ops.map(laneFunction), ...ops.map(laneRowsFunction), idRowsFunction(false), idRowsFunction(true)]);
}
