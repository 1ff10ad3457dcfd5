/**
 * What the built-in cells share: the Keras weight handling of SimpleRNNCell, LSTMCell and GRUCell
 * (`KerasCell`: kernel, recurrentKernel, bias, their initializers, the activations, the config),
 * the inputs of their step equations, and StackedRNNCells. Each built-in cell's step equations,
 * weight layout and fused kernel live in its folder (simple_rnn/, lstm/, gru/); the seam every
 * cell plugs into (`Cell`, `RecurrentCell`) is cell.ts.
 *
 * Keras weight layout: kernel [I, G·H], recurrentKernel [H, G·H], bias [G·H] with the gates side
 * by side in Keras order (LSTM i, f, c, o; GRU z, r, h), so weights copy to and from Keras /
 * TensorFlow.js unchanged.
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
import { Cell, CellOptions, RecurrentCell, StepDropout, StepResult, asStepResult } from './cell';
import type { SequenceArgs } from './sequence';
import type { KernelArgs } from './fused/prepare';
import { activationCode } from './fused/activations';

/** `{ class_name, config }` of a cell; a clear error for a cell without getConfig. */
export function serializeCell(cell: RecurrentCell): LayerConfig {
  const name = classNameOf(cell);
  if (typeof cell.getConfig !== 'function') {
    throw new Error(`${name} '${cell.name}': cannot be written to a file: the cell has no getConfig() (return its options with snake_case keys, and register the class with registerCell('${name}', ${name}))`);
  }
  return { class_name: name, config: cell.getConfig() };
}

// ---------------------------------------------------------------------------------------------
// What the built-in cells' step equations (one folder per cell) take: plain tensors. The cells call
// them with their weights; the reference scan with the weights of a SequenceArgs. One copy of the math.

/**
 * A built-in cell's weights as plain tensors and its activations: what its step equations read.
 * The kernel is [I, G·H], the recurrent kernel [H, G·H] and the bias [G·H] (GRU with resetAfter:
 * [2, 3H]), gates side by side in Keras order.
 */
export interface StepWeights {
  kernel: Tensor;
  recurrentKernel: Tensor;
  bias: Tensor | null;
  activation: ActivationFn;
  recurrentActivation: ActivationFn;
  /** GRU only. */
  resetAfter?: boolean;
}

/** x·W + b (the input projection of every gate at once). */
export function inputProjection(x: Tensor, kernel: Tensor, bias: Tensor | null): Tensor {
  const z = A.matmul(x, kernel);
  return bias ? A.add(z, bias) : z;
}

// ---------------------------------------------------------------------------------------------
// The built-in cells

/**
 * Options of the built-in cells (and of the SimpleRNN, LSTM and GRU layers, which pass them on):
 * units, activations, bias, initializers, dropout rates, Keras's names in camelCase.
 */
export interface CellArgs extends CellOptions {
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
}

/** The common part of SimpleRNNCell, LSTMCell and GRUCell: weights in Keras order and layout. */
export abstract class KerasCell extends Cell {
  declare readonly args: CellArgs;
  readonly activation: ActivationFn;
  readonly recurrentActivation: ActivationFn;
  readonly useBias: boolean;
  kernel!: Variable;
  recurrentKernel!: Variable;
  bias: Variable | null = null;

  constructor(args: CellArgs, defaultName: string) {
    super(args, defaultName);
    this.activation = getActivation(args.activation === undefined ? 'tanh' : args.activation, this.label);
    this.recurrentActivation = getActivation(args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation, this.label);
    this.useBias = args.useBias ?? true;
  }

  /** Whether the cell has gates (and so a recurrent activation in its config). */
  protected get gated(): boolean {
    return true;
  }

