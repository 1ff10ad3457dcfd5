/**
 * Layers that combine or pool: Concatenate, Add, GlobalAveragePooling1D.
 */
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { CallArgs, Layer, LayerArgs, LayerInput, registerLayer } from '../engine/layer';
import { maskOf } from '../engine/mask';
import { SymShape, fmtReceived } from '../engine/shapes';

function asList(owner: string, shape: SymShape | SymShape[]): SymShape[] {
  if (!Array.isArray(shape[0]) || shape.length < 2) {
    throw new Error(`${owner}: expected a list of at least 2 inputs, received ${Array.isArray(shape[0]) ? shape.length : 'one tensor'}`);
  }
  return shape as SymShape[];
}

/** Options of `Concatenate`: the axis to join along (default -1). */
export interface ConcatenateArgs extends LayerArgs {
  axis?: number;
}

/**
 * Joins a list of inputs along `axis` (default the last), as Keras's Concatenate.
 * @example const y = new Concatenate().apply([a, b]);   // a [B, 3], b [B, 5] -> [B, 8]
 */
export class Concatenate extends Layer {
  readonly axis: number;
  constructor(args: ConcatenateArgs = {}) {
    super(args);
    this.axis = args.axis ?? -1;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
  computeOutputShape(inputShape: SymShape | SymShape[]): SymShape {
    const shapes = asList(this.label, inputShape);
    const rank = shapes[0].length;
    const a = this.axis < 0 ? this.axis + rank : this.axis;
    const out = shapes[0].slice();
    for (const s of shapes.slice(1)) {
      if (s.length !== rank || s.some((d, i) => i !== a && i !== 0 && d !== null && out[i] !== null && d !== out[i])) {
        throw new Error(`${this.label}: inputs must match except on axis ${this.axis}, received ${shapes.map(fmtReceived).join(' and ')}`);
      }
      out[a] = out[a] === null || s[a] === null ? null : (out[a] as number) + (s[a] as number);
    }
    return out;
  }
  call(xs: Tensor[]): Tensor {
    return A.concat(xs, this.axis);
  }
  /** Keras's rule: joined along the time axis, the masks are joined (ones for an unmasked input); otherwise they are ANDed. */
  override computeMask(inputs: LayerInput): Tensor | null {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    const rank = xs[0].rank;
    const a = this.axis < 0 ? this.axis + rank : this.axis;
    if (a !== 1 || rank < 3) return mergedMask(xs);
    if (xs.every((x) => maskOf(x) === null)) return null;
    return T.concat(xs.map((x) => maskOf(x) ?? T.ones([x.shape[0], x.shape[1]])), 1);
  }
}
registerLayer('Concatenate', Concatenate);

/** The AND of the inputs' [B, T] masks (an input without one counts as all ones), or null when none has one. */
function mergedMask(xs: Tensor[]): Tensor | null {
  const ms = xs.map(maskOf).filter((m): m is Tensor => m !== null);
  if (ms.length === 0) return null;
  return ms.slice(1).reduce((acc, m) => T.mul(acc, m), ms[0]);
}

/**
 * Adds a list of same-shape inputs element-wise (Keras's Add), in the functional API.
 * @example const y = new Add().apply([a, b]);   // a, b [B, H] -> [B, H]
 */
export class Add extends Layer {
  computeOutputShape(inputShape: SymShape | SymShape[]): SymShape {
    const shapes = asList(this.label, inputShape);
    for (const s of shapes) {
      if (s.length !== shapes[0].length || s.some((d, i) => d !== null && shapes[0][i] !== null && d !== shapes[0][i])) {
        throw new Error(`${this.label}: inputs must have the same shape, received ${shapes.map(fmtReceived).join(' and ')}`);
      }
    }
    return shapes[0];
  }
  call(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((acc, x) => A.add(acc, x), xs[0]);
  }
  /** Keras's rule for merge layers: the AND of the inputs' masks. */
  override computeMask(inputs: LayerInput): Tensor | null {
    return mergedMask(Array.isArray(inputs) ? inputs : [inputs]);
  }
}
registerLayer('Add', Add);

/**
 * Mean over time, counting only unmasked steps: y[b] = Σ_t m[b,t]·x[b,t] / Σ_t m[b,t].
 */
export class GlobalAveragePooling1D extends Layer {
  constructor(args: LayerArgs = {}) {
    super(args);
    this.supportsMasking = true;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), data_format: 'channels_last' };
  }
  computeOutputShape(inputShape: SymShape): SymShape {
    if (inputShape.length !== 3) throw new Error(`${this.label}: expected input [batch, time, features], received ${fmtReceived(inputShape)}`);
    return [inputShape[0], inputShape[2]];
  }
  call(x: Tensor, args: CallArgs): Tensor {
    const mask = args.mask;
    if (!mask) return A.mean(x, 1);
    const m = T.reshape(mask, [x.shape[0], x.shape[1], 1]);
    const count = T.maximum(T.sum(m, 1), 1e-12); // an all-masked row gives 0, not NaN
    return A.div(A.sum(A.mul(x, m), 1), count);
  }
  override computeMask(): null {
    return null;
  }
}
registerLayer('GlobalAveragePooling1D', GlobalAveragePooling1D);
