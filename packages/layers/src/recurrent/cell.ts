/**
 * The cell seam: what a recurrent cell is to the layer that runs it over time (`new RNN({ cell })`),
 * and `Cell`, the base class a user's cell extends. Keras's contract: a cell is one timestep of math
 * (`step`) and the sizes of its states (`stateSize`); the RNN layer owns time, masks, goBackwards,
 * returnSequences / returnState, initial and carried states, dropout masks, Bidirectional copies,
 * and the weights (summary counts, weights files, training).
 *
 *   cell.build(inputDim)              declares the weights (`addWeight`)
 *   cell.step(x_t, states, dropout?)  -> { output, states } (or [output, states])
 *   cell.stateSize                    [H] or, e.g. for an LSTM, [H, H]
 *
 * A cell runs on the reference scan (reference.ts): its step, made of autograd ops, one timestep at
 * a time, so backpropagation through time is the tape walked backwards. It may also register a
 * fused kernel (kernels.ts), as the built-in cells do.
 *
 * @example
 *   class MinimalRNNCell extends Cell {
 *     kernel!: Variable;
 *     recurrentKernel!: Variable;
 *     build(inputDim: number) {
 *       this.kernel = this.addWeight('kernel', [inputDim, this.units], 'glorotUniform');
 *       this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, this.units], 'orthogonal');
 *     }
 *     step(x: Tensor, [h]: Tensor[]) {       // h_t = tanh(x·W + h·U)
 *       const y = A.tanh(A.add(A.matmul(x, this.kernel.value), A.matmul(h, this.recurrentKernel.value)));
 *       return { output: y, states: [y] };
 *     }
 *   }
 *   registerCell('MinimalRNNCell', MinimalRNNCell);
 *   new RNN({ cell: new MinimalRNNCell({ units: 8 }), returnSequences: true });
 */
import * as A from '@seqlab/autograd';
import { Variable } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { DType, Tensor, fmtShape } from '@seqlab/tensor';
import { Initializer, InitializerSpec, getInitializer } from '../initializers';
import { checkWeightSize } from '../engine/layer';
import { classNameOf } from '../engine/registry';
import { snakeKey } from '../engine/config';
import { snakeCase } from '../engine/layer';

/** Inverted-dropout masks for one step (drawn once per sequence, the same at every step). */
export interface StepDropout {
  /** [B, I], multiplied into x_t. */
  input?: Tensor | null;
  /** [B, H], multiplied into h_{t-1} where it meets the recurrent kernel. */
  recurrent?: Tensor | null;
  /** StackedRNNCells: the masks of each cell. */
  cells?: (StepDropout | undefined)[];
}

/** One step's output and new states, as a pair (the built-in cells return this form). */
export type StepResult = [Tensor, Tensor[]];

/** One step's output and new states, as an object (the form DESIGN.md shows for a user's cell). */
export interface StepOutput {
  output: Tensor;
  states: Tensor[];
}

/** What a cell is to the scan: one step of math and the size of its states. */
export interface RecurrentCell {
  /** Sizes of the state tensors, [H] or [H, H]. */
  readonly stateSize: number[];
  /** Size of the output at each step. */
  readonly outputSize: number;
  readonly built: boolean;
  /** Creates the weights for inputs with `inputDim` features. */
  build(inputDim: number): void;
  /**
   * One timestep: x_t [B, I] and the states at t-1 ([B, size] each) to the output y_t and the new
   * states, written with autograd ops (so the scan's backward is the tape's). `dropout` holds the
   * masks the layer drew for this sequence, the same at every step.
   */
  step(x: Tensor, states: Tensor[], dropout?: StepDropout): StepResult | StepOutput;
  /** Weight variables in Keras order. */
  readonly weights: Variable[];
  /** A fresh, unbuilt cell with the same configuration (Bidirectional's backward copy). */
  clone(name?: string): RecurrentCell;
  name: string;
  /** Draws this cell's dropout masks for a batch (training only), or undefined without dropout. */
  dropoutMasks?(batch: number, dtype: DType, rng: T.Rng): StepDropout | undefined;
  /**
   * One step with `weights` (tensors in the order of `weights`) in place of the cell's own: how the
   * reference scan runs a SequenceArgs whose weights are not the cell's variables (tests, benchmarks).
   */
  stepWith?(weights: Tensor[], x: Tensor, states: Tensor[], dropout?: StepDropout): StepResult | StepOutput;
  /**
   * The cell's options as Keras writes them (snake_case keys), for model files. A user's cell
   * that has it (and is registered with `registerCell`) can be saved; loading calls its static
   * `fromConfig(config)` if it has one, else `new Cell(options in camelCase)`.
   */
  getConfig?(): Record<string, unknown>;
}

