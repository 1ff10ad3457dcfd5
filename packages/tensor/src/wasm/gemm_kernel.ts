/**
 * The GEMM module: a register-tiled micro-kernel over packed operands, and the packers.
 *
 * C[m,n] += A[m,k]·B[k,n] is cut into tiles of 4 rows × 8 columns. A tile's 32 sums live in eight
 * f32x4 locals (registers) for the whole k loop; each step p loads one row of the B panel (two
 * f32x4), splats A[i+r, p] for each row r, and does eight vector multiply-adds:
 *
 *   acc[r][v] += splat(A[i+r, p]) * B[p, j+4v .. j+4v+3]        r = 0..3, v = 0, 1
 *
 * Both operands are packed first, so the loop reads two sequential streams whatever the layout:
 *   A strips (packA):  pa[(t·k + p)·4 + r] = A[4t + r, p]               4 rows, contiguous along k
 *   B panels (packB):  pb[(q·kc + p)·8 + s] = B[pc + p, jc + 8q + s]    8 columns, per k block
 * packA reads A through a row stride and a k stride (A [m,k], or A stored [k,m] for Aᵀ·B); packB
 * reads B [k,n], packBT B stored [n,k] (for A·Bᵀ). So the three layouts differ only in how they
 * pack. Past the edges the packs hold zeros, and C is a scratch with rows padded to a multiple of 8
 * columns and 4 rows, so every tile is whole: no edge code in the kernel.
 *
 * B's column sums (colSums) come with the module: a weight-gradient product sums its B, the
 * gate gradients, into the bias gradient while B is in wasm memory.
 *
 * Why this shape (bench/README.md): V8 keeps wasm locals in the 16 xmm registers and hoists the
 * loads; a 4×8 tile uses 8 accumulators + 2 B vectors + 1 splat; larger tiles, or k unrolled by
 * two, spill. With relaxed SIMD, `f32x4.relaxed_madd` fuses each multiply-add (FMA where the CPU
 * has it); otherwise `f32x4.mul` then `f32x4.add`.
 */
import { Func, I32, V128, encodeModule } from './encode';

/** Four 32-bit lanes picked from two vectors (`Func.shuffle32`). */
type Lanes = [number, number, number, number];

/** Rows of a tile (the kernel's MR); columns are always 8 (two f32x4). */
export const TILE_ROWS = 4;
export const TILE_COLS = 8;

/** acc += x·b, fused when the engine has relaxed SIMD. */
function madd(f: Func, x: string, b: string, acc: string, fma: boolean): void {
  if (fma) f.get(x).get(b).get(acc).op('f32x4.relaxed_madd').set(acc);
  else f.get(acc).get(x).get(b).op('f32x4.mul').op('f32x4.add').set(acc);
}

/**
 * kernel(pa, ts, pb, kc, c, ldc, tiles, panels, accumulate): for each of `tiles` row tiles (A
 * strips `ts` bytes apart) and `panels` column panels, C tile (+)= A strip · B panel over kc
 * steps. Byte pointers; `accumulate` 0 overwrites C, 1 adds to it.
 */
