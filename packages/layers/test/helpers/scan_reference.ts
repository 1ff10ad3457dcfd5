/**
 * A small, deliberately plain reference for the fused kernels' tests: the cell equations with
 * autograd ops, one timestep at a time, written independently of src/recurrent/reference.ts
 * and cells.ts (a second opinion on the same BuiltinArgs contract).
 */
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import type { SequenceResult } from '../../src/recurrent/sequence';
import type { BuiltinArgs } from './builtin_args';

function act(name: string): (x: Tensor) => Tensor {
  switch (name) {
    case 'tanh':
      return A.tanh;
    case 'sigmoid':
      return A.sigmoid;
    case 'hardSigmoid':
    case 'hard_sigmoid':
      return A.hardSigmoid;
    case 'hardSigmoidKeras2': // clip(0.2·x + 1/2, 0, 1) = clip((1.2·x)/6 + 1/2, 0, 1)
      return (x) => A.hardSigmoid(A.mul(x, 1.2));
    case 'relu':
      return A.relu;
    case 'linear':
      return (x) => x;
    default:
      throw new Error(`scanReference: activation ${name}`);
  }
}

/** Column block k (of width H) of a [rows, n·H] tensor. */
function block(t: Tensor, k: number, H: number): Tensor {
  return A.slice(t, [0, k * H], [t.shape[0], H]);
}

export function scanReference(args: BuiltinArgs): SequenceResult {
  const [B, steps, I] = args.x.shape;
  const f = act(args.activation);
  const g = act(args.recurrentActivation);
  const W = args.kernel;
  const U = args.recurrentKernel;
  const H = U.shape[0];
  let states = args.initialStates.length
    ? args.initialStates
    : (args.kind === 'lstm' ? [0, 1] : [0]).map(() => T.zeros([B, H], { dtype: args.x.dtype }));
  const outputs: Tensor[] = [];
  let prev: Tensor = T.zeros([B, H], { dtype: args.x.dtype });
  for (let k = 0; k < steps; k++) {
    const t = args.goBackwards ? steps - 1 - k : k;
    let x = A.reshape(A.slice(args.x, [0, t, 0], [B, 1, I]), [B, I]);
    if (args.inputDropoutMask) x = A.mul(x, args.inputDropoutMask);
    const h = states[0];
    const hd = args.recurrentDropoutMask ? A.mul(h, args.recurrentDropoutMask) : h;
    let next: Tensor[];
    if (args.kind === 'simpleRNN') {
      let a = A.add(A.matmul(x, W), A.matmul(hd, U));
      if (args.bias) a = A.add(a, args.bias);
      const hn = f(a);
      next = [hn];
    } else if (args.kind === 'lstm') {
      let z = A.add(A.matmul(x, W), A.matmul(hd, U));
      if (args.bias) z = A.add(z, args.bias);
      const i = g(block(z, 0, H));
      const fg = g(block(z, 1, H));
      const cand = f(block(z, 2, H));
      const o = g(block(z, 3, H));
      const c = A.add(A.mul(fg, states[1]), A.mul(i, cand));
      next = [A.mul(o, f(c)), c];
    } else {
      const resetAfter = args.resetAfter ?? true;
      let xw = A.matmul(x, W);
      let z: Tensor;
      let r: Tensor;
      let hh: Tensor;
      if (resetAfter) {
        let q = A.matmul(hd, U);
        if (args.bias) {
          xw = A.add(xw, A.reshape(A.slice(args.bias, [0, 0], [1, 3 * H]), [3 * H]));
          q = A.add(q, A.reshape(A.slice(args.bias, [1, 0], [1, 3 * H]), [3 * H]));
        }
        z = g(A.add(block(xw, 0, H), block(q, 0, H)));
        r = g(A.add(block(xw, 1, H), block(q, 1, H)));
        hh = f(A.add(block(xw, 2, H), A.mul(r, block(q, 2, H))));
      } else {
        if (args.bias) xw = A.add(xw, args.bias);
        const Uz = A.slice(U, [0, 0], [H, H]);
        const Ur = A.slice(U, [0, H], [H, H]);
        const Uh = A.slice(U, [0, 2 * H], [H, H]);
        z = g(A.add(block(xw, 0, H), A.matmul(hd, Uz)));
        r = g(A.add(block(xw, 1, H), A.matmul(hd, Ur)));
        hh = f(A.add(block(xw, 2, H), A.matmul(A.mul(r, hd), Uh)));
      }
      next = [A.add(A.mul(z, h), A.mul(A.sub(1, z), hh))];
    }
    let y = next[0];
    if (args.mask) {
      // m ⊙ new + (1 - m) ⊙ old, with m ∈ {0, 1}: exactly the selection
      const m = T.reshape(T.slice(args.mask, [0, t], [B, 1]), [B, 1]);
      const keep = T.sub(1, m);
      next = next.map((s, j) => A.add(A.mul(s, m), A.mul(states[j], keep)));
      const fallback = args.zeroOutputForMask ? T.zeros([B, H], { dtype: args.x.dtype }) : prev;
      y = A.add(A.mul(next[0], m), A.mul(fallback, keep));
    }
    outputs.push(y);
    prev = y;
    states = next;
  }
  const output = args.returnSequences ? A.stack(outputs, 1) : outputs[outputs.length - 1];
  return { output, states };
}
