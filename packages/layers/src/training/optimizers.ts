/**
 * Optimizers with Keras 3's update rules and defaults. Each keeps its slots (momenta) per
 * variable and updates `variable.value.data` in place, element by element, without allocating.
 *
 * Gradient clipping, applied before the update; as in Keras, at most one of
 *   clipnorm (each gradient to norm ≤ clipnorm), clipvalue (each element into ±clipvalue),
 *   globalClipnorm (all gradients scaled together to global norm ≤ globalClipnorm).
 */
import { Variable, clipByGlobalNorm, clipByNorm, clipByValue } from '@seqlab/autograd';
import { DataArray, SlotStore, Tensor, adamUpdate, fmtShape, slotStore } from '@seqlab/tensor';
import { classNameOf, registerClass } from '../engine/registry';
import { camel } from '../initializers';

/** Options every optimizer takes: the learning rate and one way of clipping gradients (at most one). */
export interface OptimizerArgs {
  learningRate?: number;
  clipnorm?: number;
  clipvalue?: number;
  globalClipnorm?: number;
}

/**
 * What every optimizer shares: learning rate, clipping, per-variable slots, and `applyGradients`.
 * A subclass writes one update rule. `compile` takes an instance or a name ('adam', 'sgd', 'rmsprop', 'adagrad').
 * @example
 *   model.compile({ optimizer: new Adam({ learningRate: 1e-3, clipnorm: 5 }), loss: 'mse' });
 */
export abstract class Optimizer {
  /** May be changed between steps (callbacks such as ReduceLROnPlateau do). */
  learningRate: number;
  readonly clipnorm?: number;
  readonly clipvalue?: number;
  readonly globalClipnorm?: number;
  /** Number of updates applied so far. */
  iterations = 0;
  /** The slot buffers by variable (Adam keeps them in wasm memory: `slotStore`). */
  protected slots: SlotStore<Variable> = new Map<Variable, Float64Array[]>();

  /** The fixed Keras class name ('Adam'), used in errors and model files. */
  get className(): string {
    return classNameOf(this);
  }

  constructor(args: OptimizerArgs, defaultLearningRate: number) {
    this.learningRate = args.learningRate ?? defaultLearningRate;
    this.clipnorm = args.clipnorm;
    this.clipvalue = args.clipvalue;
    this.globalClipnorm = args.globalClipnorm;
    for (const k of ['learningRate', 'clipnorm', 'clipvalue', 'globalClipnorm'] as const) {
      const v = (this as unknown as Record<string, number | undefined>)[k];
      if (v !== undefined) this.inRange(k, v, 0, Infinity, 'a finite number > 0');
    }
    const set = [this.clipnorm, this.clipvalue, this.globalClipnorm].filter((v) => v !== undefined).length;
    if (set > 1) throw new Error(`${this.className}: set at most one of clipnorm, clipvalue, globalClipnorm (as Keras requires)`);
  }

  /** Refuses a hyperparameter that is not a finite number in (lo, hi) (`[lo` / `hi]` with the flags), naming it. */
  protected inRange(name: string, v: unknown, lo: number, hi: number, expected: string, loIncluded = false, hiIncluded = false): number {
    const ok = typeof v === 'number' && Number.isFinite(v) && (loIncluded ? v >= lo : v > lo) && (hiIncluded ? v <= hi : v < hi);
    if (!ok) throw new Error(`${this.className}: ${name} must be ${expected}, received ${String(v)}`);
    return v as number;
  }

  /**
   * Keras's optimizer config (snake_case keys, as `keras.optimizers.Adam().get_config()`); with
   * the class name it rebuilds the optimizer (`deserialize`). Subclasses add their own options.
   */
  getConfig(): Record<string, unknown> {
    return {
      name: this.className.toLowerCase(),
      learning_rate: this.learningRate,
      clipnorm: this.clipnorm ?? null,
      clipvalue: this.clipvalue ?? null,
      global_clipnorm: this.globalClipnorm ?? null,
    };
  }

  /** Copies of the slot buffers (momenta) of `v`, or null before its first update: for model files. */
  getSlots(v: Variable): Float64Array[] | null {
    const s = this.slots.get(v);
    return s ? s.map((a) => a.slice()) : null;
  }

  /** Sets the slot buffers of `v` (copies), as `getSlots` returned them; the caller checks the sizes. */
  setSlots(v: Variable, arrays: Float64Array[]): void {
    this.slots.set(v, arrays.map((a) => a.slice()));
  }

