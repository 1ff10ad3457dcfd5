/**
 * BatchNormalization over the last axis (Ioffe & Szegedy 2015), with Keras's weights and defaults:
 * [gamma, beta, movingMean, movingVariance], momentum 0.99, epsilon 1e-3.
 *   training:  y = γ (x - μ_B) / √(σ²_B + ε) + β, and moving ← moving·momentum + batch·(1 - momentum)
 *   inference: y = γ (x - moving_mean) / √(moving_var + ε) + β
 * With a [B, T] mask m on [B, T, F] inputs, the batch statistics count the unmasked steps only, as
 * Keras 3: μ_B = Σ m·x / (Σ m + 1e-7), σ²_B = Σ m·(m·x - μ_B)² / (Σ m + 1e-7) (every step is then
 * normalized with them).
 */
import * as A from '@seqlab/autograd';
import { Variable, noGrad } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { initializerToConfig } from '../engine/config';
import { CallArgs, Layer, LayerArgs, registerLayer } from '../engine/layer';
import { SymShape, expectShape } from '../engine/shapes';
import { InitializerSpec, getInitializer } from '../initializers';
import { lastDim } from './dense';

/** Options of `BatchNormalization`, Keras's names in camelCase (momentum 0.99, epsilon 1e-3, center, scale). */
export interface BatchNormalizationArgs extends LayerArgs {
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  gammaInitializer?: InitializerSpec;
  betaInitializer?: InitializerSpec;
  movingMeanInitializer?: InitializerSpec;
  movingVarianceInitializer?: InitializerSpec;
}

/**
 * Keras's BatchNormalization over the last axis: in training, y = γ(x - μ_B)/√(σ²_B + ε) + β with
 * the batch's statistics, which also update the moving mean and variance (momentum 0.99); in
 * inference, the moving statistics. Weights [gamma, beta, movingMean, movingVariance], each [features],
 * the last two non-trainable.
 */
export class BatchNormalization extends Layer {
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly args: BatchNormalizationArgs;
  gamma: Variable | null = null;
  beta: Variable | null = null;
  movingMean!: Variable;
  movingVariance!: Variable;
  private features = -1;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args);
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.args = args;
    this.supportsMasking = true;
  }

  override getConfig(): Record<string, unknown> {
    const a = this.args;
    return {
      ...super.getConfig(),
      axis: -1,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      beta_initializer: initializerToConfig(a.betaInitializer, 'zeros'),
      gamma_initializer: initializerToConfig(a.gammaInitializer, 'ones'),
      moving_mean_initializer: initializerToConfig(a.movingMeanInitializer, 'zeros'),
      moving_variance_initializer: initializerToConfig(a.movingVarianceInitializer, 'ones'),
      beta_regularizer: null,
      gamma_regularizer: null,
      beta_constraint: null,
      gamma_constraint: null,
    };
  }

  /** Keras's axis: only the last axis is normalized here. */
  static override fromConfig<L extends Layer>(this: new (args: never) => L, config: Record<string, unknown>): L {
    const axis = config.axis;
    const last = axis === undefined || axis === null || axis === -1 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || typeof axis[0] === 'number'));
    if (!last) throw new Error(`BatchNormalization '${String(config.name)}': fromConfig: only the last axis is supported, received axis ${JSON.stringify(axis)}`);
    return Layer.fromConfig.call(this, config) as L;
  }

  override build(inputShape: SymShape): void {
    const f = lastDim(this.label, inputShape);
    this.features = f;
    const a = this.args;
    if (this.scale) this.gamma = this.addWeight('gamma', [f], getInitializer(a.gammaInitializer ?? 'ones', this.label));
    if (this.center) this.beta = this.addWeight('beta', [f], getInitializer(a.betaInitializer ?? 'zeros', this.label));
    this.movingMean = this.addWeight('moving_mean', [f], getInitializer(a.movingMeanInitializer ?? 'zeros', this.label), false);
    this.movingVariance = this.addWeight('moving_variance', [f], getInitializer(a.movingVarianceInitializer ?? 'ones', this.label), false);
  }

  computeOutputShape(inputShape: SymShape): SymShape {
    expectShape(this.label, 'input', inputShape, [...inputShape.slice(0, -1).map((_, i) => (i === 0 ? 'batch' : `d${i}`)), this.features]);
    return inputShape;
  }

  call(x: Tensor, args: CallArgs): Tensor {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    let normed: Tensor;
    if (args.training) {
      const { mu, variance } = this.moments(x, axes, args.mask ?? null);
      normed = A.div(A.sub(x, mu), A.sqrt(A.add(variance, this.epsilon)));
      noGrad(() => {
        const m = this.momentum;
        this.movingMean.assign(T.add(T.mul(this.movingMean.value, m), T.mul(mu, 1 - m)));
        this.movingVariance.assign(T.add(T.mul(this.movingVariance.value, m), T.mul(variance, 1 - m)));
      });
    } else {
      const inv = T.div(1, T.sqrt(T.add(this.movingVariance.value, this.epsilon)));
      normed = A.mul(A.sub(x, this.movingMean.value), inv);
    }
    if (this.gamma) normed = A.mul(normed, this.gamma.value);
    if (this.beta) normed = A.add(normed, this.beta.value);
    return normed;
  }

  /** The batch mean and variance per feature: over every position, or over the unmasked steps (Keras 3's masked moments). */
  private moments(x: Tensor, axes: number[], mask: Tensor | null): { mu: Tensor; variance: Tensor } {
    if (mask === null || mask.rank !== x.rank - 1 || !mask.shape.every((d, i) => d === x.shape[i])) {
      const mu = A.mean(x, axes);
      return { mu, variance: A.mean(A.square(A.sub(x, mu)), axes) };
    }
    const w = T.reshape(mask, [...mask.shape, 1]);
    let count = 0;
    for (let i = 0; i < mask.size; i++) count += mask.data[i];
    const weighted = A.mul(x, w);
    const mu = A.div(A.sum(weighted, axes), count + 1e-7);
    const variance = A.div(A.sum(A.mul(A.square(A.sub(weighted, mu)), w), axes), count + 1e-7);
    return { mu, variance };
  }
}
registerLayer('BatchNormalization', BatchNormalization);
