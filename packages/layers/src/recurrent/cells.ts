/**
 * Recurrent cells: the math of ONE timestep (the Keras 3 cell contract).
 *
 *   cell.build(inputDim)                       creates kernel, recurrentKernel, bias
 *   cell.step(x_t, states, dropout?)           -> [output_t, newStates]
 *   cell.stateSize                             [H] (SimpleRNN, GRU) or [H, H] (LSTM: h, c)
 *
 * This module holds what every cell shares; each built-in cell's step equations, weight layout and
 * fused kernel live in its folder (simple_rnn/, lstm/, gru/).
 *
 * A cell never loops over time: the scan in reference.ts (or the fused kernel) does. Keras weight
 * layout: kernel [I, G·H], recurrentKernel [H, G·H], bias [G·H] with the gates side by side in
 * Keras order (LSTM i, f, c, o; GRU z, r, h), so weights copy to and from Keras / TensorFlow.js
 * unchanged.
 *
 * Notation in the comments: x = x_t [B, I], h = h_{t-1} [B, H], W = kernel, U = recurrentKernel,
 * b = bias, σ = recurrentActivation (sigmoid), φ = activation (tanh), ⊙ element-wise product.
 *
 * @example
 *   const cell = new LSTMCell({ units: 4 });
 *   cell.build(3);
 *   const [y, [h, c]] = cell.step(x, cell.zeroStates(2));   // x: [2, 3]
 */
import * as A from '@seqlab/autograd';
import { Variable } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { DType, Tensor } from '@seqlab/tensor';
import { ActivationFn, ActivationSpec, activationName, getActivation } from '../activations';
import { Initializer, InitializerSpec, getInitializer } from '../initializers';
import { CustomObjects, LayerConfig, activationToConfig, deserialize, initializerToConfig } from '../engine/config';
import { classNameOf, registerCell } from '../engine/registry';
import { checkWeightSize } from '../engine/layer';
import type { CellKind } from './sequence';

/** Inverted-dropout masks for one step (drawn once per sequence, the same at every step). */
export interface StepDropout {
  /** [B, I], multiplied into x_t. */
  input?: Tensor | null;
  /** [B, H], multiplied into h_{t-1} where it meets the recurrent kernel. */
  recurrent?: Tensor | null;
  /** StackedRNNCells: the masks of each cell. */
  cells?: (StepDropout | undefined)[];
}

export type StepResult = [Tensor, Tensor[]];

/** What a cell is to the scan: one step of math and the size of its states. */
export interface RecurrentCell {
  /** Sizes of the state tensors, [H] or [H, H]. */
  readonly stateSize: number[];
  /** Size of the output at each step. */
  readonly outputSize: number;
  readonly built: boolean;
  /** Creates the weights for inputs with `inputDim` features. */
  build(inputDim: number): void;
  step(x: Tensor, states: Tensor[], dropout?: StepDropout): StepResult;
  /** Weight variables in Keras order. */
  readonly weights: Variable[];
  /** A fresh, unbuilt cell with the same configuration (Bidirectional's backward copy). */
  clone(name?: string): RecurrentCell;
  name: string;
  /** Draws this cell's dropout masks for a batch (training only), or undefined without dropout. */
  dropoutMasks?(batch: number, dtype: DType, rng: T.Rng): StepDropout | undefined;
  /**
   * The cell's options as Keras writes them (snake_case keys), for model files. A user's cell
   * that has it (and is registered with `registerCell`) can be saved; loading calls its static
   * `fromConfig(config)` if it has one, else `new Cell(options in camelCase)`.
   */
  getConfig?(): Record<string, unknown>;
}

/** `{ class_name, config }` of a cell; a clear error for a cell without getConfig. */
export function serializeCell(cell: RecurrentCell): LayerConfig {
  const name = classNameOf(cell);
  if (typeof cell.getConfig !== 'function') {
    throw new Error(`${name} '${cell.name}': cannot be written to a file: the cell has no getConfig() (return its options with snake_case keys, and register the class with registerCell('${name}', ${name}))`);
  }
  return { class_name: name, config: cell.getConfig() };
}

/** Zeros for every state of `cell`, [batch, size] each. */
export function zeroStates(cell: RecurrentCell, batch: number, dtype: DType = 'float32'): Tensor[] {
  return cell.stateSize.map((n) => T.zeros([batch, n], { dtype }));
}

// ---------------------------------------------------------------------------------------------
// What the built-in cells' step equations (one folder per cell) take: plain tensors. The cells call
// them with their weights; the reference scan with the weights of a SequenceArgs. One copy of the math.

export interface StepWeights {
  kernel: Tensor;
  recurrentKernel: Tensor;
  bias: Tensor | null;
  activation: ActivationFn;
  recurrentActivation: ActivationFn;
  /** GRU only. */
  resetAfter?: boolean;
}

/** x ⊙ mask (an inverted-dropout mask drawn for the sequence), or x itself without one. */
export function applyDropout(x: Tensor, mask: Tensor | null | undefined): Tensor {
  return mask ? A.mul(x, mask) : x;
}

