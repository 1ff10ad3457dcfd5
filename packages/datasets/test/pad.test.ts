import * as fc from 'fast-check';
import { Tensor } from '@seqlab/tensor';
import { Int32Padded, padSequences } from '@seqlab/datasets';

describe('padSequences (Keras pad_sequences)', () => {
  const seqs = [[1, 2, 3], [4, 5], [6]];

  test('defaults: maxlen = longest, pre padding, value 0', () => {
    const t = padSequences(seqs);
    expect(t.shape).toEqual([3, 3]);
    expect(t.toArray()).toEqual([[1, 2, 3], [0, 4, 5], [0, 0, 6]]);
  });

  test('truncating pre keeps the end, post keeps the start', () => {
    expect(padSequences(seqs, { maxlen: 2 }).toArray()).toEqual([[2, 3], [4, 5], [0, 6]]);
    expect(padSequences(seqs, { maxlen: 2, truncating: 'post' }).toArray()).toEqual([[1, 2], [4, 5], [0, 6]]);
    expect(padSequences(seqs, { maxlen: 2, truncating: 'post', padding: 'post' }).toArray()).toEqual([[1, 2], [4, 5], [6, 0]]);
  });

  test("seed 000, first example: post padding and truncating, value -1, maxlen 5", () => {
    const input = [[4, 12, 33, 18], [63, 23, 54, 30, 19, 3], [43, 37, 11, 33, 15]];
    const out = padSequences(input, { maxlen: 5, padding: 'post', truncating: 'post', value: -1 });
    expect(out.toArray()).toEqual([[4, 12, 33, 18, -1], [63, 23, 54, 30, 19], [43, 37, 11, 33, 15]]);
  });

  test('seed 000, second example: feature vectors padded with [0, 0]', () => {
    const input = [[[2, 1], [3, 3]], [[4, 3], [2, 4], [1, 1]]];
    const out = padSequences(input, { padding: 'post' });
    expect(out.shape).toEqual([2, 3, 2]);
    expect(out.toArray()).toEqual([[[2, 1], [3, 3], [0, 0]], [[4, 3], [2, 4], [1, 1]]]);
    expect(padSequences(input).toArray()).toEqual([[[0, 0], [2, 1], [3, 3]], [[4, 3], [2, 4], [1, 1]]]);
  });

  test('empty sequences become rows of padding; an empty list gives [0, 0]', () => {
    expect(padSequences([[], [7]], { value: 9 }).toArray()).toEqual([[9], [7]]);
    expect(padSequences([]).shape).toEqual([0, 0]);
    expect(padSequences([[], []]).shape).toEqual([2, 0]);
  });

  test('int32 output (the default, as Keras) is a typed array with a shape; float32 on request', () => {
    const out = padSequences([[1, 2], [3]]);
    expect(out).toBeInstanceOf(Int32Padded);
    expect(out.data).toBeInstanceOf(Int32Array);
    expect(Array.from(out.data)).toEqual([1, 2, 0, 3]);
    expect(out.shape).toEqual([2, 2]);
    expect(padSequences([[1, 2], [3]], { dtype: 'int32' }).data).toBeInstanceOf(Int32Array);
    const t = out.toTensor();
    expect([t.dtype, t.shape, Array.from(t.data)]).toEqual(['float32', [2, 2], [1, 2, 0, 3]]);
    const f = padSequences([[1.5, NaN], [3e9]], { dtype: 'float32' });
    expect(f).toBeInstanceOf(Tensor);
    expect(Array.from(f.data)).toEqual([1.5, NaN, 0, Math.fround(3e9)]);
  });

  test('int32: NaN, fractions and values beyond int32 are refused where they sit, never rounded or wrapped', () => {
    expect(() => padSequences([[1, NaN]])).toThrow(/padSequences: dtype 'int32' needs integers in \[-2\^31, 2\^31\), received NaN at row 0, step 1 of the result; pass dtype: 'float32'/);
    expect(() => padSequences([[2], [1.5, 4]])).toThrow(/received 1.5 at row 1, step 0/);
    expect(() => padSequences([[3e9]], { dtype: 'int32' })).toThrow(/received 3000000000 at row 0, step 0/);
    expect(() => padSequences([[[1, 2]], [[3, -Infinity]]])).toThrow(/received -Infinity at row 1, step 0/);
    expect(() => padSequences([[1]], { value: 0.5, maxlen: 2 })).toThrow(/padSequences: value must be an integer in int32 range for dtype 'int32', received 0.5/);
    // the extremes of int32 pass; beyond 2^24 a model input would change in float32, so toTensor refuses
    const big = padSequences([[2 ** 31 - 1, -(2 ** 31)]]);
    expect(Array.from(big.data)).toEqual([2 ** 31 - 1, -(2 ** 31)]);
    expect(() => big.toTensor()).toThrow(/Int32Padded.toTensor: 2147483647 at flat position 0 is beyond 2\^24/);
  });

  test('accepts typed arrays as sequences', () => {
    expect(padSequences([Int32Array.from([5, 6]), Float32Array.from([7])]).toArray()).toEqual([[5, 6], [0, 7]]);
  });

  test('clear errors', () => {
    expect(() => padSequences(seqs, { padding: 'middle' as 'pre' })).toThrow(/padSequences: padding must be 'pre' or 'post', received 'middle'/);
    expect(() => padSequences(seqs, { maxlen: -1 })).toThrow(/maxlen must be a non-negative integer/);
    expect(() => padSequences([[1], 5 as unknown as number[]])).toThrow(/sequence 1 must be an array/);
    expect(() => padSequences([[[1, 2]], [[1, 2, 3]]])).toThrow(/sequence 1 step 0 has shape \[3\], expected \[2\]/);
    expect(() => padSequences([[1], [[1, 2]]] as unknown as number[][])).toThrow(/sequence 1 step 0: expected a number/);
  });

  describe('properties', () => {
    const arb = fc.record({
      seqs: fc.array(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 12 }), { maxLength: 8 }),
      maxlen: fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
      padding: fc.constantFrom('pre' as const, 'post' as const),
      truncating: fc.constantFrom('pre' as const, 'post' as const),
      value: fc.integer({ min: -5, max: -1 }),
    });

    test('length, kept content, padding only on the padded side', () => {
      fc.assert(
        fc.property(arb, ({ seqs, maxlen, padding, truncating, value }) => {
          const out = padSequences(seqs, { maxlen, padding, truncating, value });
          const L = maxlen ?? Math.max(0, ...seqs.map((s) => s.length));
          expect(out.shape).toEqual([seqs.length, L]);
          seqs.forEach((s, i) => {
            const row = Array.from(out.data.subarray(i * L, (i + 1) * L));
            const keptN = Math.min(s.length, L);
            const kept = truncating === 'pre' ? s.slice(s.length - keptN) : s.slice(0, keptN);
            const pad = new Array(L - keptN).fill(value);
            expect(row).toEqual(padding === 'pre' ? [...pad, ...kept] : [...kept, ...pad]);
          });
        }),
        { seed: 42, numRuns: 100 },
      );
    });

    test('idempotent at maxlen = longest', () => {
      fc.assert(
        fc.property(arb, ({ seqs, padding, truncating, value }) => {
          const once = padSequences(seqs, { padding, truncating, value });
          const rows = once.toArray() as number[][];
          const twice = padSequences(rows, { padding, truncating, value, maxlen: once.shape[1] });
          expect(twice.shape).toEqual(once.shape);
          expect(Array.from(twice.data)).toEqual(Array.from(once.data));
        }),
        { seed: 42, numRuns: 100 },
      );
    });
  });
});
