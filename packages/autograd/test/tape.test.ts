import * as v8 from 'v8';
import * as vm from 'vm';
import * as T from '@seqlab/tensor';
import { Tensor, tensor } from '@seqlab/tensor';
import * as A from '@seqlab/autograd';

describe('grad and valueAndGrad', () => {
  test('one argument returns one tensor, several return an array', () => {
    const g = A.grad((x: Tensor) => A.sum(A.mul(x, x)))(tensor([1, 2, 3]));
    expect(Array.from(g.data)).toEqual([2, 4, 6]);
    const [ga, gb] = A.grad((a: Tensor, b: Tensor) => A.sum(A.mul(a, b)))(tensor([1, 2]), tensor([3, 4]));
    expect(Array.from(ga.data)).toEqual([3, 4]);
    expect(Array.from(gb.data)).toEqual([1, 2]);
    const { value, grads } = A.valueAndGrad((x: Tensor) => A.sum(A.square(x)))(tensor([3]));
    expect(value.item()).toBe(9);
    expect(grads[0].item()).toBe(6);
  });

  test('fan-out accumulates: f(x) = x·x + x gives 2x + 1', () => {
    const g = A.grad((x: Tensor) => A.sum(A.add(A.mul(x, x), x)))(tensor([1, -2, 5]));
    expect(Array.from(g.data)).toEqual([3, -3, 11]);
  });

  test('broadcasting is reduced in backward: bias of shape [3] added to [4, 3]', () => {
    const x = T.ones([4, 3]);
    const b = tensor([1, 2, 3]);
    const [, gb] = A.grad((xx: Tensor, bb: Tensor) => A.sum(A.add(xx, bb)))(x, b);
    expect(gb.shape).toEqual([3]);
    expect(Array.from(gb.data)).toEqual([4, 4, 4]);
  });

  test('an input the value does not depend on gets a zero gradient', () => {
    const [, gb] = A.grad((a: Tensor, _b: Tensor) => A.sum(a))(tensor([1, 2]), tensor([5, 6, 7]));
    expect(Array.from(gb.data)).toEqual([0, 0, 0]);
  });

  test('a non-scalar output without dy is refused with the shape', () => {
    expect(() => A.grad((x: Tensor) => A.mul(x, 2))(tensor([1, 2]))).toThrow('gradients: the function must return a scalar, received shape [2]');
  });

  test('noGrad records nothing, and nothing stays on the tape after backward', () => {
    const x = tensor([1, 2]);
    let inside = -1;
    A.gradients(() => {
      const y = A.noGrad(() => A.mul(x, 3));
      inside = A.tapeSize();
      expect(A.isTracked(y)).toBe(false);
      return A.sum(A.mul(x, x));
    }, [x]);
    expect(inside).toBe(0);
    expect(A.tapeSize()).toBe(0);
    expect(A.isRecording()).toBe(false);
  });

  test('tapeEntries lists the recorded ops in execution order with their shapes, and nothing outside a tape', () => {
    const x = tensor([[1, 2, 3]]);
    const w = T.ones([3, 2]);
    let names: string[] = [];
    let shapes: number[][][] = [];
    A.gradients(() => {
      const y = A.sum(A.tanh(A.matmul(x, w)));
      const entries = A.tapeEntries();
      names = entries.map((e) => e.name);
      shapes = entries.map((e) => [...e.inputShapes, ...e.outputShapes]);
      return y;
    }, [w]);
    expect(names).toEqual(['matmul', 'tanh', 'sum']);
    expect(shapes).toEqual([[[1, 3], [3, 2], [1, 2]], [[1, 2], [1, 2]], [[1, 2], []]]);
    expect(A.tapeEntries()).toEqual([]);
  });

  test('a deep chain of 20,000 ops backpropagates without recursion', () => {
    const g = A.grad((x: Tensor) => {
      let y = x;
      for (let i = 0; i < 20000; i++) y = A.add(y, 0);
      return A.sum(y);
    })(tensor([1]));
    expect(g.item()).toBe(1);
  });

  test('reruns give bit-identical gradients', () => {
    const f = (x: Tensor) => A.sum(A.tanh(A.matmul(x, x)));
    const x = T.randomNormal([6, 6], 0, 1, { seed: 3 });
    expect(Array.from(A.grad(f)(x).data)).toEqual(Array.from(A.grad(f)(x).data));
  });

  test('variableGrads differentiates with respect to Variables', () => {
    const w = new A.Variable(tensor([[2, 0], [0, 3]]), 'w');
    const x = tensor([[1, 1]]);
    const { value, grads } = A.variableGrads(() => A.sum(A.matmul(x, w.value)), [w]);
    expect(value.item()).toBe(5);
    expect(grads[0].toArray()).toEqual([[1, 1], [1, 1]]);
  });
});

describe('memory', () => {
  test('2,000 training steps of a small model do not grow the heap by more than 8 MB', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const w1 = new A.Variable(T.randomNormal([16, 32], 0, 0.1, { seed: 1 }), 'w1');
    const w2 = new A.Variable(T.randomNormal([32, 1], 0, 0.1, { seed: 2 }), 'w2');
    const x = T.randomNormal([8, 16], 0, 1, { seed: 3 });
    const y = T.randomNormal([8, 1], 0, 1, { seed: 4 });
    const step = () => {
      const { grads } = A.variableGrads(() => A.mean(A.square(A.sub(A.matmul(A.tanh(A.matmul(x, w1.value)), w2.value), y))), [w1, w2]);
      [w1, w2].forEach((w, i) => w.assign(T.sub(w.value, T.mul(grads[i], 0.01))));
    };
    for (let i = 0; i < 200; i++) step(); // warm up (JIT, caches)
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 2000; i++) step();
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(A.tapeSize()).toBe(0);
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });
});

describe('ops recorded while a training step lends allocations (tensor step_buffers.ts)', () => {
  test('their VJPs lend too: the gradients go back to the pool when the step ends; ops recorded outside do not', () => {
    const saved = T.setBufferPoolLimit(0);
    T.setBufferPoolLimit(256 * 1024 * 1024);
    try {
      const n = T.POOL_MIN_VALUES;
      const x = T.randomNormal([n], 0, 1, { seed: 1 });
      const y = T.randomNormal([n], 0, 1, { seed: 2 });
      let lent: Tensor[] = [];
      let plain: Tensor[] = [];
      T.withStepBuffers(() => {
        // d(x ⊙ y)/dx = y, d/dy = x: new arrays from the VJP of mul
        lent = A.gradients(() => T.lendAllocations(() => A.sum(A.mul(x, y))), [x, y]).grads;
        plain = A.gradients(() => A.sum(A.mul(x, y)), [x, y]).grads;
        expect(T.bufferPoolBytes()).toBe(0);
        expect(Array.from(lent[0].data)).toEqual(Array.from(plain[0].data));
      });
      expect(Array.from(plain[0].data)).toEqual(Array.from(y.data));
      // the lent gradients are back in the pool (a second give-back is refused); the others are not
      for (const g of lent) expect(() => T.giveBack(g.data)).toThrow('already given back');
      const held = T.bufferPoolBytes();
      T.giveBack(plain[0].data);
      expect(T.bufferPoolBytes()).toBe(held + 4 * n);
    } finally {
      T.setBufferPoolLimit(saved);
    }
  });
});