function microKernel(fma: boolean): Func {
  const f = new Func('kernel', [['pa', I32], ['ts', I32], ['pb', I32], ['kc', I32], ['c', I32], ['ldc', I32], ['tiles', I32], ['panels', I32], ['accumulate', I32]]);
  const rows = Array.from({ length: TILE_ROWS }, (_, r) => r);
  const acc = rows.map((r) => [f.local(`c${r}0`, V128), f.local(`c${r}1`, V128)]);
  const [t, q, ap, at, bp, bEnd, bq, cq, cp, x, b0, b1, panelBytes] = [
    f.local('t', I32), f.local('q', I32), f.local('ap', I32), f.local('at', I32), f.local('bp', I32), f.local('bEnd', I32), f.local('bq', I32),
    f.local('cq', I32), f.local('cp', I32), f.local('x', V128), f.local('b0', V128), f.local('b1', V128), f.local('panelBytes', I32),
  ];
  // panelBytes = kc · 8 floats · 4 bytes
  f.get('kc').i32(32).op('i32.mul').set(panelBytes);
  f.get('pa').set(at);
  f.get('c').set(cq);
  f.for(t, 0, 'tiles', 1, () => {
    f.get('pb').set(bq);
    f.for(q, 0, 'panels', 1, () => {
      for (const [v0, v1] of acc) f.f32x4(0).tee(v0).set(v1);
      f.get(at).set(ap);
      f.get(bq).tee(bp).get(panelBytes).op('i32.add').set(bEnd);
      f.block(() => f.loop(() => {
        f.get(bp).get(bEnd).op('i32.ge_u').brIf(1);
        f.get(bp).op('v128.load').set(b0);
        f.get(bp).op('v128.load', 16).set(b1);
        for (const r of rows) {
          // x = splat(A[i + r, p]), at byte 4r of the strip's step p
          f.get(ap).op('v128.load32_splat', 4 * r).set(x);
          madd(f, x, b0, acc[r][0], fma);
          madd(f, x, b1, acc[r][1], fma);
        }
        f.inc(ap, 4 * TILE_ROWS).inc(bp, 32).br(0);
      }));
      // write the tile: C (+)= acc, row r at cq + r·ldc, columns at +0 and +16 bytes
      f.get(cq).set(cp);
      for (const r of rows) {
        for (const [v, off] of [[0, 0], [1, 16]] as const) {
          f.get('accumulate').if(() => f.get(cp).op('v128.load', off).get(acc[r][v]).op('f32x4.add').set(acc[r][v]));
          f.get(cp).get(acc[r][v]).op('v128.store', off);
        }
        f.inc(cp, 'ldc');
      }
      f.inc(bq, panelBytes).inc(cq, 32);
    });
    // next row tile: C rows 4 further down (cq has moved 32·panels bytes along the row)
    f.inc(at, 'ts');
    f.get(cq).get('panels').i32(32).op('i32.mul').op('i32.sub').get('ldc').i32(TILE_ROWS).op('i32.mul').op('i32.add').set(cq);
  });
  return f;
}

/**
 * packA(src, rs, ks, rows, kc, dst): A's rows in strips of 4, contiguous along k:
 * pa[(t·kc + p)·4 + r] = A[4t + r, p], zeros past `rows`. A[i, p] is at src + i·rs + p·ks bytes,
 * so the same packer reads A [m, k] (rs = 4·lda, ks = 4) and A stored [k, m] (rs = 4, ks = 4·lda).
 *
 * Whole strips move four floats at a time. Stored [k, m], a strip's step p is four adjacent
 * floats: one load and one store. Stored [m, k], four steps of the strip's four rows load as
 * four vectors (one a row) and a 4×4 transpose by shuffles makes them four steps:
 *
 *   rows  a0 a1 a2 a3 / b0 .. / c0 .. / d0 ..   ->   steps  a0 b0 c0 d0 / a1 b1 c1 d1 / ...
 *
 * The rest (A [m, k] when k is not a multiple of 4, the rows of a last partial strip, the padding)
 * goes a float at a time.
 */
