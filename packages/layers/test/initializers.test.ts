import fc from 'fast-check';
import * as T from '@seqlab/tensor';
import { initializers } from '@seqlab/layers';

/** Max |QQᵀ - I| over the shorter side. */
function orthoError(q: T.Tensor): number {
  const [r, c] = q.shape;
  const short = Math.min(r, c);
  let err = 0;
  for (let i = 0; i < short; i++) {
    for (let j = 0; j < short; j++) {
      let s = 0;
      if (r <= c) for (let k = 0; k < c; k++) s += q.data[i * c + k] * q.data[j * c + k];
      else for (let k = 0; k < r; k++) s += q.data[k * c + i] * q.data[k * c + j];
      err = Math.max(err, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  return err;
}

describe('orthogonal', () => {
  test('orthonormal rows or columns for any shape, seeded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 80 }), fc.nat(), (r, c, seed) => {
        const q = initializers.orthogonal(1, { seed })([r, c]);
        expect(orthoError(q)).toBeLessThan(1e-6);
        expect(Array.from(initializers.orthogonal(1, { seed })([r, c]).data)).toEqual(Array.from(q.data));
      }),
      { seed: 5, numRuns: 40 },
    );
  });

  test('is the Q of A = QR with a positive diagonal (checked against plain Gram-Schmidt on the same draw)', () => {
    const [r, c] = [70, 40]; // more than one 32-row block
    const q = initializers.orthogonal(1, { seed: 3 })([r, c]);
    const a = T.randomNormal([r, c], 0, 1, { seed: 3, dtype: 'float64' });
    // classical Gram-Schmidt on the columns of A, twice
    const cols = Array.from({ length: c }, (_, j) => Array.from({ length: r }, (_, i) => a.data[i * c + j]));
    for (let j = 0; j < c; j++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let k = 0; k < j; k++) {
          const dot = cols[j].reduce((s, x, i) => s + x * cols[k][i], 0);
          cols[j] = cols[j].map((x, i) => x - dot * cols[k][i]);
        }
      }
      const n = Math.hypot(...cols[j]);
      cols[j] = cols[j].map((x) => x / n);
    }
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) expect(q.data[i * c + j]).toBeCloseTo(cols[j][i], 5);
  });

  test('[512, 2048] (an LSTM(512) recurrent kernel) is orthonormal', () => {
    expect(orthoError(initializers.orthogonal()([512, 2048]))).toBeLessThan(1e-6);
  });
});

describe('other initializers follow Keras', () => {
  test('glorotUniform, heUniform bounds; glorotNormal, heNormal spread; constants', () => {
    const gu = initializers.glorotUniform({ seed: 1 })([300, 200]);
    const limit = Math.sqrt(6 / 500);
    expect(Math.max(...gu.data)).toBeLessThanOrEqual(limit);
    expect(Math.max(...gu.data)).toBeGreaterThan(limit * 0.99);
    const hu = initializers.heUniform({ seed: 1 })([300, 200]);
    expect(Math.max(...hu.data)).toBeLessThanOrEqual(Math.sqrt(6 / 300));
    const std = (t: T.Tensor) => Math.sqrt(T.mean(T.square(t)).item() - T.mean(t).item() ** 2);
    expect(std(initializers.glorotNormal({ seed: 2 })([300, 200]))).toBeCloseTo(Math.sqrt(2 / 500), 2);
    expect(std(initializers.heNormal({ seed: 2 })([300, 200]))).toBeCloseTo(Math.sqrt(2 / 300), 2);
    expect(Array.from(initializers.constant(0.5)([3]).data)).toEqual([0.5, 0.5, 0.5]);
    expect(() => initializers.getInitializer('glorot_uniformish')).toThrow("unknown initializer 'glorot_uniformish'");
    expect(initializers.getInitializer('glorot_uniform')).toBeInstanceOf(Function);
  });
});