/** A step's result as a pair, whichever form the cell returned. */
export function asStepResult(r: StepResult | StepOutput, owner: string): StepResult {
  if (Array.isArray(r)) return r;
  if (r && r.output instanceof Tensor && Array.isArray(r.states)) return [r.output, r.states];
  throw new Error(`${owner}: step must return { output, states } or [output, states], received ${r === null ? 'null' : typeof r}`);
}

/** Zeros for every state of `cell`, [batch, size] each. */
export function zeroStates(cell: RecurrentCell, batch: number, dtype: DType = 'float32'): Tensor[] {
  return cell.stateSize.map((n) => T.zeros([batch, n], { dtype }));
}

/** x ⊙ mask (an inverted-dropout mask drawn for the sequence), or x itself without one. */
export function applyDropout(x: Tensor, mask: Tensor | null | undefined): Tensor {
  return mask ? A.mul(x, mask) : x;
}

/** The options every cell takes; a subclass adds its own (they are kept in `args` for `clone` and `getConfig`). */
export interface CellOptions {
  /** The state (and output) size H. */
  units: number;
  /** Fractions (in [0, 1)) of x_t and h_{t-1} dropped during training; the RNN layer draws the masks. */
  dropout?: number;
  recurrentDropout?: number;
  name?: string;
}

function checkRate(owner: string, what: string, rate: number): void {
  if (!(rate >= 0 && rate < 1)) throw new Error(`${owner}: ${what} must be in [0, 1), received ${rate}`);
}

/**
 * The base of every cell, built-in or a user's. A subclass writes `build(inputDim)` (declaring its
 * weights with `addWeight`, in the order `getWeights()` and weights files use) and a pure
 * `step(x, states, dropout?)` of autograd ops reading its weights' `.value`; it overrides
 * `stateSize` when it has more than one state ([units] by default). Its constructor takes one
 * options object (`clone` calls it again with the same options).
 */
export abstract class Cell implements RecurrentCell {
  name: string;
  readonly units: number;
  readonly dropout: number;
  readonly recurrentDropout: number;
  built = false;
  /** The input features the cell was built for (-1 before `build`). */
  inputDim = -1;
  private readonly declared: Variable[] = [];

  constructor(readonly args: CellOptions, defaultName?: string) {
    this.name = args.name ?? defaultName ?? snakeCase(classNameOf(this));
    if (!Number.isInteger(args.units) || args.units <= 0) {
      throw new Error(`${this.label}: units must be a positive integer, received ${args.units}`);
    }
    this.units = args.units;
    this.dropout = args.dropout ?? 0;
    this.recurrentDropout = args.recurrentDropout ?? 0;
    checkRate(this.label, 'dropout', this.dropout);
    checkRate(this.label, 'recurrentDropout', this.recurrentDropout);
    // build runs once, whoever calls it (the layer, a stack, Bidirectional, a test): the subclass's
    // build declares the weights, this wrapper checks the size and records it
    const userBuild = this.build;
    this.build = (inputDim: number): void => {
      if (this.built) {
        if (inputDim !== this.inputDim) throw new Error(`${this.label}: built for ${this.inputDim} input features, received ${inputDim}`);
        return;
      }
      if (!Number.isInteger(inputDim) || inputDim <= 0) throw new Error(`${this.label}: expected a positive input feature size, received ${inputDim}`);
      this.inputDim = inputDim;
      userBuild.call(this, inputDim);
      this.built = true;
    };
  }

  /** `ClassName 'name'`, for messages. */
  get label(): string {
    return `${classNameOf(this)} '${this.name}'`;
  }

  get stateSize(): number[] {
    return [this.units];
  }

  get outputSize(): number {
    return this.units;
  }

  /** The weights declared by `addWeight`, in declaration order. */
  get weights(): Variable[] {
    return this.declared.slice();
  }