/** x·W + b (the input projection of every gate at once). */
export function inputProjection(x: Tensor, kernel: Tensor, bias: Tensor | null): Tensor {
  const z = A.matmul(x, kernel);
  return bias ? A.add(z, bias) : z;
}

// ---------------------------------------------------------------------------------------------
// The built-in cells

export interface CellArgs {
  units: number;
  activation?: ActivationSpec;
  recurrentActivation?: ActivationSpec;
  useBias?: boolean;
  kernelInitializer?: InitializerSpec;
  recurrentInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
  /** LSTM only: the forget part of the bias starts at 1 (Keras default true). */
  unitForgetBias?: boolean;
  /** GRU only (Keras default true). */
  resetAfter?: boolean;
  /** Fractions (in [0, 1)) of x_t and h_{t-1} dropped during training; the RNN layer draws the masks. */
  dropout?: number;
  recurrentDropout?: number;
  name?: string;
}

function checkRate(owner: string, what: string, rate: number): void {
  if (!(rate >= 0 && rate < 1)) throw new Error(`${owner}: ${what} must be in [0, 1), received ${rate}`);
}

/** The common part of SimpleRNNCell, LSTMCell and GRUCell: weights in Keras order and layout. */
export abstract class KerasCell implements RecurrentCell {
  abstract readonly kind: CellKind;
  name: string;
  readonly units: number;
  readonly activation: ActivationFn;
  readonly recurrentActivation: ActivationFn;
  readonly useBias: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  kernel!: Variable;
  recurrentKernel!: Variable;
  bias: Variable | null = null;
  built = false;
  inputDim = -1;

  constructor(readonly args: CellArgs, defaultName: string) {
    this.name = args.name ?? defaultName;
    if (!Number.isInteger(args.units) || args.units <= 0) {
      throw new Error(`${this.label}: units must be a positive integer, received ${args.units}`);
    }
    this.units = args.units;
    this.activation = getActivation(args.activation === undefined ? 'tanh' : args.activation, this.label);
    this.recurrentActivation = getActivation(args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation, this.label);
    this.useBias = args.useBias ?? true;
    this.dropout = args.dropout ?? 0;
    this.recurrentDropout = args.recurrentDropout ?? 0;
    checkRate(this.label, 'dropout', this.dropout);
    checkRate(this.label, 'recurrentDropout', this.recurrentDropout);
  }

  get label(): string {
    return `${classNameOf(this)} '${this.name}'`;
  }

  get stateSize(): number[] {
    return [this.units];
  }

  get outputSize(): number {
    return this.units;
  }

  /** Keras's cell config (the keys of keras.layers.LSTMCell.get_config()). */
  getConfig(): Record<string, unknown> {
    const a = this.args;
    const c: Record<string, unknown> = {
      name: this.name,
      trainable: true,
      dtype: 'float32',
      units: this.units,
      activation: activationToConfig(a.activation, 'tanh', this.label),
    };
    if (this.kind !== 'simpleRNN') c.recurrent_activation = activationToConfig(a.recurrentActivation, 'sigmoid', this.label);
    Object.assign(c, {
      use_bias: this.useBias,
      kernel_initializer: initializerToConfig(a.kernelInitializer, 'glorotUniform'),
      recurrent_initializer: initializerToConfig(a.recurrentInitializer, 'orthogonal'),
      bias_initializer: initializerToConfig(a.biasInitializer, 'zeros'),
      kernel_regularizer: null,
      recurrent_regularizer: null,
      bias_regularizer: null,
      kernel_constraint: null,
      recurrent_constraint: null,
      bias_constraint: null,
      dropout: this.dropout,
      recurrent_dropout: this.recurrentDropout,
    });
    return c;
  }

  /** Activation names for the fused kernel, or null when a custom function is used. */
  get activationNames(): [string, string] | null {
    const a = activationName(this.args.activation === undefined ? 'tanh' : this.args.activation);
    const r = activationName(this.args.recurrentActivation === undefined ? 'sigmoid' : this.args.recurrentActivation);
    return a !== null && r !== null ? [a, r] : null;
  }

  get weights(): Variable[] {
    return this.bias ? [this.kernel, this.recurrentKernel, this.bias] : this.built ? [this.kernel, this.recurrentKernel] : [];
  }

  /** Gate blocks side by side in the weights (G in [I, G·H]): the cell's layout. */
  protected abstract get gates(): number;

  protected biasShape(): number[] {
    return [this.gates * this.units];
  }

  protected biasInitializer(): Initializer {
    return getInitializer(this.args.biasInitializer ?? 'zeros', this.label);
  }