function packA(): Func {
  const f = new Func('packA', [['src', I32], ['rs', I32], ['ks', I32], ['rows', I32], ['kc', I32], ['dst', I32]]);
  const [i, p, sp, dp, whole] = ['i', 'p', 'sp', 'dp', 'whole'].map((n) => f.local(n, I32));
  const r = [0, 1, 2, 3].map((k) => f.local(`r${k}`, V128));
  const mid = [0, 1, 2, 3].map((k) => f.local(`m${k}`, V128));
  // dp = dst + (i >> 2)·kc·16 + (i & 3)·4: where row i's step 0 goes
  const rowStart = () => {
    f.get('dst').get(i).i32(2).op('i32.shr_u').get('kc').op('i32.mul').i32(4).op('i32.shl').op('i32.add');
    f.get(i).i32(3).op('i32.and').i32(2).op('i32.shl').op('i32.add').set(dp);
  };
  f.get('rows').i32(-4).op('i32.and').set(whole);
  f.get('rs').i32(4).op('i32.eq').if(() => {
    // stored [k, m]: strip t's step p is the four floats at src + 16t + p·ks
    f.for(i, 0, whole, 4, () => {
      rowStart();
      f.get('src').get(i).i32(2).op('i32.shl').op('i32.add').set(sp);
      f.for(p, 0, 'kc', 1, () => {
        f.get(dp).get(sp).op('v128.load').op('v128.store');
        f.inc(sp, 'ks').inc(dp, 16);
      });
    });
  });
  // stored [m, k] with k a multiple of 4 (other k go a float at a time): four rows of four
  // steps each, r[0..3], transposed to four steps of four rows
  f.get('rs').i32(4).op('i32.ne').get('ks').i32(4).op('i32.eq').op('i32.and').get('kc').i32(3).op('i32.and').op('i32.eqz').op('i32.and').if(() => {
    f.for(i, 0, whole, 4, () => {
      rowStart();
      f.get('src').get(i).get('rs').op('i32.mul').op('i32.add').set(sp);
      f.for(p, 0, 'kc', 4, () => {
        r.forEach((v, k) => f.get(sp).get('rs').i32(k).op('i32.mul').op('i32.add').op('v128.load').set(v));
        // rows (0, 1) and (2, 3) interleaved: mid = a0 b0 a1 b1, a2 b2 a3 b3, c0 d0 c1 d1, c2 d2 c3 d3
        ([[0, 4, 1, 5], [2, 6, 3, 7]] as Lanes[]).forEach((l, h) => [0, 2].forEach((k) => f.get(r[k]).get(r[k + 1]).shuffle32(l).set(mid[k + h])));
        // then joined: step q of the strip is a_q b_q c_q d_q
        ([[0, 1, 4, 5], [2, 3, 6, 7]] as Lanes[]).forEach((l, q) => [0, 1].forEach((h) => f.get(dp).get(mid[h]).get(mid[2 + h]).shuffle32(l).op('v128.store', 32 * h + 16 * q)));
        f.inc(sp, 16).inc(dp, 64);
      });
    });
  });
  // i = whole after either case above, else 0: then every row goes a float at a time
  f.get(i).set(whole);
  // the rows of a last partial strip (all rows when no case above applied)
  f.for(i, whole, 'rows', 1, () => {
    rowStart();
    f.get('src').get(i).get('rs').op('i32.mul').op('i32.add').set(sp);
    f.for(p, 0, 'kc', 1, () => {
      f.get(dp).get(sp).op('f32.load').op('f32.store');
      f.inc(sp, 'ks').inc(dp, 16);
    });
  });
  // the rows that pad the last strip to 4
  f.block(() => f.loop(() => {
    f.get(i).i32(3).op('i32.and').op('i32.eqz').brIf(1);
    rowStart();
    f.for(p, 0, 'kc', 1, () => {
      f.get(dp).f32(0).op('f32.store');
      f.inc(dp, 16);
    });
    f.inc(i, 1).br(0);
  }));
  return f;
}

/**
 * packB(src, ld, kc, nc, dst): pb[(q·kc + p)·8 + s] = B[p, 8q + s] from B [kc, nc] at `src` with
 * row stride `ld` bytes; zeros past column nc. Whole panels move as two f32x4 per row.
 */
function packB(): Func {
  const f = new Func('packB', [['src', I32], ['ld', I32], ['kc', I32], ['nc', I32], ['dst', I32]]);
  const [j, p, sp, sb, whole, colBytes] = [f.local('j', I32), f.local('p', I32), f.local('sp', I32), f.local('sb', I32), f.local('whole', I32), f.local('colBytes', I32)];
  f.get('nc').i32(-8).op('i32.and').set(whole);
  f.for(j, 0, whole, 8, () => {
    f.get('src').get(j).i32(2).op('i32.shl').op('i32.add').set(sp);
    f.for(p, 0, 'kc', 1, () => {
      f.get('dst').get(sp).op('v128.load').op('v128.store');
      f.get('dst').get(sp).op('v128.load', 16).op('v128.store', 16);
      f.inc('dst', 32).inc(sp, 'ld');
    });
  });
  // the last, partial panel: zeros, then the nc - whole columns that exist (sb: byte offset)
  f.get(whole).get('nc').op('i32.lt_s').if(() => {
    f.get('src').get(whole).i32(2).op('i32.shl').op('i32.add').set(sp);
    f.get('nc').get(whole).op('i32.sub').i32(2).op('i32.shl').set(colBytes);
    f.for(p, 0, 'kc', 1, () => {
      f.get('dst').f32x4(0).op('v128.store');
      f.get('dst').f32x4(0).op('v128.store', 16);
      f.for(sb, 0, colBytes, 4, () => {
        f.get('dst').get(sb).op('i32.add');
        f.get(sp).get(sb).op('i32.add').op('f32.load');
        f.op('f32.store');
      });
      f.inc('dst', 32).inc(sp, 'ld');
    });
  });
  return f;
}

