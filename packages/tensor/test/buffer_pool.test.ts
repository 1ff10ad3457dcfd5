/**
 * The buffer pool (buffer_pool.ts): a buffer given back is what the next take of its kind gets,
 * zeroed; kinds (type, plain or shared, length) never mix; small buffers and partial views are
 * not kept; the limit evicts the oldest; misuse is refused by name.
 */
import { POOL_MIN_VALUES, bufferPoolBytes, giveBack, setBufferPoolLimit, sharedBuffer, takeBuffer } from '@seqlab/tensor';

const N = POOL_MIN_VALUES;

describe('buffer pool', () => {
  let saved: number;
  beforeEach(() => {
    saved = setBufferPoolLimit(0); // empty it
    setBufferPoolLimit(64 * N * 8);
  });
  afterEach(() => setBufferPoolLimit(saved));

  test('a buffer given back is taken again, zeroed', () => {
    const a = takeBuffer('float32', N);
    expect(a).toBeInstanceOf(Float32Array);
    a.fill(7);
    giveBack(a);
    expect(bufferPoolBytes()).toBe(4 * N);
    const b = takeBuffer('float32', N);
    expect(b).toBe(a);
    expect(b.every((v) => v === 0)).toBe(true);
    expect(bufferPoolBytes()).toBe(0);
  });

  test('kinds do not mix: dtype, length, plain or shared', () => {
    const a = takeBuffer('float32', N);
    giveBack(a);
    expect(takeBuffer('float64', N)).not.toBe(a);
    expect(takeBuffer('float32', N + 4)).not.toBe(a);
    const s = takeBuffer('float32', N, sharedBuffer);
    expect(s).not.toBe(a);
    expect(s.buffer).toBeInstanceOf(SharedArrayBuffer);
    giveBack(s);
    expect(takeBuffer('float32', N)).toBe(a);
    expect(takeBuffer('float32', N, sharedBuffer)).toBe(s);
  });

  test('small buffers, partial views and null are not kept', () => {
    giveBack(new Float32Array(N - 1), new Float32Array(2 * N).subarray(0, N), null);
    expect(bufferPoolBytes()).toBe(0);
  });

  test('giving the same buffer back twice is refused', () => {
    const a = takeBuffer('float64', N);
    giveBack(a);
    expect(() => giveBack(a)).toThrow(/giveBack: this buffer was already given back/);
  });

  test('the limit evicts the oldest first; 0 empties the pool', () => {
    setBufferPoolLimit(2 * 4 * N);
    const [a, b, c] = [takeBuffer('float32', N), takeBuffer('float32', N), takeBuffer('float32', N)];
    giveBack(a, b, c);
    expect(bufferPoolBytes()).toBe(2 * 4 * N);
    expect(takeBuffer('float32', N)).toBe(c);
    expect(takeBuffer('float32', N)).toBe(b);
    expect(takeBuffer('float32', N)).not.toBe(a);
    giveBack(b);
    setBufferPoolLimit(0);
    expect(bufferPoolBytes()).toBe(0);
    expect(takeBuffer('float32', N)).not.toBe(b);
  });

  test('setBufferPoolLimit refuses what is not a byte count', () => {
    for (const bad of [-1, 1.5, NaN, Infinity]) {
      expect(() => setBufferPoolLimit(bad)).toThrow(`setBufferPoolLimit: expected a non-negative integer number of bytes, received ${bad}`);
    }
  });
});