  /** Declares the cell's weights for inputs of `inputDim` features (with `addWeight`). */
  abstract build(inputDim: number): void;

  /** One timestep: output and new states from x_t [B, inputDim] and the states [B, size] each. */
  abstract step(x: Tensor, states: Tensor[], dropout?: StepDropout): StepResult | StepOutput;

  /**
   * A new weight variable named `<cell name>/<name>`, of `shape`, initialized by `initializer`
   * (a name such as 'glorotUniform', 'orthogonal', 'zeros', or a function shape -> Tensor).
   * Declared weights are the cell's `weights`, in this order; all of them train.
   */
  addWeight(name: string, shape: number[], initializer: InitializerSpec | Initializer = 'glorotUniform'): Variable {
    if (!shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new Error(`${this.label}: addWeight('${name}'): expected a shape of positive integers, received ${fmtShape(shape)}`);
    }
    if (this.declared.some((v) => v.name === `${this.name}/${name}`)) {
      throw new Error(`${this.label}: addWeight('${name}'): the cell already has a weight of that name`);
    }
    checkWeightSize(this.label, name, shape);
    const init = typeof initializer === 'function' ? initializer : getInitializer(initializer, this.label);
    const value = init(shape);
    if (!value.shape.every((d, k) => d === shape[k]) || value.rank !== shape.length) {
      throw new Error(`${this.label}: addWeight('${name}'): the initializer gave ${fmtShape(value.shape)}, expected ${fmtShape(shape)}`);
    }
    const v = new Variable(value, `${this.name}/${name}`);
    this.declared.push(v);
    return v;
  }

  /** Zeros for every state, [batch, size] each. */
  zeroStates(batch: number, dtype: DType = 'float32'): Tensor[] {
    return zeroStates(this, batch, dtype);
  }

  /**
   * Inverted-dropout masks, drawn once per sequence: m ~ Bernoulli(1 - rate) / (1 - rate), [B, inputDim]
   * for x_t and [B, stateSize[0]] for h_{t-1}. The step applies them (`applyDropout`).
   */
  dropoutMasks(batch: number, dtype: DType, rng: T.Rng): StepDropout | undefined {
    if (this.dropout === 0 && this.recurrentDropout === 0) return undefined;
    return {
      input: this.dropout > 0 ? T.dropoutMask([batch, this.inputDim], this.dropout, rng, { dtype }) : null,
      recurrent: this.recurrentDropout > 0 ? T.dropoutMask([batch, this.stateSize[0]], this.recurrentDropout, rng, { dtype }) : null,
    };
  }

  /**
   * One step with `weights` in place of the cell's own (same order and shapes as `weights`): the
   * variables hold them for the step's duration, so the step's ops read them.
   */
  stepWith(weights: Tensor[], x: Tensor, states: Tensor[], dropout?: StepDropout): StepResult | StepOutput {
    const own = this.declared;
    if (weights.length !== own.length) {
      throw new Error(`${this.label}: expected ${own.length} weight tensor(s) (${own.map((v) => v.name).join(', ')}), received ${weights.length}`);
    }
    const saved = own.map((v) => v.value);
    try {
      own.forEach((v, k) => {
        if (weights[k].rank !== v.value.rank || !weights[k].shape.every((d, i) => d === v.value.shape[i])) {
          throw new Error(`${this.label}: expected weight '${v.name}' ${fmtShape(v.value.shape)}, received ${fmtShape(weights[k].shape)}`);
        }
        v.value = weights[k];
      });
      return this.step(x, states, dropout);
    } finally {
      own.forEach((v, k) => (v.value = saved[k]));
    }
  }

  /** A fresh, unbuilt cell of the same class and options. */
  clone(name?: string): RecurrentCell {
    const Ctor = this.constructor as new (args: CellOptions) => Cell;
    return new Ctor({ ...this.args, name: name ?? this.name });
  }

  /** The options with snake_case keys (numbers, strings, booleans and null only) and the name. */
  getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = { name: this.name, trainable: true, dtype: 'float32' };
    for (const [k, v] of Object.entries(this.args)) {
      if (k === 'name' || v === undefined) continue;
      if (v === null || ['number', 'string', 'boolean'].includes(typeof v)) c[snakeKey(k)] = v;
    }
    return c;
  }
}
