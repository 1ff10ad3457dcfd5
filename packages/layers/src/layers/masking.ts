/**
 * Masking: a timestep whose features all equal `maskValue` is padding. The output zeroes those
 * timesteps and carries the mask m[b, t] = any_f(x[b, t, f] != maskValue).
 */
import * as A from '@seqlab/autograd';
import { Tensor } from '@seqlab/tensor';
import { Layer, LayerArgs, registerLayer } from '../engine/layer';
import { SymShape, fmtReceived } from '../engine/shapes';

/** Options of `Masking`: the value marking padded timesteps (default 0). */
export interface MaskingArgs extends LayerArgs {
  maskValue?: number;
}

/**
 * Keras's Masking: passes x [batch, time, features] through and attaches a mask that is false at
 * the timesteps whose features all equal `maskValue` (default 0).
 */
export class Masking extends Layer {
  readonly maskValue: number;

  constructor(args: MaskingArgs = {}) {
    super(args);
    this.maskValue = args.maskValue ?? 0;
    if (typeof this.maskValue !== 'number' || Number.isNaN(this.maskValue)) {
      // NaN equals nothing, not even NaN: such a mask would never apply (Keras then masks nothing, silently)
      throw new Error(`${this.label}: maskValue must be a number other than NaN (NaN never equals a value, so no step would be masked), received ${String(this.maskValue)}`);
    }
    this.supportsMasking = true;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), mask_value: this.maskValue };
  }

  computeOutputShape(inputShape: SymShape): SymShape {
    if (inputShape.length < 3) {
      throw new Error(`${this.label}: expected input [batch, time, features], received ${fmtReceived(inputShape)}`);
    }
    return inputShape;
  }

  /** [B, T] mask of timesteps that are not padding. */
  private timestepMask(x: Tensor): Tensor {
    const [b, t] = x.shape;
    const f = x.size / (b * t);
    const m = new Float32Array(b * t);
    for (let i = 0; i < b * t; i++) {
      for (let j = 0; j < f; j++) {
        if (x.data[i * f + j] !== this.maskValue) {
          m[i] = 1;
          break;
        }
      }
    }
    return new Tensor(m, [b, t]);
  }

  call(x: Tensor): Tensor {
    const m = this.timestepMask(x);
    return A.mul(x, m.reshape([...m.shape, ...x.shape.slice(2).map(() => 1)]));
  }

  override computeMask(x: Tensor): Tensor {
    return this.timestepMask(x);
  }
}
registerLayer('Masking', Masking);
