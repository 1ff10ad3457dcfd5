/**
 * Sequential: a stack of layers, each applied to the previous one's output.
 *
 * When the first layer declares its input (`inputShape` / `batchInputShape`, or an `input()`
 * placed first), the graph is built as layers are added, so `summary()` works before any data.
 * Otherwise it is built on the first call, from the data's shape (batch axis left unknown).
 */
import { Tensor } from '@seqlab/tensor';
import { InputLayer, input } from '../engine/input';
import { CustomObjects, deserialize } from '../engine/config';
import { CallArgs, Layer, LayerInput, LayerOutput, registerLayer } from '../engine/layer';
import { SymShape } from '../engine/shapes';
import { SymbolicTensor } from '../engine/symbolic';
import { Model, ModelData, PredictOptions } from './model';
import { BatchSource, isBatchSource } from '../training/batch_source';
import { StringVectorizer, VectorizerLayer, isStringVectorizer } from '../layers/vectorizer';
import { registeredClass } from '../engine/registry';

/** Options of `Sequential` in object form: the layers (a text vectorizer may come first), a name. */
export interface SequentialArgs {
  layers?: (Layer | SymbolicTensor | StringVectorizer)[];
  name?: string;
}

/**
 * A linear stack of layers, as Keras's Sequential: each layer's output is the next one's input.
 * @example
 *   const model = new Sequential([
 *     new Embedding({ inputDim: 10000, outputDim: 64, maskZero: true }),
 *     new LSTM({ units: 32 }),
 *     new Dense({ units: 1, activation: 'sigmoid' }),
 *   ]);
 *   model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
 */
export class Sequential extends Model {
  private stack: Layer[] = [];
  private head: SymbolicTensor | null = null;

  constructor(args: (Layer | SymbolicTensor | StringVectorizer)[] | SequentialArgs = {}) {
    const opts = Array.isArray(args) ? { layers: args } : args;
    super({ name: opts.name });
    for (const l of opts.layers ?? []) this.add(l);
  }

  /** Appends a layer (or, first, an `input()` to fix the input shape). */
  add(item: Layer | SymbolicTensor | StringVectorizer): void {
    // a text vectorizer (seed 003's first layer) is wrapped in a layer that vectorizes at the input
    const layer = isStringVectorizer(item) ? new VectorizerLayer({ vectorizer: item }) : item;
    if (layer instanceof SymbolicTensor) {
      if (this.stack.length > 0 || this.head) throw new Error(`Sequential '${this.name}': an input() can only come first`);
      this.head = layer;
      return;
    }
    if (!(layer instanceof Layer)) throw new Error(`Sequential '${this.name}': add() expects a Layer, received ${typeof layer}`);
    if (layer instanceof InputLayer) {
      this.head = layer.output;
      return;
    }
    if (this.stack.length === 0 && !this.head && layer.batchInputShape) {
      this.head = input({ batchShape: layer.batchInputShape });
    }
    this.stack.push(layer);
    if (this.head) this.wire(this.head);
  }

  /**
   * Keras 2's Sequential config: `{ name, layers }`, the first layer carrying the input shape as
   * `batch_input_shape` (what TensorFlow.js reads). fromConfig also reads Keras 3's layout, whose
   * first entry is an InputLayer.
   */
  override getConfig(): Record<string, unknown> {
    const layers = this.stack.map((l) => l.toConfig());
    const head = this.inputs[0];
    if (layers.length > 0 && head && !('batch_input_shape' in layers[0].config)) {
      layers[0] = { ...layers[0], config: { ...layers[0].config, batch_input_shape: head.shape.slice() } };
    }
    return { name: this.name, layers };
  }

  static override fromConfig<L extends Layer>(this: new (args: never) => L, config: Record<string, unknown>, custom: CustomObjects = {}): L {
    const list = config.layers;
    if (!Array.isArray(list)) throw new Error(`Sequential '${String(config.name)}': fromConfig: expected 'layers' to be a list, received ${JSON.stringify(list)}`);
    const layers = list.map((e) => deserialize<Layer | StringVectorizer>(e, custom));
    const model = new Sequential({ name: typeof config.name === 'string' ? config.name : undefined, layers });
    if (config.trainable === false) model.trainable = false;
    return model as unknown as L;
  }

  /** The layers, in order (without the input layer, as Keras lists them). */
  override get layers(): Layer[] {
    return this.stack.slice();
  }

