/**
 * Step buffers (step_buffers.ts): outside a step a plain new array, inside one a pooled buffer that
 * goes back when the step ends (returns or throws) and is what the next step gets; steps nest;
 * `keepFromStep` keeps a buffer (or the buffer under a view) from being recycled; 'fresh' lends
 * nothing; 'poison' leaves NaN in what goes back; small arrays are never lent. `lendAllocations`
 * lends what ops allocate inside it, in a step only.
 */
import { POOL_MIN_VALUES, Rng, Tensor, add, matmul, mul, reshape, sub, tanh, bufferPoolBytes, isLendingAllocations, keepFromStep, lendAllocations, lendToStep, ones, setBufferPoolLimit, setStepBufferMode, stepBuffer, takeBuffer, withStepBuffers, zeros } from '@seqlab/tensor';

const N = POOL_MIN_VALUES;

describe('step buffers', () => {
  let saved: number;
  beforeEach(() => {
    saved = setBufferPoolLimit(0); // empty it
    setBufferPoolLimit(64 * N * 8);
  });
  afterEach(() => {
    setBufferPoolLimit(saved);
    setStepBufferMode('reuse');
  });

  test('outside a step: a new zeroed array, never pooled', () => {
    const a = stepBuffer('float32', N);
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(N);
    a.fill(3);
    expect(bufferPoolBytes()).toBe(0);
    expect(stepBuffer('float32', N)).not.toBe(a);
    expect(lendToStep(takeBuffer('float32', N))).toBe(false);
  });

  test('inside a step: back to the pool when the step ends, and taken again, zeroed, by the next step', () => {
    let first: Float32Array | Float64Array | null = null;
    withStepBuffers(() => {
      first = stepBuffer('float64', N);
      first.fill(5);
      expect(bufferPoolBytes()).toBe(0);
    });
    expect(bufferPoolBytes()).toBe(8 * N);
    withStepBuffers(() => {
      const again = stepBuffer('float64', N);
      expect(again).toBe(first);
      expect(again.every((v) => v === 0)).toBe(true);
      // taken unzeroed: what the last step left
      const other = stepBuffer('float64', N, false);
      expect(other).not.toBe(first);
    });
  });

  test('a step that throws still gives its buffers back', () => {
    expect(() =>
      withStepBuffers(() => {
        stepBuffer('float32', N);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(bufferPoolBytes()).toBe(4 * N);
  });

  test('a lent buffer goes back with the innermost step open when it was lent', () => {
    withStepBuffers(() => {
      const outer = stepBuffer('float32', N);
      withStepBuffers(() => {
        const taken = takeBuffer('float32', 2 * N);
        expect(lendToStep(taken)).toBe(true);
      });
      expect(bufferPoolBytes()).toBe(8 * N);
      expect(outer.length).toBe(N);
    });
    expect(bufferPoolBytes()).toBe(12 * N);
  });

  test('keepFromStep: the buffer (or the one under a view) is not recycled', () => {
    let kept: Float32Array | Float64Array | null = null;
    withStepBuffers(() => {
      kept = stepBuffer('float32', N);
      kept.fill(7);
      keepFromStep(kept.subarray(10, 20));
    });
    expect(bufferPoolBytes()).toBe(0);
    withStepBuffers(() => expect(stepBuffer('float32', N)).not.toBe(kept));
    expect((kept as unknown as Float32Array).every((v) => v === 7)).toBe(true);
  });

  test("'fresh' lends nothing; 'poison' fills what goes back with NaN", () => {
    expect(setStepBufferMode('fresh')).toBe('reuse');
    withStepBuffers(() => {
      stepBuffer('float32', N);
      expect(lendToStep(takeBuffer('float32', N))).toBe(false);
    });
    expect(bufferPoolBytes()).toBe(0);
    setStepBufferMode('poison');
    let a: Float32Array | Float64Array | null = null;
    withStepBuffers(() => {
      a = stepBuffer('float32', N);
      a.fill(1);
    });
    expect((a as unknown as Float32Array).every((v) => Number.isNaN(v))).toBe(true);
    expect(() => setStepBufferMode('sometimes' as never)).toThrow("setStepBufferMode: expected 'reuse', 'fresh' or 'poison', received sometimes");
  });

  test('lendAllocations: what ops allocate inside it is lent to the step; outside a step, new arrays', () => {
    const a = ones([N]);
    const outside = lendAllocations(() => add(a, a));
    expect(isLendingAllocations()).toBe(false);
    expect(bufferPoolBytes()).toBe(0);
    let sum = outside;
    withStepBuffers(() => {
      sum = lendAllocations(() => {
        expect(isLendingAllocations()).toBe(true);
        // small arrays are new, and nested calls lend to the same step
        expect(zeros([3]).data.length).toBe(3);
        return lendAllocations(() => add(a, a));
      });
      expect(isLendingAllocations()).toBe(false);
      expect(Array.from(sum.data.subarray(0, 2))).toEqual([2, 2]);
      // allocated after the lending: a new array
      add(a, a);
      expect(bufferPoolBytes()).toBe(0);
    });
    expect(bufferPoolBytes()).toBe(4 * N);
    withStepBuffers(() => expect(lendAllocations(() => zeros([N])).data).toBe(sum.data));
    expect(Array.from(outside.data.subarray(0, 2))).toEqual([2, 2]);
  });

  test('arrays too small to pool are new arrays inside a step too', () => {
    withStepBuffers(() => {
      const small = stepBuffer('float32', N - 1);
      expect(small.length).toBe(N - 1);
    });
    expect(bufferPoolBytes()).toBe(0);
  });

  test('ops that write their output whole take step buffers uncleared: after steps that leave NaN in the pool, they give what they give outside a step', () => {
    const rng = new Rng(3);
    const t = (shape: number[]) => new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)), shape);
    const [x, bias, col, wide, w] = [t([N / 64, 64]), t([64]), t([N / 64, 1]), t([1, 2, N / 128, 64]), t([64, 64])];
    const ops: [string, () => Tensor][] = [
      ['bias add', () => add(x, bias)],
      ['bias mul', () => mul(x, bias)],
      ['sub', () => sub(x, x)],
      ['column', () => add(x, col)],
      ['general broadcast', () => add(wide, reshape(x, [2, 1, N / 128, 64]))],
      ['unary', () => tanh(x)],
      ['matmul', () => matmul(x, w)],
    ];
    const outside = ops.map(([, f]) => Array.from(f().data));
    setStepBufferMode('poison');
    for (let step = 0; step < 3; step++) {
      withStepBuffers(() =>
        lendAllocations(() => {
          ops.forEach(([name, f], i) => {
            const got = Array.from(f().data);
            expect({ name, same: got.every((v, k) => Object.is(v, outside[i][k])) }).toEqual({ name, same: true });
          });
        }),
      );
    }
  });
});
