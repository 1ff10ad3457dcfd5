/**
 * The fused kernels' activations (by code, over ranges) against the autograd ops they stand in
 * for: values and derivatives at 0, near and past the kinks, and at saturation (no overflow to NaN).
 */
import * as A from '@seqlab/autograd';
import { Tensor } from '@seqlab/tensor';
import { getActivation } from '../src/activations';
import { activateRange, activationCode, scaleByDerivative } from '../src/recurrent/fused/activations';

const points = [0, 1e-8, -1e-8, 0.5, -0.5, 2.9, -2.9, 3.5, -3.5, 20, -20, 800, -800];
const ops: [string, (x: Tensor) => Tensor][] = [
  ['tanh', A.tanh],
  ['sigmoid', A.sigmoid],
  ['hardSigmoid', A.hardSigmoid],
  ['hardSigmoidKeras2', getActivation('hardSigmoidKeras2')],
  ['relu', A.relu],
  ['linear', (x) => A.mul(x, 1)],
];

describe('fused activations match the autograd ops', () => {
  test.each(ops)('%s: values and derivatives at 0, near the kinks and at saturation', (name, op) => {
    const code = activationCode(name);
    expect(code).toBeGreaterThanOrEqual(0);
    const x = new Tensor(Float64Array.from(points), [points.length]);
    const { value, grads } = A.gradients(() => op(x), [x], new Tensor(new Float64Array(points.length).fill(1), [points.length]));
    // values, computed in place over an offset range of a larger buffer
    const buf = new Float64Array(points.length + 3);
    buf.set(points, 2);
    activateRange(code, buf, 2, points.length);
    const d = new Float64Array(points.length + 1).fill(1);
    scaleByDerivative(code, d, 1, buf, 2, points.length);
    for (let i = 0; i < points.length; i++) {
      expect(Number.isFinite(buf[2 + i])).toBe(true);
      expect(buf[2 + i]).toBeCloseTo(value.data[i], 15);
      expect(d[1 + i]).toBeCloseTo(grads[0].data[i], 15);
    }
    // the range is exact: nothing outside it is touched
    expect([buf[0], buf[1], buf[buf.length - 1], d[0]]).toEqual([0, 0, 0, 1]);
  });

  test('names: camelCase and snake_case, unknown ones are -1', () => {
    expect(activationCode('hard_sigmoid')).toBe(activationCode('hardSigmoid'));
    expect(activationCode(null)).toBe(activationCode('linear'));
    expect(activationCode('softmax')).toBe(-1);
    expect(activationCode('elu')).toBe(-1);
  });
});
