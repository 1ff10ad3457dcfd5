/**
 * The Layer contract (as Keras): `build(inputShape)` creates weights on first use from the
 * input's shape; `computeOutputShape` gives the output shape without data (and rejects a wrong
 * input shape with an error naming the layer); `call` does the math on concrete tensors with
 * autograd ops; `computeMask` says which timesteps of the output are real.
 *
 * `apply` works on both symbolic tensors (from `input()`, building a graph for `Model`) and
 * concrete tensors (eager: `new LSTM({ units: 4 }).apply(x)`).
 */
import { Variable } from '@seqlab/autograd';
import { Shape, Tensor, fmtShape, shapesEqual } from '@seqlab/tensor';
import { Initializer } from '../initializers';
import { attachMask, maskOf } from './mask';
import { CustomObjects, LayerConfig, configToArgs } from './config';
import { classNameOf, registerClass } from './registry';
import { SymShape } from './shapes';
import { Node, SymbolicTensor } from './symbolic';

/** Options every layer takes: a name, whether it trains, and the input shape of a first layer. */
export interface LayerArgs {
  name?: string;
  trainable?: boolean;
  /** Input shape without the batch axis; `null` for an unknown (variable) length. */
  inputShape?: (number | null)[];
  /** Input shape with the batch axis (fixes the batch size, as stateful RNNs need). */
  batchInputShape?: (number | null)[];
  batchSize?: number;
}

/** Options of applying a layer to concrete tensors (`layer.apply(x, { training: true })`). */
export interface CallArgs {
  /** Training mode: dropout and batch-norm statistics are active only when true. */
  training?: boolean;
  /** [batch, time] 0/1 mask of the (first) input. */
  mask?: Tensor | null;
  /** Initial states for recurrent layers. */
  initialState?: Tensor[];
}

/** Options of applying a layer to symbolic tensors (building a functional graph). */
export interface SymbolicCallArgs {
  training?: boolean;
  mask?: null;
  initialState?: SymbolicTensor[];
}

/** What a layer takes in eager mode: one tensor, or a list (merge layers, initial states). */
export type LayerInput = Tensor | Tensor[];
/** What a layer returns in eager mode: one tensor, or a list (`returnState`). */
export type LayerOutput = Tensor | Tensor[];

const nameCounts = new Map<string, number>();

