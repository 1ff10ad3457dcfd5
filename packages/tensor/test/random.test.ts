import { Rng, randomUniform, randomNormal, truncatedNormal, shuffle, permutation, dropoutMask, mean, sum } from '@seqlab/tensor';
import { errorOf } from './helpers';

describe('Rng (xoshiro128**, seeded through splitmix32)', () => {
  test('golden: first outputs for fixed seeds', () => {
    // Computed with the reference C code of xoshiro128** (Blackman & Vigna, prng.di.unimi.it)
    // seeded by four splitmix32 steps (x += 0x9e3779b9; murmur3 fmix32), compiled with gcc.
    const golden: Record<number, number[]> = {
      0: [3809008728, 1133695204, 53579671, 2891528803, 139681546, 2203266335],
      42: [2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290],
      123456789: [4284103975, 1001954530, 2701803082, 2658065534, 3104308804, 4033197306],
    };
    for (const [seed, expected] of Object.entries(golden)) {
      const r = new Rng(Number(seed));
      expect(expected.map(() => r.nextUint32())).toEqual(expected);
    }
    expect(new Rng(0).next()).toBe(3809008728 / 4294967296);
  });

  test('same seed, same numbers; different seed, different numbers; reseeding restarts', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const xs = Array.from({ length: 50 }, () => a.normal());
    expect(Array.from({ length: 50 }, () => b.normal())).toEqual(xs);
    const c = new Rng(8);
    expect(Array.from({ length: 50 }, () => c.normal())).not.toEqual(xs);
    a.seed(7);
    expect(Array.from({ length: 50 }, () => a.normal())).toEqual(xs);
    expect(Array.from(randomNormal([3, 4], 0, 1, { seed: 3 }).data)).toEqual(Array.from(randomNormal([3, 4], 0, 1, { seed: 3 }).data));
  });

  test('next is in [0, 1), int in [0, n), uniform in [low, high)', () => {
    const r = new Rng(1);
    let bad = 0;
    for (let i = 0; i < 10000; i++) {
      const u = r.next();
      const k = r.int(7);
      const x = r.uniform(-3, -1);
      if (!(u >= 0 && u < 1) || !(Number.isInteger(k) && k >= 0 && k < 7) || !(x >= -3 && x < -1)) bad++;
    }
    expect(bad).toBe(0);
  });

  test('fork gives a reproducible, different stream', () => {
    const f1 = new Rng(5).fork();
    const f2 = new Rng(5).fork();
    expect(f1.nextUint32()).toBe(f2.nextUint32());
    expect(new Rng(5).fork().nextUint32()).not.toBe(new Rng(5).nextUint32());
  });
});

describe('random tensors (100k samples)', () => {
  const N = 100_000;
  function stats(data: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
    let s = 0, s2 = 0, lo = Infinity, hi = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      s += v; s2 += v * v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const m = s / data.length;
    return { mean: m, std: Math.sqrt(s2 / data.length - m * m), min: lo, max: hi };
  }

  test('randomUniform: bounds, mean, std', () => {
    const t = randomUniform([N], -2, 4, { seed: 1 });
    const st = stats(t.data);
    expect(st.min).toBeGreaterThanOrEqual(-2);
    expect(st.max).toBeLessThan(4);
    expect(Math.abs(st.mean - 1)).toBeLessThan(0.03);
    expect(Math.abs(st.std - 6 / Math.sqrt(12))).toBeLessThan(0.02);
    expect(randomUniform([2, 3], 0, 1, { seed: 1, dtype: 'float64' }).dtype).toBe('float64');
  });

  test('randomNormal: mean and std within tolerance', () => {
    const st = stats(randomNormal([N], 3, 2, { seed: 2, dtype: 'float64' }).data);
    // standard error of the mean is 2/sqrt(1e5) ≈ 0.0063
    expect(Math.abs(st.mean - 3)).toBeLessThan(0.03);
    expect(Math.abs(st.std - 2)).toBeLessThan(0.03);
    const unit = stats(randomNormal([N], 0, 1, { seed: 9 }).data);
    expect(Math.abs(unit.mean)).toBeLessThan(0.015);
    expect(Math.abs(unit.std - 1)).toBeLessThan(0.015);
  });

  test('truncatedNormal: everything within 2 std of the mean', () => {
    const t = truncatedNormal([N], 1, 0.5, { seed: 3, dtype: 'float64' });
    const st = stats(t.data);
    expect(st.min).toBeGreaterThanOrEqual(1 - 2 * 0.5);
    expect(st.max).toBeLessThanOrEqual(1 + 2 * 0.5);
    expect(Math.abs(st.mean - 1)).toBeLessThan(0.01);
    // std of a standard normal truncated to [-2, 2] is ≈ 0.8796
    expect(Math.abs(st.std - 0.5 * 0.8796)).toBeLessThan(0.01);
  });

  test('an explicit rng is advanced and shared across calls', () => {
    const r1 = new Rng(11);
    const a = randomNormal([5], 0, 1, { rng: r1 });
    const b = randomNormal([5], 0, 1, { rng: r1 });
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data));
    const r2 = new Rng(11);
    expect(Array.from(randomNormal([10], 0, 1, { rng: r2 }).data)).toEqual([...Array.from(a.data), ...Array.from(b.data)]);
  });

  test('dropoutMask: rate, values 0 or 1/(1-rate), mean ≈ 1', () => {
    for (const rate of [0, 0.1, 0.5, 0.9]) {
      const m = dropoutMask([N], rate, new Rng(4));
      let zeros = 0;
      let others = 0;
      const keep = Math.fround(1 / (1 - rate));
      for (const v of m.data) {
        if (v === 0) zeros++;
        else if (v !== keep) others++;
      }
      expect(others).toBe(0);
      expect(Math.abs(zeros / N - rate)).toBeLessThan(0.01);
      expect(Math.abs(mean(m).item() - 1)).toBeLessThan(rate === 0.9 ? 0.06 : 0.02);
    }
    expect(errorOf(() => dropoutMask([2, 3], 1, new Rng(0)))).toBe('dropoutMask: rate must be in [0, 1), received 1 for shape [2,3]');
  });

  test('shuffle and permutation are seeded permutations', () => {
    const p = permutation(100, new Rng(6));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(permutation(100, new Rng(6))).toEqual(p);
    expect(p).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(shuffle(['a', 'b', 'c'], new Rng(1)).sort()).toEqual(['a', 'b', 'c']);
    // each position is roughly uniform over values
    const counts = new Array(5).fill(0);
    const r = new Rng(12);
    for (let i = 0; i < 20000; i++) counts[permutation(5, r)[0]]++;
    for (const c of counts) expect(Math.abs(c / 20000 - 0.2)).toBeLessThan(0.02);
    expect(sum(randomUniform([0], 0, 1)).item()).toBe(0);
  });

  test('errors', () => {
    expect(errorOf(() => randomUniform([2], 1, 0))).toBe('randomUniform: maxval 0 is below minval 1');
    expect(errorOf(() => randomNormal([2, -1]))).toBe('randomNormal: invalid shape [2,-1]');
  });
});