/**
 * packBT(src, ld, kc, nc, dst): the same panels from B stored transposed, [nc, kc] at `src` with
 * row stride `ld` bytes: B[p, j] = src[j·ld + 4p].
 */
function packBT(): Func {
  const f = new Func('packBT', [['src', I32], ['ld', I32], ['kc', I32], ['nc', I32], ['dst', I32]]);
  const [j, s, p, sp, dp, col] = [f.local('j', I32), f.local('s', I32), f.local('p', I32), f.local('sp', I32), f.local('dp', I32), f.local('col', I32)];
  f.for(j, 0, 'nc', 8, () => {
    f.for(s, 0, 8, 1, () => {
      f.get('dst').get(s).i32(2).op('i32.shl').op('i32.add').set(dp);
      f.get(j).get(s).op('i32.add').tee(col);
      f.get('nc').op('i32.lt_s').if(() => {
        // column j + s exists: its kc values, contiguous in src, go down the panel
        f.get('src').get(col).get('ld').op('i32.mul').op('i32.add').set(sp);
        f.for(p, 0, 'kc', 1, () => {
          f.get(dp).get(sp).op('f32.load').op('f32.store');
          f.inc(sp, 4).inc(dp, 32);
        });
      });
      f.get(col).get('nc').op('i32.ge_s').if(() => {
        f.for(p, 0, 'kc', 1, () => {
          f.get(dp).f32(0).op('f32.store');
          f.inc(dp, 32);
        });
      });
    });
    f.get('kc').i32(32).op('i32.mul').get('dst').op('i32.add').set('dst');
  });
  return f;
}

/**
 * colSums(src, ld, k, n, dst): dst[j] = Σ_p B[p, j] for p = 0..k-1 in order, in float64, from B
 * [k, n] at `src` (row stride `ld` bytes) into float64 dst[n] (the bias gradient a weight-gradient
 * GEMM sums on the way: `bColumnSums`). Eight columns a pass down the rows, as four f64x2 sums
 * that do not wait on each other; then two columns to an f64x2, and the last one alone when n is
 * odd. Each lane is one column's own sum of promoted floats in the order a scalar loop takes, so
 * the sums are that loop's, bit for bit.
 */
function colSums(): Func {
  const f = new Func('colSums', [['src', I32], ['ld', I32], ['k', I32], ['n', I32], ['dst', I32]]);
  const [j, p, sp, end] = [f.local('j', I32), f.local('p', I32), f.local('sp', I32), f.local('end', I32)];
  const acc = [0, 1, 2, 3].map((u) => f.local(`s${u}`, V128));
  // the sums of `lanes` columns from j on: `lanes` / 2 f64x2 sums (one with one column when 1)
  const sums = (lanes: 8 | 2 | 1) => {
    const vs = acc.slice(0, Math.max(1, lanes / 2));
    for (const s of vs) f.f64x2(0).set(s);
    f.get('src').get(j).i32(2).op('i32.shl').op('i32.add').set(sp);
    f.for(p, 0, 'k', 1, () => {
      vs.forEach((s, u) => f.get(s).get(sp).op(lanes === 1 ? 'v128.load32_zero' : 'v128.load64_zero', 8 * u).op('f64x2.promote_low_f32x4').op('f64x2.add').set(s));
      f.inc(sp, 'ld');
    });
    vs.forEach((s, u) => {
      f.get('dst').get(j).i32(3).op('i32.shl').op('i32.add').get(s);
      if (lanes === 1) f.storeLane('v128.store64_lane', 0, 0);
      else f.op('v128.store', 16 * u);
    });
  };
  f.get('n').i32(-8).op('i32.and').set(end);
  f.for(j, 0, end, 8, () => sums(8));
  f.get('n').i32(-2).op('i32.and').set(end);
  f.for(j, j, end, 2, () => sums(2));
  f.get(j).get('n').op('i32.lt_s').if(() => sums(1));
  return f;
}

/** The GEMM module's bytes: the micro-kernel (FMA or mul+add), the packers of A and B, and B's column sums. */
export function gemmModule(fma: boolean): Uint8Array {
  return encodeModule([microKernel(fma), packA(), packB(), packBT(), colSums()]);
}
