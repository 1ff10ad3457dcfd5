/**
 * The buffer pool (buffer_pool.ts): a buffer given back is what the next take of its kind gets,
 * zeroed; kinds (type, plain or shared, length) never mix; small plain buffers and partial views
 * are not kept, small shared ones are; shared copies of any kind of array come from the pool too;
 * the limit evicts the oldest; misuse is refused by name.
 */
import { POOL_MIN_VALUES, bufferPoolBytes, giveBack, setBufferPoolLimit, sharedBuffer, takeBuffer, takeSharedCopy } from '@seqlab/tensor';

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

  test('small plain buffers, partial views and null are not kept', () => {
    giveBack(new Float32Array(N - 1), new Float32Array(2 * N).subarray(0, N), null);
    expect(bufferPoolBytes()).toBe(0);
  });

  test('shared buffers are kept at any size', () => {
    const s = takeBuffer('float32', 10, sharedBuffer);
    s.fill(3);
    giveBack(s);
    expect(bufferPoolBytes()).toBe(40);
    const again = takeBuffer('float32', 10, sharedBuffer);
    expect(again).toBe(s);
    expect(Array.from(again)).toEqual(new Array(10).fill(0));
  });

  test('shared copies of float, Int32 and Uint8 arrays come from the pool and hold the values', () => {
    for (const a of [Float64Array.from([1.5, -2]), Int32Array.from([7, -1, 3]), Uint8Array.from([0, 1, 1, 0]), new Float32Array(N).fill(0.25)]) {
      const c = takeSharedCopy(a, sharedBuffer);
      expect(c.constructor).toBe(a.constructor);
      expect(c.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Array.from(c)).toEqual(Array.from(a));
      giveBack(c);
      const d = takeSharedCopy(a.map((v: number) => v + 1) as typeof a, sharedBuffer);
      expect(d).toBe(c);
      expect(Array.from(d)).toEqual(Array.from(a).map((v) => v + 1));
      giveBack(d);
    }
    // a plain take never gets a shared buffer, nor a Float32 one an Int32 one of the same length
    expect(takeBuffer('float32', N).buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(takeBuffer('float32', 3, sharedBuffer)).toBeInstanceOf(Float32Array);
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
