/** The shared test support fails when it should (a comparison that cannot fail tests nothing). */
import * as T from '@seqlab/tensor';
import { expectClose, maxAbsDiff } from '.';

describe('expectClose', () => {
  test('passes within tolerance, NaN against NaN, infinities that are equal', () => {
    expectClose([1, NaN, Infinity], [1 + 1e-7, NaN, Infinity]);
    expectClose(T.tensor([[100, 0]]), T.tensor([[100.00009, 9e-7]]), 1e-6);
    expectClose([2], [2.5], { atol: 0.5 });
  });

  test('fails with the element, both values and the bound', () => {
    expect(() => expectClose([1, 2], [1, 2.1], 1e-3, 'output')).toThrow('output: element 1: received 2, expected 2.1');
    expect(() => expectClose([100.001], [100], 1e-6)).toThrow('element 0');
    expect(() => expectClose([1], [NaN])).toThrow('expected NaN');
    expect(() => expectClose([0.5], [0.5 + 1e-6], { rtol: 0, atol: 0 })).toThrow('|diff|');
    expect(() => expectClose(T.zeros([2, 3]), T.zeros([3, 2]))).toThrow('shape [2,3], expected [3,2]');
    expect(() => expectClose([1, 2], [1])).toThrow('2 elements, expected 1');
  });

  test('maxAbsDiff', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(maxAbsDiff([1], [NaN])).toBeNaN();
  });
});
