/**
 * Core layers: Activation, Dropout, Flatten, Reshape, RepeatVector (Dense is in dense.ts).
 */
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { ActivationSpec, getActivation } from '../activations';
import { activationToConfig } from '../engine/config';
import { CallArgs, Layer, LayerArgs, registerLayer } from '../engine/layer';
import { SymShape, expectShape, fmtReceived, symSize } from '../engine/shapes';
import { getRng } from '../initializers';
import { checkUnits } from './dense';

/** Options of `Activation`: the activation, by name or as a function. */
export interface ActivationArgs extends LayerArgs {
  activation: ActivationSpec;
}

/**
 * Applies an activation function element-wise; same shape out as in.
 * @example new Activation({ activation: 'relu' })
 */
export class Activation extends Layer {
  private readonly fn: (x: Tensor) => Tensor;
  private readonly spec: ActivationSpec;
  constructor(args: ActivationArgs) {
    super(args);
    this.fn = getActivation(args.activation, this.label);
    this.spec = args.activation;
    this.supportsMasking = true;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: activationToConfig(this.spec, 'linear', this.label) };
  }
  computeOutputShape(inputShape: SymShape): SymShape {
    return inputShape;
  }
  call(x: Tensor): Tensor {
    return this.fn(x);
  }
}
registerLayer('Activation', Activation);

/** Options of `Dropout`: the fraction dropped in training, and an optional noise shape. */
export interface DropoutArgs extends LayerArgs {
  rate: number;
  /** Shape of the mask, broadcast over axes set to 1 (as Keras's noise_shape). */
  noiseShape?: (number | null)[];
  seed?: number;
}

/** Inverted dropout: in training, y = x·m/(1 - rate) with m ~ Bernoulli(1 - rate); at inference y = x. */
export class Dropout extends Layer {
  readonly rate: number;
  private readonly noiseShape?: (number | null)[];
  private readonly seed: number | null;
  private readonly rng: T.Rng | null;
  constructor(args: DropoutArgs) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1)) throw new Error(`${this.label}: rate must be in [0, 1), received ${args.rate}`);
    this.rate = args.rate;
    this.noiseShape = args.noiseShape;
    this.seed = args.seed ?? null;
    this.rng = args.seed === undefined ? null : new T.Rng(args.seed);
    this.supportsMasking = true;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, noise_shape: this.noiseShape ?? null, seed: this.seed };
  }
  computeOutputShape(inputShape: SymShape): SymShape {
    return inputShape;
  }
  call(x: Tensor, args: CallArgs): Tensor {
    if (!args.training || this.rate === 0) return x;
    const shape = this.noiseShape ? this.noiseShape.map((d, i) => d ?? x.shape[i]) : x.shape;
    return A.mul(x, T.dropoutMask(shape, this.rate, this.rng ?? getRng(), { dtype: x.dtype }));
  }
}
registerLayer('Dropout', Dropout);

/** [B, d1, d2, ...] -> [B, d1·d2·...]. */
export class Flatten extends Layer {
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), data_format: 'channels_last' };
  }
  computeOutputShape(inputShape: SymShape): SymShape {
    return [inputShape[0], symSize(inputShape.slice(1))];
  }
  call(x: Tensor): Tensor {
    return A.reshape(x, [x.shape[0], -1]);
  }
}
registerLayer('Flatten', Flatten);

/** Options of `Reshape`: the target shape without the batch axis (one entry may be -1). */
export interface ReshapeArgs extends LayerArgs {
  targetShape: number[];
}

/** [B, ...] -> [B, ...targetShape] (one entry may be -1). */
export class Reshape extends Layer {
  readonly targetShape: number[];
  constructor(args: ReshapeArgs) {
    super(args);
    this.targetShape = args.targetShape.slice();
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), target_shape: this.targetShape.slice() };
  }
  computeOutputShape(inputShape: SymShape): SymShape {
    const n = symSize(inputShape.slice(1));
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const fits = n === null || (this.targetShape.includes(-1) ? n % known === 0 : n === known);
    if (!fits) {
      throw new Error(`${this.label}: cannot reshape input ${fmtReceived(inputShape)} to target shape [${this.targetShape.join(', ')}]`);
    }
    return [inputShape[0], ...this.targetShape.map((d) => (d === -1 ? (n === null ? null : n / known) : d))];
  }
  call(x: Tensor): Tensor {
    return A.reshape(x, [x.shape[0], ...this.targetShape]);
  }
}
registerLayer('Reshape', Reshape);

/** Options of `RepeatVector`: how many times to repeat the input vector. */
export interface RepeatVectorArgs extends LayerArgs {
  n: number;
}

/** [B, F] -> [B, n, F]: the same vector at every timestep (a decoder's input). */
export class RepeatVector extends Layer {
  readonly n: number;
  constructor(args: RepeatVectorArgs) {
    super(args);
    checkUnits(this.label, args.n, 'n');
    this.n = args.n;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), n: this.n };
  }
  computeOutputShape(inputShape: SymShape): SymShape {
    expectShape(this.label, 'input', inputShape, ['batch', 'features']);
    return [inputShape[0], this.n, inputShape[1]];
  }
  call(x: Tensor): Tensor {
    return A.tile(A.expandDims(x, 1), [1, this.n, 1]);
  }
}
registerLayer('RepeatVector', RepeatVector);