  /** Slot buffers for a variable, created on first use (float64 accumulators). */
  protected slotsFor(v: Variable, count: number, init = 0): Float64Array[] {
    let s = this.slots.get(v);
    if (!s) {
      this.slots.set(v, Array.from({ length: count }, () => new Float64Array(v.value.size).fill(init)));
      s = this.slots.get(v)!;
    }
    return s;
  }

  /**
   * Clips the gradients as configured. `globalNorm`, when the caller has measured it (the trainer
   * logs it as `grad_norm`), is used by globalClipnorm instead of being computed again.
   */
  clipGradients(grads: Tensor[], globalNorm?: number): Tensor[] {
    if (this.clipnorm !== undefined) return grads.map((g) => clipByNorm(g, this.clipnorm!));
    if (this.clipvalue !== undefined) return grads.map((g) => clipByValue(g, -this.clipvalue!, this.clipvalue!));
    if (this.globalClipnorm !== undefined) return clipByGlobalNorm(grads, this.globalClipnorm, globalNorm).grads;
    return grads;
  }

  /**
   * One optimization step: clip, then update every variable with its gradient. `globalNorm` is
   * the global norm of `grads` if the caller already has it (see clipGradients).
   */
  applyGradients(variables: Variable[], grads: Tensor[], globalNorm?: number): void {
    if (variables.length !== grads.length) {
      throw new Error(`${this.className}: ${variables.length} variables but ${grads.length} gradients`);
    }
    variables.forEach((v, i) => {
      if (v.value.size !== grads[i].size) {
        throw new Error(`${this.className}: gradient ${fmtShape(grads[i].shape)} does not match variable '${v.name}' ${fmtShape(v.shape)}`);
      }
    });
    const clipped = this.clipGradients(grads, globalNorm);
    this.iterations++;
    variables.forEach((v, i) => this.update(v, v.value.data, clipped[i].data));
  }

  protected abstract update(v: Variable, w: DataArray, g: DataArray): void;
}

/** Options of `SGD`: momentum (0) and Nesterov momentum (false). */
export interface SGDArgs extends OptimizerArgs {
  momentum?: number;
  nesterov?: boolean;
}

/**
 * SGD: w ← w - lr·g. With momentum μ: m ← μ·m - lr·g; w ← w + m
 * (Nesterov: w ← w + μ·m - lr·g).
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  constructor(args: SGDArgs = {}) {
    super(args, 0.01);
    // Keras: "`momentum` must be a float between [0, 1]"
    this.momentum = this.inRange('momentum', args.momentum ?? 0, 0, 1, 'a number in [0, 1]', true, true);
    this.nesterov = args.nesterov ?? false;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
  protected update(v: Variable, w: DataArray, g: DataArray): void {
    const lr = this.learningRate;
    const mu = this.momentum;
    if (mu === 0) {
      for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
      return;
    }
    const [m] = this.slotsFor(v, 1);
    for (let i = 0; i < w.length; i++) {
      m[i] = mu * m[i] - lr * g[i];
      w[i] += this.nesterov ? mu * m[i] - lr * g[i] : m[i];
    }
  }
}
registerClass('SGD', SGD);

/** Options of `Adam`: beta1 0.9, beta2 0.999, epsilon 1e-7 (Keras's defaults), amsgrad. */
export interface AdamArgs extends OptimizerArgs {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  amsgrad?: boolean;
}

/**
 * Adam (Kingma & Ba), Keras form:
 *   m ← β₁m + (1-β₁)g;  v ← β₂v + (1-β₂)g²;  (amsgrad: v̂ ← max(v̂, v))
 *   α_t = lr·√(1-β₂ᵗ)/(1-β₁ᵗ);  w ← w - α_t·m/(√v + ε)
 * Defaults lr 0.001, β₁ 0.9, β₂ 0.999, ε 1e-7. The step is @seqlab/tensor's `adamUpdate`: a
 * WebAssembly SIMD kernel, bit-identical to its scalar reference `adamUpdateJs`.
 */
