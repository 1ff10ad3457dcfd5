/**
 * Dense: y = activation(x·W + b), in a file of its own so that a page using Dense does not carry
 * the other core layers (each built-in layer file registers its class when imported).
 */
import * as A from '@seqlab/autograd';
import { Variable } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { ActivationSpec, getActivation } from '../activations';
import { activationToConfig, initializerToConfig } from '../engine/config';
import { Layer, LayerArgs, registerLayer } from '../engine/layer';
import { SymShape, expectShape, fmtReceived } from '../engine/shapes';
import { InitializerSpec, getInitializer } from '../initializers';

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

/** Refuses a size option (`units`, RepeatVector's `n`) that is not a positive integer, naming the layer. */
export function checkUnits(owner: string, units: number, what = 'units'): void {
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