  /** Keras's cell config (the keys of keras.layers.LSTMCell.get_config()). */
  override getConfig(): Record<string, unknown> {
    const a = this.args;
    const c: Record<string, unknown> = {
      name: this.name,
      trainable: true,
      dtype: 'float32',
      units: this.units,
      activation: activationToConfig(a.activation, 'tanh', this.label),
    };
    if (this.gated) c.recurrent_activation = activationToConfig(a.recurrentActivation, 'sigmoid', this.label);
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

  /** Whether the built-in fused kernels have code for the cell's activations (named, and known to activations.ts). */
  get fusedActivations(): boolean {
    const names = this.activationNames;
    return names !== null && activationCode(names[0]) >= 0 && (!this.gated || activationCode(names[1]) >= 0);
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
    const gh = this.gates * this.units;
    const init = (spec: InitializerSpec | undefined, dflt: InitializerSpec) => getInitializer(spec ?? dflt, this.label);
    this.kernel = this.addWeight('kernel', [inputDim, gh], init(this.args.kernelInitializer, 'glorotUniform'));
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, gh], init(this.args.recurrentInitializer, 'orthogonal'));
    if (this.useBias) this.bias = this.addWeight('bias', this.biasShape(), this.biasInitializer());
  }

  /**
   * The weights as plain tensors for the step equations: the cell's own (read at every call, so
   * they can be swapped), or `given` ([kernel, recurrentKernel, bias if useBias]).
   */
  stepWeights(given?: Tensor[]): StepWeights {
    let w: Tensor[];
    if (given) {
      const n = this.useBias ? 3 : 2;
      if (given.length !== n) {
        throw new Error(`${this.label}: expected ${n} weight tensors (kernel, recurrentKernel${this.useBias ? ', bias' : ''}), received ${given.length}`);
      }
      w = given;
    } else {
      if (!this.built) throw new Error(`${this.label}: the cell is not built; call build(inputDim) first`);
      w = this.weights.map((v) => v.value);
    }
    return {
      kernel: w[0],
      recurrentKernel: w[1],
      bias: this.useBias ? w[2] : null,
      activation: this.activation,
      recurrentActivation: this.recurrentActivation,
      resetAfter: this.resetAfterFlag,
    };
  }

  protected get resetAfterFlag(): boolean | undefined {
    return undefined;
  }

  /** The cell's step equations (simple_rnn/cell.ts, lstm/cell.ts, gru/cell.ts) on these weights. */
  protected abstract equations(w: StepWeights, x: Tensor, states: Tensor[], dropout?: StepDropout): StepResult;

  step(x: Tensor, states: Tensor[], dropout?: StepDropout): StepResult {
    return this.equations(this.stepWeights(), x, states, dropout);
  }

  override stepWith(weights: Tensor[], x: Tensor, states: Tensor[], dropout?: StepDropout): StepResult {
    return this.equations(this.stepWeights(weights), x, states, dropout);
  }

  /**
   * What the built-in fused kernels read: the sequence with its weights by role and the
   * activations by name (null when a custom activation function has no name).
   */
  kernelArgs(args: SequenceArgs): KernelArgs {
    const w = this.stepWeights(args.weights);
    const names = this.activationNames;
    if (names === null) throw new Error(`${this.label}: the fused kernel needs named activations; use the reference scan`);
    const { cell: _cell, weights: _weights, dropout, ...rest } = args;
    return {
      ...rest,
      name: this.label,
      kernel: w.kernel,
      recurrentKernel: w.recurrentKernel,
      bias: w.bias,
      activation: names[0],
      recurrentActivation: names[1],
      resetAfter: w.resetAfter,
      inputDropoutMask: dropout?.input ?? null,
      recurrentDropoutMask: dropout?.recurrent ?? null,
    };
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

  /** A StackedRNNCells from its Keras config (`{ cells: [...] }`), each cell deserialized by class name. */
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
      const [out, s] = asStepResult(cell.step(y, states.slice(offset, offset + n), dropout?.cells?.[k]), `StackedRNNCells '${this.name}'`);
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
