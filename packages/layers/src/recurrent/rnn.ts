/**
 * Recurrent layers: `RNN({ cell })` owns the time loop of any cell; `SimpleRNN`, `LSTM` and `GRU`
 * (simple_rnn/layer.ts, lstm/layer.ts, gru/layer.ts, beside their cells, so that a page bundles
 * only the ones it uses) are RNNs of the built-in cells, with the Keras options (camelCase).
 *
 *   new LSTM({ units: 32 }).apply(x)                                  // x [B, T, I] -> [B, 32]
 *   new LSTM({ units: 32, returnSequences: true, returnState: true })  // -> [[B, T, 32], h, c]
 *
 * The layer prepares the arguments (weights, initial states, mask, dropout masks) and hands the
 * whole sequence to a SequenceRunner: the fused kernel by default, the reference scan with
 * `implementation: 'reference'` (and always for custom cells or custom activation functions).
 */
import { noGrad } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor, fmtShape } from '@seqlab/tensor';
import { ActivationSpec } from '../activations';
import { CallArgs, Layer, LayerArgs, LayerInput, LayerOutput, registerLayer } from '../engine/layer';
import { SymShape, expectShape, fmtReceived } from '../engine/shapes';
import { InitializerSpec, getRng } from '../initializers';
import { CellArgs, StackedRNNCells, serializeCell } from './cells';
import { RecurrentCell, StepDropout } from './cell';
import { fusedSequence, fusedSupports } from './fused';
import { referenceSequence } from './reference';
import { SequenceArgs, SequenceResult, SequenceRunner } from './sequence';
import { activeSequenceWatch } from './sequence_watch';

// ---------------------------------------------------------------------------------------------
// THE dispatch point between the fused kernel (./fused) and the reference scan. A configuration
// the fused kernel does not implement (an activation it has no code for) runs the reference.
/**
 * How a recurrent layer runs a sequence: 'fused' (default; the cell's registered kernel, one tape
 * node, hand-written BPTT) or 'reference' (the step-by-step autograd scan). Both give the same values
 * and gradients; the reference is there to read and to check against.
 */
export type Implementation = 'fused' | 'reference';

const fusedOrReference: SequenceRunner = (args) => (fusedSupports(args) ? fusedSequence(args) : referenceSequence(args));

/**
 * The function that runs a sequence for an implementation: the cell's registered fused kernel when
 * it supports the configuration (else the reference scan), or always the reference scan.
 */
export function sequenceRunner(implementation: Implementation): SequenceRunner {
  return implementation === 'reference' ? referenceSequence : fusedOrReference;
}
// ---------------------------------------------------------------------------------------------

/**
 * Options every recurrent layer takes, with Keras's names in camelCase (what the layer does with the
 * time axis; the cell's own options are in CellArgs).
 */
export interface BaseRNNArgs extends LayerArgs {
  /** Return the output of every step [B, T, H] rather than the last one [B, H]. */
  returnSequences?: boolean;
  /** Also return the final states: [output, h] or, for LSTM, [output, h, c]. */
  returnState?: boolean;
  /** Process the sequence in reverse (returned sequences stay in processing order, as Keras). */
  goBackwards?: boolean;
  /** Carry the final states of a batch into the next call (needs a fixed batch size). */
  stateful?: boolean;
  /** Masked steps output zeros instead of repeating the previous output (Bidirectional sets it). */
  zeroOutputForMask?: boolean;
  /** 'fused' (default): one tape node per sequence; 'reference': the step-by-step autograd scan. */
  implementation?: Implementation;
  /** Keras's unroll: accepted for compatibility, no effect (the loop is always a loop). */
  unroll?: boolean;
}

/** Options of `RNN`: the cell (or a list of cells, stacked) and BaseRNNArgs. */
export interface RNNArgs extends BaseRNNArgs {
  /** A cell, or a list of cells run as a stack (StackedRNNCells). */
  cell: RecurrentCell | RecurrentCell[];
}

