/**
 * Core layers: Dense, Activation, Dropout, Flatten, Reshape, RepeatVector.
 */
import * as A from '@seqlab/autograd';
import { Variable } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { ActivationSpec, getActivation } from '../activations';
import { activationToConfig, initializerToConfig } from '../engine/config';
import { CallArgs, Layer, LayerArgs, registerLayer } from '../engine/layer';
import { SymShape, expectShape, fmtReceived, symSize } from '../engine/shapes';
import { InitializerSpec, getInitializer, getRng } from '../initializers';

/** Options of `Dense`: units, activation, useBias, initializers (Keras's names in camelCase). */
export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: ActivationSpec;
  useBias?: boolean;
  kernelInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
  /** Input feature size, to declare the input shape as Keras's input_dim does. */
  inputDim?: number;
}

function checkUnits(owner: string, units: number, what = 'units'): void {
  if (!Number.isInteger(units) || units <= 0) throw new Error(`${owner}: ${what} must be a positive integer, received ${units}`);
}

/** Last axis of a symbolic shape, required to be known. */
export function lastDim(owner: string, shape: SymShape, minRank = 2): number {
  const d = shape[shape.length - 1];
  if (shape.length < minRank || d === null || d === undefined) {
    throw new Error(`${owner}: expected input of rank >= ${minRank} with a known last axis, received ${fmtReceived(shape)}`);
  }
  return d;
}

/**
 * y = activation(x·W + b), W: [in, units]. On 3-D input [B, T, in] it applies to the last axis
 * (the same as TimeDistributed(Dense)). Inside a training step its products, its activation and
 * their gradients are step buffers (tensor's step_buffers.ts), recycled when the step ends: a
 * custom activation or a layer after it that keeps a tensor beyond the step must keep a copy.
 */
export class Dense extends Layer {
  readonly units: number;
  /** The activation applied after x·W + b. */
  readonly activation: (x: Tensor) => Tensor;
  readonly useBias: boolean;
  private readonly activationSpec: ActivationSpec | undefined;
  private readonly kernelInit: InitializerSpec;
  private readonly biasInit: InitializerSpec;
  kernel!: Variable;
  bias: Variable | null = null;
  private inputDim = -1;

  constructor(args: DenseArgs) {
    super(args.inputDim !== undefined && !args.inputShape && !args.batchInputShape ? { ...args, inputShape: [args.inputDim] } : args);
    checkUnits(this.label, args.units);
    this.units = args.units;
    this.activation = getActivation(args.activation, this.label);
    this.activationSpec = args.activation;
    this.useBias = args.useBias ?? true;
    this.kernelInit = args.kernelInitializer ?? 'glorotUniform';
    this.biasInit = args.biasInitializer ?? 'zeros';
    this.supportsMasking = true;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: activationToConfig(this.activationSpec, 'linear', this.label),
      use_bias: this.useBias,
      kernel_initializer: initializerToConfig(this.kernelInit, 'glorotUniform'),
      bias_initializer: initializerToConfig(this.biasInit, 'zeros'),
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    };
  }

  override build(inputShape: SymShape): void {
    this.inputDim = lastDim(this.label, inputShape);
    this.kernel = this.addWeight('kernel', [this.inputDim, this.units], getInitializer(this.kernelInit, this.label));
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], getInitializer(this.biasInit, this.label));
  }

  computeOutputShape(inputShape: SymShape): SymShape {
    const pattern = [...inputShape.slice(0, -1).map((_, i) => (i === 0 ? 'batch' : `d${i}`)), this.inputDim];
    expectShape(this.label, 'input', inputShape, pattern);
    return [...inputShape.slice(0, -1), this.units];
  }

  call(x: Tensor): Tensor {
    // in a training step, the products, the activation and their gradients live for the step (tensor's step_buffers.ts)
    return T.lendAllocations(() => {
      const flat = x.rank === 2 ? x : A.reshape(x, [-1, this.inputDim]);
      let y = A.matmul(flat, this.kernel.value);
      if (this.bias) y = A.add(y, this.bias.value);
      if (x.rank !== 2) y = A.reshape(y, [...x.shape.slice(0, -1), this.units]);
      return this.activation(y);
    });
  }
}
registerLayer('Dense', Dense);

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
