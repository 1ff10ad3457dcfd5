/**
 * ||dL/dh_t|| at every timestep, the total derivative through every later step, read off the
 * tape with zero probes: h_t + e_t with e_t = 0 leaves every value unchanged, and ∂L/∂e_t = dL/dh_t.
 * The loss is the mean squared error of a Dense read-out of the last output.
 */
import * as A from '@seqlab/autograd';
import { Dense, RecurrentCell, StepFn, asStepResult, scan } from '@seqlab/layers';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';

const single = (t: Tensor | Tensor[]): Tensor => (Array.isArray(t) ? t[0] : t);

/** Mean squared error of a Dense(1) read-out of the last output against y. */
export function readoutLoss(readout: Dense, last: Tensor, y: Tensor): Tensor {
  return A.mean(A.square(A.sub(single(readout.apply(last)), y)));
}

/** ||dL/dh_t|| (over the whole batch) for every t. */
export function hiddenGradNorms(cell: RecurrentCell, readout: Dense, x: Tensor, y: Tensor): number[] {
  const [B, steps] = x.shape;
  const probes = Array.from({ length: steps }, () => T.zeros([B, cell.outputSize]));
  const { grads } = A.gradients(() => {
    let t = 0;
    const probed: StepFn = (xt, states) => {
      const [, next] = asStepResult(cell.step(xt, states), 'hiddenGradNorms');
      const h = A.add(next[0], probes[t++]);
      return [h, [h, ...next.slice(1)]];
    };
    return readoutLoss(readout, scan(probed, x, cell.stateSize.map((n) => T.zeros([B, n]))).output, y);
  }, probes);
  return grads.map(A.l2Norm);
}