/**
 * Keras's RNN layer: runs a cell over the time axis of x [batch, time, features] and returns the
 * last output [batch, units] or every output [batch, time, units] (`returnSequences`), and the
 * final states with `returnState`. It owns everything about time: masks, `goBackwards`, initial
 * states, `stateful` batches, dropout masks; the cell owns one step. SimpleRNN, LSTM and GRU are RNNs
 * with a built-in cell; any RecurrentCell (a user's `Cell` subclass) runs the same way.
 * @example
 *   const layer = new RNN({ cell: new LSTMCell({ units: 32 }), returnSequences: true });
 *   layer.apply(x);   // x [B, T, I] -> [B, T, 32]
 */
export class RNN extends Layer {
  readonly cell: RecurrentCell;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  private readonly statefulFlag: boolean;
  zeroOutputForMask: boolean;
  implementation: Implementation;
  /** Stateful layers: the states carried between calls (plain tensors, never on a tape). */
  private carried: Tensor[] | null = null;
  protected inputDim: number | null = null;
  /** The constructor arguments, to recreate the layer (Bidirectional). */
  protected readonly config: RNNArgs;

  constructor(args: RNNArgs) {
    super(args);
    this.config = { ...args };
    const cell = Array.isArray(args.cell) ? new StackedRNNCells(args.cell) : args.cell;
    if (!cell || typeof cell.step !== 'function' || !Array.isArray(cell.stateSize)) {
      throw new Error(`${this.label}: expected 'cell' to be a recurrent cell (stateSize, build, step) or a list of cells`);
    }
    this.cell = cell;
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.statefulFlag = args.stateful ?? false;
    this.zeroOutputForMask = args.zeroOutputForMask ?? false;
    this.implementation = args.implementation ?? 'fused';
    if (this.implementation !== 'fused' && this.implementation !== 'reference') {
      throw new Error(`${this.label}: implementation must be 'fused' or 'reference', received '${String(this.implementation)}'`);
    }
    this.supportsMasking = true;
  }

  /** Carries its final states into the next call (`stateful: true`). */
  override get stateful(): boolean {
    return this.statefulFlag;
  }

