/**
 * The mask rules of the fused kernels, the same as the reference scan's (../reference.ts), and the
 * layer's output read off the states they leave:
 *
 *   run_s  = mask[b, t(s)]:  h_s = run ? cell(x_t, h_{s-1}) : h_{s-1}
 *   output_s = run ? h_s : (zeroOutputForMask ? 0 : output_{s-1}), output_{-1} = 0 (Keras)
 *
 * Since a masked step keeps the state, output_{s-1} is h_s itself once some earlier step has run,
 * and 0 before: output_s = emit_s · h_s with emit_s = run_s or (not zeroOutputForMask and some
 * step ≤ s ran). The gradient is the same too: it reaches the last step that ran through the
 * identity of the masked steps in between.
 */
import { DType, DataArray, Tensor, allocLike, stepBuffer } from '@seqlab/tensor';

/** What the mask rules read: the [B, T] mask (or null) and how time is walked. */
export interface MaskArgs {
  mask: Tensor | null;
  goBackwards: boolean;
  zeroOutputForMask?: boolean;
}

/** The step masks in processing order (row s·B + b), or nulls without a mask. */
export function stepMasks(args: MaskArgs, B: number, T: number): { run: Uint8Array | null; emit: Uint8Array | null } {
  if (!args.mask) return { run: null, emit: null };
  const m = args.mask.data;
  const run = new Uint8Array(T * B);
  const emit = new Uint8Array(T * B);
  const repeat = !args.zeroOutputForMask;
  for (let b = 0; b < B; b++) {
    let seen = false;
    for (let s = 0; s < T; s++) {
      const t = args.goBackwards ? T - 1 - s : s;
      const r = m[b * T + t] !== 0;
      seen = seen || r;
      run[s * B + b] = r ? 1 : 0;
      emit[s * B + b] = r || (repeat && seen) ? 1 : 0;
    }
  }
  return { run, emit };
}

/** Sizes of a states buffer [(T+1)·B, H] and the emit mask read off it. */
export interface StatesLayout {
  B: number;
  T: number;
  H: number;
  dtype: DType;
  emit: Uint8Array | null;
}

/** The layer's output from the states: [B, T, H] (processing order) or [B, H] (last step). */
export function emitOutputs(p: StatesLayout, returnSequences: boolean, hs: DataArray): Tensor {
  const { B, T, H } = p;
  const emit = p.emit;
  if (returnSequences) {
    // in a training step it lives for the step (tensor's step_buffers.ts); every row is written when there is no emit mask
    const out = stepBuffer(p.dtype, B * T * H, emit !== null);
    for (let s = 0; s < T; s++) {
      for (let b = 0; b < B; b++) {
        if (emit !== null && emit[s * B + b] === 0) continue;
        const src = ((s + 1) * B + b) * H;
        out.set(hs.subarray(src, src + H), (b * T + s) * H);
      }
    }
    return new Tensor(out, [B, T, H]);
  }
  const out = allocLike(p.dtype, B * H);
  if (T === 0) return new Tensor(out, [B, H]); // no step, no output: zeros (as the reference scan)
  for (let b = 0; b < B; b++) {
    if (emit !== null && emit[(T - 1) * B + b] === 0) continue;
    const src = (T * B + b) * H;
    for (let j = 0; j < H; j++) out[b * H + j] = hs[src + j];
  }
  return new Tensor(out, [B, H]);
}

/** The last block of a states buffer as a [B, H] tensor (a copy). */
export function finalState(p: StatesLayout, hs: DataArray): Tensor {
  const n = p.B * p.H;
  return new Tensor(hs.slice(p.T * n, (p.T + 1) * n), [p.B, p.H]);
}