  private wire(head: SymbolicTensor): void {
    let x = head;
    // reuse what is already wired: apply only the layers not yet in the graph
    const wired = this.outputs.length > 0 ? this.stack.length - 1 : 0;
    if (wired > 0) x = this.outputs[0];
    for (let i = wired; i < this.stack.length; i++) {
      const out = this.stack[i].apply(x);
      if (Array.isArray(out)) {
        throw new Error(`Sequential '${this.name}': layer ${this.stack[i].label} returns several tensors; use the functional API (Model) for it`);
      }
      x = out;
    }
    this.initGraph(head, x);
  }

  /** Builds the graph for inputs of this shape (batch axis first, may be null). */
  override build(inputShape: SymShape | SymShape[]): void {
    if (this.outputs.length > 0) return;
    if (this.stack.length === 0) throw new Error(`Sequential '${this.name}': cannot build a model with no layers`);
    const shape = inputShape as SymShape;
    this.head = input({ batchShape: [null, ...shape.slice(1)] });
    this.wire(this.head);
  }

  /**
   * Builds from the first data seen when no input shape was declared. As Keras without
   * `input_length`, a sequence's length is left open (axis 1 of rank-3 data, or of rank-2 ids into an
   * Embedding, directly or as the first layer of a nested model, or into a nested model whose input
   * leaves the length open), so later batches may be longer or shorter; when a layer needs a fixed
   * length (a Flatten before a Dense), the first data's length is kept.
   */
  private ensureGraph(shape: readonly number[]): void {
    if (this.outputs.length > 0) return;
    const sequence = shape.length >= 3 || (shape.length === 2 && readsIdSequence(this.stack[0]));
    if (sequence) {
      try {
        this.build([null, null, ...shape.slice(2)]);
        return;
      } catch {
        // a layer needs the length: build on the data's own shape below
      }
    }
    this.build(shape.slice());
  }

  override computeOutputShape(inputShape: SymShape | SymShape[]): SymShape | SymShape[] {
    if (this.outputs.length === 0) this.build(inputShape);
    return super.computeOutputShape(inputShape);
  }

  override buildFor(inputs: Tensor[]): void {
    this.ensureGraph(inputs[0].shape);
  }

  override call(inputs: LayerInput, args: CallArgs = {}): LayerOutput {
    const first = Array.isArray(inputs) ? inputs[0] : inputs;
    this.ensureGraph(first.shape);
    return super.call(inputs, args);
  }

  override run(inputs: Tensor[], args: CallArgs = {}): Tensor[] {
    this.ensureGraph(inputs[0].shape);
    return super.run(inputs, args);
  }

  protected override inputReaders(i: number): Layer[] {
    return i === 0 && this.stack.length > 0 ? [this.stack[0]] : [];
  }

  override predict(dataset: BatchSource, options?: PredictOptions): Promise<Tensor | Tensor[]>;
  override predict(x: ModelData, options?: PredictOptions): Tensor | Tensor[];
  override predict(x: ModelData | BatchSource, options: PredictOptions = {}): Tensor | Tensor[] | Promise<Tensor | Tensor[]> {
    if (isBatchSource(x)) return super.predict(x, options);
    const xs = this.prepareInputs(x);
    this.ensureGraph(xs[0].shape);
    return super.predict(xs, options);
  }

  override summaryText(lineLength?: number): string[] {
    if (this.outputs.length === 0) {
      throw new Error(`Sequential '${this.name}': the model has not been built; give the first layer an inputShape, or call build([null, ...]) or the model on data first`);
    }
    return super.summaryText(lineLength);
  }
}
registerLayer('Sequential', Sequential);

/**
 * Whether a first layer reads rank-2 data [batch, time] as a sequence of ids of any length: an
 * Embedding; a model whose declared input [batch, null] leaves the length open; a Sequential
 * declaring no input whose own first layer does.
 */
function readsIdSequence(layer: Layer | undefined): boolean {
  // by its registered class, not an import: a page that never uses Embedding does not bundle it
  const embedding = registeredClass('Embedding');
  if (embedding && layer instanceof embedding) return true;
  if (!(layer instanceof Model)) return false;
  const declared = layer.inputs[0]?.shape;
  if (declared) return declared.length === 2 && declared[1] === null;
  return layer instanceof Sequential && readsIdSequence(layer.layers[0]);
}