  build(inputDim: number): void {
    if (this.built) {
      if (inputDim !== this.inputDim) {
        throw new Error(`${this.label}: built for ${this.inputDim} input features, received ${inputDim}`);
      }
      return;
    }
    if (!Number.isInteger(inputDim) || inputDim <= 0) throw new Error(`${this.label}: expected a positive input feature size, received ${inputDim}`);
    this.inputDim = inputDim;
    const gh = this.gates * this.units;
    const init = (spec: InitializerSpec | undefined, dflt: InitializerSpec) => getInitializer(spec ?? dflt, this.label);
    this.kernel = this.variable('kernel', [inputDim, gh], init(this.args.kernelInitializer, 'glorotUniform'));
    this.recurrentKernel = this.variable('recurrent_kernel', [this.units, gh], init(this.args.recurrentInitializer, 'orthogonal'));
    if (this.useBias) this.bias = this.variable('bias', this.biasShape(), this.biasInitializer());
    this.built = true;
  }

  private variable(name: string, shape: number[], initializer: Initializer): Variable {
    checkWeightSize(this.label, name, shape);
    return new Variable(initializer(shape), `${this.name}/${name}`);
  }

  /** The weights as plain tensors for the step equations (read at every call, so they can be swapped). */
  stepWeights(): StepWeights {
    if (!this.built) throw new Error(`${this.label}: the cell is not built; call build(inputDim) first`);
    return {
      kernel: this.kernel.value,
      recurrentKernel: this.recurrentKernel.value,
      bias: this.bias ? this.bias.value : null,
      activation: this.activation,
      recurrentActivation: this.recurrentActivation,
      resetAfter: this.resetAfterFlag,
    };
  }

  protected get resetAfterFlag(): boolean | undefined {
    return undefined;
  }

  /** One step: the cell's step equations (simple_rnn/cell.ts, lstm/cell.ts, gru/cell.ts) with its weights. */
  abstract step(x: Tensor, states: Tensor[], dropout?: StepDropout): StepResult;

  zeroStates(batch: number, dtype: DType = 'float32'): Tensor[] {
    return zeroStates(this, batch, dtype);
  }

  /** Inverted-dropout masks, drawn once per sequence: m ~ Bernoulli(1 - rate) / (1 - rate). */
  dropoutMasks(batch: number, dtype: DType, rng: T.Rng): StepDropout | undefined {
    if (this.dropout === 0 && this.recurrentDropout === 0) return undefined;
    return {
      input: this.dropout > 0 ? T.dropoutMask([batch, this.inputDim], this.dropout, rng, { dtype }) : null,
      recurrent: this.recurrentDropout > 0 ? T.dropoutMask([batch, this.units], this.recurrentDropout, rng, { dtype }) : null,
    };
  }

  /** A fresh, unbuilt cell of the same class and configuration. */
  clone(name?: string): RecurrentCell {
    const Cell = this.constructor as new (args: CellArgs) => KerasCell;
    return new Cell({ ...this.args, name: name ?? this.name });
  }
}

/**
 * Several cells stacked in one step (Keras StackedRNNCells): cell k reads cell k-1's output; the
 * states are all cells' states in order; the output is the last cell's.
 */
export class StackedRNNCells implements RecurrentCell {
  name: string;
  readonly cells: RecurrentCell[];
  built = false;

  constructor(cells: RecurrentCell[], name = 'stacked_rnn_cells') {
    if (cells.length === 0) throw new Error(`StackedRNNCells '${name}': expected at least one cell`);
    this.cells = cells;
    this.name = name;
  }

  get stateSize(): number[] {
    return this.cells.flatMap((c) => c.stateSize);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: true, dtype: 'float32', cells: this.cells.map(serializeCell) };
  }

  static fromConfig(config: Record<string, unknown>, custom: CustomObjects = {}): StackedRNNCells {
    const cells = config.cells;
    if (!Array.isArray(cells)) throw new Error(`StackedRNNCells: fromConfig: expected 'cells' to be a list, received ${JSON.stringify(cells)}`);
    return new StackedRNNCells(cells.map((c) => deserialize<RecurrentCell>(c, custom)), typeof config.name === 'string' ? config.name : undefined);
  }

  get outputSize(): number {
    return this.cells[this.cells.length - 1].outputSize;
  }

  get weights(): Variable[] {
    return this.cells.flatMap((c) => c.weights);
  }

  build(inputDim: number): void {
    let d = inputDim;
    for (const c of this.cells) {
      c.build(d);
      d = c.outputSize;
    }
    this.built = true;
  }

  dropoutMasks(batch: number, dtype: DType, rng: T.Rng): StepDropout | undefined {
    const cells = this.cells.map((c) => c.dropoutMasks?.(batch, dtype, rng));
    return cells.some((d) => d !== undefined) ? { cells } : undefined;
  }

  step(x: Tensor, states: Tensor[], dropout?: StepDropout): StepResult {
    let y = x;
    let offset = 0;
    const next: Tensor[] = [];
    this.cells.forEach((cell, k) => {
      const n = cell.stateSize.length;
      const [out, s] = cell.step(y, states.slice(offset, offset + n), dropout?.cells?.[k]);
      next.push(...s);
      offset += n;
      y = out;
    });
    return [y, next];
  }

  clone(name?: string): StackedRNNCells {
    return new StackedRNNCells(this.cells.map((c) => c.clone()), name ?? this.name);
  }
}
registerCell('StackedRNNCells', StackedRNNCells);