export class Adam extends Optimizer {
  /** In a wasm memory of the optimizer's own, where the update runs on them in place (@seqlab/tensor's adamUpdate). */
  protected override slots = slotStore<Variable>();
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;
  constructor(args: AdamArgs = {}) {
    super(args, 0.001);
    this.beta1 = this.inRange('beta1', args.beta1 ?? 0.9, 0, 1, 'a number in [0, 1)', true);
    this.beta2 = this.inRange('beta2', args.beta2 ?? 0.999, 0, 1, 'a number in [0, 1)', true);
    this.epsilon = this.inRange('epsilon', args.epsilon ?? 1e-7, 0, Infinity, 'a finite number > 0');
    this.amsgrad = args.amsgrad ?? false;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
  protected update(v: Variable, w: DataArray, g: DataArray): void {
    const slots = this.slotsFor(v, this.amsgrad ? 3 : 2);
    const t = this.iterations;
    const { beta1, beta2, epsilon } = this;
    const alpha = (this.learningRate * Math.sqrt(1 - Math.pow(beta2, t))) / (1 - Math.pow(beta1, t));
    adamUpdate(w, g, slots, { alpha, beta1, beta2, epsilon }, this.slots);
  }
}
registerClass('Adam', Adam);

/** Options of `RMSprop`: rho 0.9, momentum 0, epsilon 1e-7, centered (Keras's defaults). */
export interface RMSpropArgs extends OptimizerArgs {
  rho?: number;
  momentum?: number;
  epsilon?: number;
  centered?: boolean;
}

/**
 * RMSprop, Keras 3 form: v ← ρv + (1-ρ)g²; (centered: ḡ ← ρḡ + (1-ρ)g, denominator v - ḡ²)
 *   step = lr·g/√(denominator + ε); with momentum μ: m ← μm + step, w ← w - m; else w ← w - step.
 * Defaults lr 0.001, ρ 0.9, ε 1e-7.
 */
export class RMSprop extends Optimizer {
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  constructor(args: RMSpropArgs = {}) {
    super(args, 0.001);
    this.rho = this.inRange('rho', args.rho ?? 0.9, 0, 1, 'a number in [0, 1)', true);
    this.momentum = this.inRange('momentum', args.momentum ?? 0, 0, 1, 'a number in [0, 1]', true, true);
    this.epsilon = this.inRange('epsilon', args.epsilon ?? 1e-7, 0, Infinity, 'a finite number > 0');
    this.centered = args.centered ?? false;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
  protected update(v: Variable, w: DataArray, g: DataArray): void {
    const [s, m, mg] = this.slotsFor(v, 3);
    const rho = this.rho;
    const lr = this.learningRate;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      s[i] = rho * s[i] + (1 - rho) * gi * gi;
      let denom = s[i];
      if (this.centered) {
        mg[i] = rho * mg[i] + (1 - rho) * gi;
        denom -= mg[i] * mg[i];
      }
      const step = (lr * gi) / Math.sqrt(denom + this.epsilon);
      if (this.momentum > 0) {
        m[i] = this.momentum * m[i] + step;
        w[i] -= m[i];
      } else w[i] -= step;
    }
  }
}
registerClass('RMSprop', RMSprop);

/** Options of `Adagrad`: initialAccumulatorValue 0.1, epsilon 1e-7 (Keras's defaults). */
export interface AdagradArgs extends OptimizerArgs {
  initialAccumulatorValue?: number;
  epsilon?: number;
}

/** Adagrad, Keras form: a ← a + g²; w ← w - lr·g/√(a + ε). Defaults lr 0.001, a₀ 0.1, ε 1e-7. */
export class Adagrad extends Optimizer {
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  constructor(args: AdagradArgs = {}) {
    super(args, 0.001);
    this.initialAccumulatorValue = this.inRange('initialAccumulatorValue', args.initialAccumulatorValue ?? 0.1, 0, Infinity, 'a finite number >= 0', true);
    this.epsilon = this.inRange('epsilon', args.epsilon ?? 1e-7, 0, Infinity, 'a finite number > 0');
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), initial_accumulator_value: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
  protected update(v: Variable, w: DataArray, g: DataArray): void {
    const [a] = this.slotsFor(v, 1, this.initialAccumulatorValue);
    for (let i = 0; i < w.length; i++) {
      a[i] += g[i] * g[i];
      w[i] -= (this.learningRate * g[i]) / Math.sqrt(a[i] + this.epsilon);
    }
  }
}
registerClass('Adagrad', Adagrad);

const byName: Record<string, () => Optimizer> = {
  sgd: () => new SGD(),
  adam: () => new Adam(),
  rmsprop: () => new RMSprop(),
  adagrad: () => new Adagrad(),
};

/** An optimizer from its name ('adam', 'sgd', 'rmsprop', 'adagrad', with Keras's defaults), or the instance itself. */
export function getOptimizer(spec: string | Optimizer): Optimizer {
  if (spec instanceof Optimizer) return spec;
  const make = byName[camel(spec).toLowerCase()];
  if (!make) throw new Error(`compile: unknown optimizer '${spec}'; expected one of ${Object.keys(byName).join(', ')}, or an Optimizer`);
  return make();
}