  /**
   * Keras's RNN config: the layer's flags and its cell (`cell: { class_name, config }`); SimpleRNN,
   * LSTM and GRU write their cell's options inline instead, as Keras does.
   */
  override getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = {
      ...super.getConfig(),
      return_sequences: this.returnSequences,
      return_state: this.returnState,
      go_backwards: this.goBackwards,
      stateful: this.stateful,
      unroll: false,
    };
    if (this.config.zeroOutputForMask) c.zero_output_for_mask = true;
    if (this.constructor === RNN) {
      c.cell = serializeCell(this.cell);
      return c;
    }
    const { name: _n, trainable: _t, dtype: _d, ...cellOptions } = serializeCell(this.cell).config;
    return { ...c, ...cellOptions };
  }

  /** Number of units (the output size). */
  get units(): number {
    return this.cell.outputSize;
  }

  /** A new layer of the same class and configuration, with fresh weights. */
  recreate(overrides: Partial<BaseRNNArgs> & { name: string }): RNN {
    const ctor = this.constructor as new (args: RNNArgs) => RNN;
    const cfg: RNNArgs = { ...this.config, ...overrides };
    // a generic RNN gets a fresh copy of its cell (built-in layers make their own)
    if (ctor === RNN) cfg.cell = this.cell.clone();
    return new ctor(cfg);
  }

  override build(inputShape: SymShape | SymShape[]): void {
    const shape = this.inputShapeOf(inputShape);
    if (shape.length !== 3) expectShape(this.label, 'input', shape, ['batch', 'time', 'features']);
    const dim = shape[2];
    if (dim === null) throw new Error(`${this.label}: the feature axis of the input must be known, received ${fmtReceived(shape)}`);
    if (this.stateful && shape[0] === null) {
      throw new Error(
        `${this.label}: a stateful RNN needs a fixed batch size; give the first layer batchInputShape [batch, time, features] (received input ${fmtReceived(shape)})`,
      );
    }
    this.inputDim = dim;
    this.cell.build(dim);
    for (const w of this.cell.weights) if (!this.ownWeights.includes(w)) this.ownWeights.push(w);
    this.built = true;
  }

  private inputShapeOf(inputShape: SymShape | SymShape[]): SymShape {
    // Keras also accepts [x, ...initialStates] as a list: the first entry is the sequence
    return Array.isArray(inputShape[0]) ? (inputShape[0] as SymShape) : (inputShape as SymShape);
  }

  computeOutputShape(inputShape: SymShape | SymShape[], args: { initialState?: SymShape[] } = {}): SymShape | SymShape[] {
    const shape = this.inputShapeOf(inputShape);
    expectShape(this.label, 'input', shape, ['batch', 'time', this.inputDim ?? 'features']);
    const [batch, time] = shape;
    if (args.initialState) this.checkStateShapes(args.initialState, batch);
    const H = this.cell.outputSize;
    const out: SymShape = this.returnSequences ? [batch, time, H] : [batch, H];
    if (!this.returnState) return out;
    return [out, ...this.cell.stateSize.map((n) => [batch, n])];
  }

  private checkStateShapes(states: readonly (readonly (number | null)[])[], batch: number | null): void {
    const sizes = this.cell.stateSize;
    if (states.length !== sizes.length) {
      throw new Error(`${this.label}: expected ${sizes.length} initial state${sizes.length > 1 ? 's' : ''} (${this.stateNames()}), received ${states.length}`);
    }
    states.forEach((s, i) => expectShape(this.label, `initial state ${i}`, s, [batch ?? 'batch', sizes[i]]));
  }

  private stateNames(): string {
    return this.cell.stateSize.length === 2 ? 'h, c' : this.cell.stateSize.map((_, i) => `s${i}`).join(', ');
  }

  override computeMask(_inputs: LayerInput, mask: Tensor | null): Tensor | null | (Tensor | null)[] {
    // Keras: the output keeps the input mask only when it is still a sequence; states have none.
    // (With goBackwards the mask is passed on unreversed, as Keras does.)
    const outMask = this.returnSequences ? mask : null;
    return this.returnState ? [outMask, ...this.cell.stateSize.map(() => null)] : outMask;
  }

  call(inputs: LayerInput, args: CallArgs = {}): LayerOutput {
    let x: Tensor;
    let initialState = args.initialState;
    if (Array.isArray(inputs)) {
      [x] = inputs;
      if (inputs.length > 1 && !initialState) initialState = inputs.slice(1);
    } else x = inputs;
    if (x.rank !== 3 || (this.inputDim !== null && x.shape[2] !== this.inputDim)) {
      expectShape(this.label, 'input', x.shape, ['batch', 'time', this.inputDim ?? 'features']);
    }
    const [B, steps] = x.shape;
    const mask = args.mask ?? null;
    if (mask && (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== steps)) {
      throw new Error(`${this.label}: expected mask [${B}, ${steps}] (batch, time of input ${fmtShape(x.shape)}), received ${fmtShape(mask.shape)}`);
    }
    const states = this.initialStates(x, initialState);
    const dropout = args.training ? this.cell.dropoutMasks?.(B, x.dtype, getRng()) : undefined;
    const watch = activeSequenceWatch(); // null except while diagnosing a step (sequence_watch.ts)
    const result = watch === null ? this.runSequence(x, states, mask, dropout) : watch(this, x, (xw) => this.runSequence(xw, states, mask, dropout));
    if (this.stateful) this.carried = result.states.map((s) => s.clone()); // detached: plain copies
    return this.returnState ? [result.output, ...result.states] : result.output;
  }

  private initialStates(x: Tensor, given: Tensor[] | undefined): Tensor[] {
    const B = x.shape[0];
    if (given && given.length > 0) {
      this.checkStateShapes(given.map((s) => s.shape), B);
      return given;
    }
    if (this.stateful) {
      if (this.batchInputShape && this.batchInputShape[0] !== null && this.batchInputShape[0] !== B) {
        throw new Error(`${this.label}: stateful layer built for batch size ${this.batchInputShape[0]}, received input ${fmtShape(x.shape)}`);
      }
      if (this.carried && this.carried[0].shape[0] !== B) {
        throw new Error(`${this.label}: stateful layer holds states for batch size ${this.carried[0].shape[0]}, received input ${fmtShape(x.shape)}; call resetStates() first`);
      }
      if (this.carried) return this.carried.map((s) => (s.dtype === x.dtype ? s : s.cast(x.dtype)));
    }
    return this.cell.stateSize.map((n) => T.zeros([B, n], { dtype: x.dtype }));
  }

  /**
   * Runs the whole sequence: the fused kernel registered for the cell's class when there is one
   * that supports the cell's configuration (and `implementation` is 'fused'), else the reference
   * scan of the cell's step. Either way with the cell's weights, masks, dropout and states.
   */
  protected runSequence(
    x: Tensor,
    initialStates: Tensor[],
    mask: Tensor | null,
    dropout: StepDropout | undefined,
    returnSequences = this.returnSequences,
  ): SequenceResult {
    const cell = this.cell;
    const args: SequenceArgs = {
      cell,
      x,
      weights: cell.weights.map((v) => v.value),
      initialStates,
      mask,
      goBackwards: this.goBackwards,
      returnSequences,
      zeroOutputForMask: this.zeroOutputForMask,
      dropout,
    };
    return sequenceRunner(this.implementation)(args);
  }

  /**
   * The output of every step [B, T, H] for these inputs, whatever `returnSequences` says, without
   * touching carried states or recording gradients: for diagnostics (TerminateOnNaN's timestep).
   */
  stepOutputs(x: Tensor, mask: Tensor | null = null, initialState?: Tensor[]): Tensor {
    const states = this.initialStates(x, initialState);
    return noGrad(() => this.runSequence(x, states, mask, undefined, true).output);
  }

  /** Stateful layers: zeroes the carried states (or sets them to `states`). A no-op otherwise (Model.resetStates calls every layer). */
  override resetStates(states?: Tensor[]): void {
    if (!this.stateful) return;
    if (states) {
      this.setStates(states);
      return;
    }
    const B = this.batchInputShape?.[0] ?? this.carried?.[0].shape[0] ?? null;
    this.carried = B === null ? null : this.cell.stateSize.map((n) => T.zeros([B, n]));
  }

  /** Copies of the carried states (zeros before the first call). */
  getStates(): Tensor[] {
    if (this.carried) return this.carried.map((s) => s.clone());
    const B = this.batchInputShape?.[0] ?? null;
    if (B === null) return [];
    return this.cell.stateSize.map((n) => T.zeros([B, n]));
  }

  /** Sets the carried states of a stateful layer ([batch, size] each, in the cell's state order). */
  setStates(states: Tensor[]): void {
    if (!this.stateful) throw new Error(`${this.label}: setStates() needs a stateful layer (stateful: true)`);
    const B = this.batchInputShape?.[0] ?? states[0]?.shape[0] ?? null;
    this.checkStateShapes(states.map((s) => s.shape), B);
    this.carried = states.map((s) => s.clone());
  }
}
registerLayer('RNN', RNN);

/** The cell's options (units, activations, initializers, dropout) plus the layer's. */
export interface RecurrentLayerArgs extends BaseRNNArgs, Omit<CellArgs, 'name' | 'unitForgetBias' | 'resetAfter'> {}