/** Keras's to_snake_case: 'SimpleRNN' -> 'simple_rnn', 'BatchNormalization' -> 'batch_normalization'. */
export function snakeCase(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** 'dense', then 'dense_1', 'dense_2', ... per process, as Keras names layers. */
export function uniqueName(base: string): string {
  const n = nameCounts.get(base) ?? 0;
  nameCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/** Forgets the name counters (as keras.backend.clear_session). */
export function clearSession(): void {
  nameCounts.clear();
}

/** Values one weight may hold: 2^28 (1 GiB of float32). Larger sizes are almost always a mistake and would exhaust memory. */
export const MAX_WEIGHT_VALUES = 2 ** 28;

/** Refuses a weight larger than MAX_WEIGHT_VALUES before anything is allocated, naming its owner. */
export function checkWeightSize(owner: string, name: string, shape: Shape): void {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size <= MAX_WEIGHT_VALUES) return;
  throw new Error(
    `${owner}: weight '${name}' of shape ${fmtShape(shape)} would hold ${size.toLocaleString('en-US')} values ` +
      `(${((size * 4) / 2 ** 30).toFixed(1)} GiB in float32), more than the ${MAX_WEIGHT_VALUES.toLocaleString('en-US')} one weight may hold; ` +
      `check the layer's sizes (units, inputDim, outputDim) and its input shape`,
  );
}

/**
 * The base of every layer: a name, weight variables in Keras order, `build` on first use (from the
 * input shape), and `apply`, which runs on concrete tensors (eager) or builds a graph on symbolic ones.
 * A subclass writes `computeOutputShape` and `call`.
 * @example
 *   const dense = new Dense({ units: 4 });
 *   dense.apply(x);                  // x [2, 3] -> [2, 4]; builds kernel [3, 4] and bias [4]
 *   dense.getWeights();              // [kernel, bias]
 */
export abstract class Layer {
  readonly name: string;
  built = false;
  supportsMasking = false;
  /** Batch input shape declared through `inputShape` / `batchInputShape`, if any. */
  readonly batchInputShape: SymShape | null;
  protected ownWeights: Variable[] = [];
  private trainableFlag: boolean;
  /** Graph nodes where this layer was applied symbolically. */
  readonly inboundNodes: Node[] = [];

  constructor(args: LayerArgs = {}) {
    this.name = args.name ?? uniqueName(snakeCase(this.className));
    this.trainableFlag = args.trainable ?? true;
    if (args.batchInputShape) this.batchInputShape = args.batchInputShape.slice();
    else if (args.inputShape) this.batchInputShape = [args.batchSize ?? null, ...args.inputShape];
    else this.batchInputShape = null;
  }

  /** The fixed Keras class name (registered with `registerLayer`), shown by `summary()` and used in files. */
  get className(): string {
    return classNameOf(this);
  }

  /**
   * The layer's configuration as Keras writes it (snake_case keys): `{ name, trainable, dtype,
   * batch_input_shape? }` here, each layer adds its own options. With the class name it is the
   * `{ class_name, config }` of a Keras file (see `toConfig`).
   */
  getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = { name: this.name, trainable: this.trainable, dtype: 'float32' };
    if (this.batchInputShape) c.batch_input_shape = this.batchInputShape.slice();
    return c;
  }

  /** `{ class_name, config }`, the Keras serialization of this layer. */
  toConfig(): LayerConfig {
    return { class_name: this.className, config: this.getConfig() };
  }

  /**
   * Rebuilds a layer from `getConfig()` output (or a Keras / TensorFlow.js file's): by default
   * `new this(options)` with the keys in camelCase (engine/config.ts). Layers whose options differ
   * from their config override it.
   */
  static fromConfig<L extends Layer>(this: new (args: never) => L, config: Record<string, unknown>, custom: CustomObjects = {}): L {
    const args = configToArgs(config, registeredClassLabel(this), custom);
    const layer = new this(args as never);
    return layer;
  }

  /** "LSTM 'encoder'": how errors name this layer. */
  get label(): string {
    return `${this.className} '${this.name}'`;
  }

  get trainable(): boolean {
    return this.trainableFlag;
  }

  set trainable(value: boolean) {
    this.trainableFlag = value;
    for (const l of this.sublayers()) l.trainable = value;
  }

  /** Layers whose weights this layer owns (wrappers, models). */
  protected sublayers(): Layer[] {
    return [];
  }

  /**
   * Keras's `stateful`: true when the layer carries state from one call to the next (a recurrent
   * layer built with `stateful: true`, or a wrapper or model holding one). Training then keeps
   * the batch size fixed.
   */
  get stateful(): boolean {
    return this.sublayers().some((l) => l.stateful);
  }

  /** Zeroes carried states: a stateful layer resets its own, wrappers and models their sublayers'. */
  resetStates(): void {
    for (const l of this.sublayers()) l.resetStates();
  }

  /** Creates the weights for inputs of this shape (batch axis first). */
  build(_inputShape: SymShape | SymShape[]): void {
    this.built = true;
  }

  /** Output shape(s) for an input shape; throws naming the layer when the input does not fit. */
  abstract computeOutputShape(inputShape: SymShape | SymShape[], args?: { initialState?: SymShape[] }): SymShape | SymShape[];

  /** The math, on concrete tensors, with autograd ops. */
  abstract call(inputs: LayerInput, args: CallArgs): LayerOutput;

  /** The output mask: by default a masking-aware layer passes its input mask on, others drop it. */
  computeMask(_inputs: LayerInput, mask: Tensor | null): Tensor | null | (Tensor | null)[] {
    return this.supportsMasking ? mask : null;
  }

  /** Adds a weight variable named `<layer>/<name>`. */
  protected addWeight(name: string, shape: Shape, initializer: Initializer, trainable = true): Variable {
    checkWeightSize(this.label, name, shape);
    const value = initializer(shape);
    if (!shapesEqual(value.shape, shape)) {
      throw new Error(`${this.label}: initializer for '${name}' returned shape ${fmtShape(value.shape)}, expected ${fmtShape(shape)}`);
    }
    const v = new Variable(value, `${this.name}/${name}`, trainable);
    this.ownWeights.push(v);
    return v;
  }

  /** All weight variables in Keras order: this layer's, then its sublayers'. */
  get weights(): Variable[] {
    const out = this.ownWeights.slice();
    for (const l of this.sublayers()) for (const w of l.weights) if (!out.includes(w)) out.push(w);
    return out;
  }

  get trainableWeights(): Variable[] {
    if (!this.trainable) return [];
    const out = this.ownWeights.filter((w) => w.trainable);
    for (const l of this.sublayers()) for (const w of l.trainableWeights) if (!out.includes(w)) out.push(w);
    return out;
  }

  get nonTrainableWeights(): Variable[] {
    const trainable = new Set(this.trainableWeights);
    return this.weights.filter((w) => !trainable.has(w));
  }

  /** Number of weight elements, trainable and not (what `summary()` prints). */
  countParams(): number {
    return this.weights.reduce((n, w) => n + w.value.size, 0);
  }

  /** Copies of the weight values, in Keras `get_weights()` order. */
  getWeights(): Tensor[] {
    return this.weights.map((w) => w.value.clone());
  }

  /** Sets every weight (same order and shapes as `getWeights`); checks all before changing any. */
  setWeights(values: Tensor[]): void {
    const ws = this.weights;
    if (values.length !== ws.length) {
      throw new Error(`${this.label}: setWeights expected ${ws.length} arrays, received ${values.length}`);
    }
    ws.forEach((w, i) => {
      if (!shapesEqual(w.shape, values[i].shape)) {
        throw new Error(`${this.label}: setWeights: weight ${i} ('${w.name}') has shape ${fmtShape(w.shape)}, received ${fmtShape(values[i].shape)}`);
      }
    });
    ws.forEach((w, i) => w.assign(values[i]));
  }

  /** Applies the layer to symbolic tensors (building a graph) or to concrete tensors (running it). */
  apply(inputs: SymbolicTensor, args?: SymbolicCallArgs): SymbolicTensor | SymbolicTensor[];
  apply(inputs: SymbolicTensor[], args?: SymbolicCallArgs): SymbolicTensor | SymbolicTensor[];
  apply(inputs: Tensor, args?: CallArgs): Tensor | Tensor[];
  apply(inputs: Tensor[], args?: CallArgs): Tensor | Tensor[];
  apply(
    inputs: SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[],
    args: SymbolicCallArgs | CallArgs = {},
  ): SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length > 0 && list.every((x) => x instanceof SymbolicTensor)) {
      return this.applySymbolic(list as SymbolicTensor[], Array.isArray(inputs), args as SymbolicCallArgs);
    }
    if (list.some((x) => !(x instanceof Tensor))) {
      throw new Error(`${this.label}: expected Tensor or symbolic inputs (from input()), received ${list.map((x) => typeof x).join(', ')}`);
    }
    const tensors = list as Tensor[];
    const shapes = tensors.map((t) => t.shape as SymShape);
    this.ensureBuilt(Array.isArray(inputs) ? shapes : shapes[0]);
    const stateShapes = (args as CallArgs).initialState?.map((s) => s.shape as SymShape);
    this.computeOutputShape(Array.isArray(inputs) ? shapes : shapes[0], { initialState: stateShapes });
    const concrete = args as CallArgs;
    const mask = concrete.mask !== undefined ? concrete.mask : maskOf(tensors[0]);
    const x = Array.isArray(inputs) ? tensors : tensors[0];
    const out = this.call(x, { ...concrete, mask });
    const outMask = this.computeMask(x, mask);
    if (Array.isArray(out)) {
      out.forEach((o, i) => attachMask(o, Array.isArray(outMask) ? outMask[i] : i === 0 ? outMask : null));
    } else attachMask(out, Array.isArray(outMask) ? outMask[0] : outMask);
    return out;
  }

  /** Builds once, from the first input shape seen. */
  ensureBuilt(inputShape: SymShape | SymShape[]): void {
    if (!this.built) {
      this.build(inputShape);
      this.built = true;
    }
  }

  private applySymbolic(inputs: SymbolicTensor[], asList: boolean, args: SymbolicCallArgs): SymbolicTensor | SymbolicTensor[] {
    const shapes = inputs.map((s) => s.shape);
    const shapeArg = asList ? shapes : shapes[0];
    this.ensureBuilt(shapeArg);
    const out = this.computeOutputShape(shapeArg, { initialState: args.initialState?.map((s) => s.shape) });
    const outShapes = isShapeList(out) ? out : [out];
    const node = new Node(this, inputs, asList, args);
    const outputs = outShapes.map((s, i) => new SymbolicTensor(s, node, i));
    node.outputs = outputs;
    this.inboundNodes.push(node);
    return isShapeList(out) ? outputs : outputs[0];
  }
}

/**
 * Registers a layer class under its fixed class name (see engine/registry.ts): the built-in layers
 * call it beside their definitions, and a user's own layer class needs it to be saved and loaded.
 */
export function registerLayer<C extends abstract new (...args: never[]) => Layer>(name: string, cls: C): C {
  if (!(cls.prototype instanceof Layer)) throw new Error(`registerLayer('${name}'): expected a class extending Layer`);
  return registerClass(name, cls, 'registerLayer');
}

function registeredClassLabel(cls: Function): string {
  return classNameOf({ constructor: cls } as object);
}

/** True for a list of shapes (an array whose first element is an array). */
export function isShapeList(s: SymShape | SymShape[]): s is SymShape[] {
  return s.length > 0 && Array.isArray(s[0]);
}
