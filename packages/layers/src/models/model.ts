/**
 * Functional models: a graph of layer applications from `inputs` to `outputs`, run in the order
 * the layers were applied (which is a topological order). A Model is itself a Layer, so it can
 * be nested inside another model, where `summary()` shows it as one row, as Keras does.
 */
import { noGrad } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { NestedArray, Rng, Tensor } from '@seqlab/tensor';
import { CustomObjects } from '../engine/config';
import { InputLayer } from '../engine/input';
import { CallArgs, Layer, LayerArgs, LayerInput, LayerOutput, registerLayer } from '../engine/layer';
import { attachMask } from '../engine/mask';
import { SymShape, expectShape } from '../engine/shapes';
import { Node, SymbolicTensor } from '../engine/symbolic';
import { summaryLines } from './summary';
import { functionalConfig, graphFromConfig } from './model_config';
import { SaveOptions, saveModel } from '../saving/model_file';
import { RNN } from '../recurrent/rnn';
import { VectorizerLayer } from '../layers/vectorizer';
import { History } from '../training/callbacks';
import { CompileArgs, Data, EvaluateOptions, TrainableModel, runSync, runYielding } from '../training/evaluator';
import { FitOptions, Trainer } from '../training/trainer';
import { BatchSource, EpochReader, checkBounded, inputsOf, isBatchSource, refuseArrayOptions, sourceFeed, stepsOption } from '../training/batch_source';
import { allFinite, badInputReport, recurrentWhere } from '../training/nonfinite';
import { newRandomStream } from '../initializers';
import { KeyedWeight, loadWeightsFile, saveWeightsFile, weightsBytes } from '../training/weights_io';
import { Optimizer } from '../training/optimizers';
import { IdArray, PREDICT_OPTION_NAMES, batchSizeOption, checkOptionNames, dataTensor, isIdArray } from '../training/validate';
import { Yielder, YieldEvery } from '../training/yielding';

/** Options of `Model`: its symbolic inputs and outputs, and a name. */
export interface ModelArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

/** Options of `predict`: batch size (32), steps for a dataset, verbosity. */
export interface PredictOptions {
  batchSize?: number;
  /** With a dataset: the number of batches to read (default: a whole pass). */
  steps?: number;
  /** predictAsync, or predict of a dataset: when to yield to the event loop ('auto', 'batch', 'never' or milliseconds). */
  yieldEvery?: YieldEvery;
  /** predictAsync, or predict of a dataset: stops at the next batch and rejects with an AbortError. */
  signal?: AbortSignal;
}

/** Model inputs: a tensor or nested arrays (a list for several inputs); raw strings where a vectorizer reads the input. */
export type ModelData = Tensor | NestedArray | IdArray | Tensor[] | string[] | (Tensor | IdArray | string[])[];

/** One layer application as the graph runs it: what went in and what came out. */
interface NodeRun {
  node: Node;
  /** The node's input (a list for layers that take several). */
  x: LayerInput;
  mask: Tensor | null;
  outputs: Tensor[];
}

/**
 * A functional model: a graph of layers from symbolic inputs to outputs, as Keras's `Model`, with
 * `compile`, `fit`, `evaluate`, `predict`, `summary`, weights files and model files.
 * @example
 *   const x = input({ shape: [28, 28] });
 *   const h = new LSTM({ units: 28 }).apply(x);
 *   const model = new Model({ inputs: x, outputs: new Dense({ units: 10, activation: 'softmax' }).apply(h) });
 */
export class Model extends Layer implements TrainableModel {
  inputs: SymbolicTensor[] = [];
  outputs: SymbolicTensor[] = [];
  protected graphLayers: Layer[] = [];
  protected nodes: Node[] = [];
  protected singleInput = true;
  protected singleOutput = true;
  /** Set by a callback (or by you) to end `fit` after the current batch. */
  stopTraining = false;
  /** The History of the latest fit (as Keras's `model.history`), also after an aborted fit. */
  history: History | null = null;
  /** This model's own generator for dropout masks and shuffles in `fit` (from `setSeed` and the model's creation order). */
  readonly randomStream: Rng = newRandomStream();
  /** The output masks of the latest run (computeMask, when this model is a layer of another). */
  private lastOutputMasks: (Tensor | null)[] = [];
  private trainer: Trainer | null = null;
  private compiledWith: CompileArgs | null = null;
  /**
   * Preprocessing state saved with the model (`save(path, { preprocessing: { tokenizer } })`) and
   * restored by `loadModel` (a Tokenizer when its class is given in `customObjects`).
   */
  preprocessing: Record<string, unknown> = {};

  constructor(args: ModelArgs | (LayerArgs & { name?: string })) {
    super({ name: args.name ?? undefined });
    if ('inputs' in args && 'outputs' in args) this.initGraph(args.inputs, args.outputs);
  }

  /** Wires the graph: collects the nodes between inputs and outputs and checks it is connected. */
  protected initGraph(inputs: SymbolicTensor | SymbolicTensor[], outputs: SymbolicTensor | SymbolicTensor[]): void {
    this.singleInput = !Array.isArray(inputs);
    this.singleOutput = !Array.isArray(outputs);
    this.inputs = Array.isArray(inputs) ? inputs : [inputs];
    this.outputs = Array.isArray(outputs) ? outputs : [outputs];
    for (const x of this.inputs) {
      if (!(x instanceof SymbolicTensor) || !(x.node.layer instanceof InputLayer)) {
        throw new Error(`Model '${this.name}': inputs must come from input(), received ${String(x)}`);
      }
    }
    const seen = new Set<Node>();
    const stack = this.outputs.map((o) => o.node);
    while (stack.length) {
      const node = stack.pop()!;
      if (seen.has(node)) continue;
      seen.add(node);
      if (node.layer instanceof InputLayer && !this.inputs.some((x) => x.node === node)) {
        throw new Error(`Model '${this.name}': graph disconnected: input '${node.layer.name}' is needed but not among the model inputs`);
      }
      for (const d of node.dependencies) stack.push(d.node);
    }
    // symbolic tensors are numbered in creation order, which is topological
    this.nodes = Array.from(seen)
      .filter((n) => !(n.layer instanceof InputLayer))
      .sort((a, b) => a.outputs[0].id - b.outputs[0].id);
    const layers: Layer[] = this.inputs.map((x) => x.node.layer);
    for (const n of this.nodes) if (!layers.includes(n.layer)) layers.push(n.layer);
    this.graphLayers = layers;
    this.built = true;
  }

  /** Keras's functional config: layers with their inbound nodes, input and output layers (models/model_config.ts). */
  override getConfig(): Record<string, unknown> {
    return functionalConfig(this);
  }

  /** Rebuilds a functional model (layers, graph, nested models) from `getConfig()` output. */
  static override fromConfig<L extends Layer>(this: new (args: never) => L, config: Record<string, unknown>, custom: CustomObjects = {}): L {
    const g = graphFromConfig(config, custom);
    const one = <T>(xs: T[]): T | T[] => (xs.length === 1 ? xs[0] : xs);
    const model = new Model({ inputs: one(g.inputs), outputs: one(g.outputs), name: g.name });
    if (config.trainable === false) model.trainable = false;
    return model as unknown as L;
  }

  /** The layer applications (graph nodes) between the inputs and the outputs, in the order they run. */
  get graph(): readonly Node[] {
    return this.nodes;
  }

  /** Every layer of the graph in the order applied (input layers included, as Keras lists them). */
  get layers(): Layer[] {
    return this.graphLayers;
  }

  protected override sublayers(): Layer[] {
    return this.layers;
  }

  /** The layer called `name`; an unknown name is refused with the list of layer names. */
  getLayer(name: string): Layer {
    const l = this.layers.find((x) => x.name === name);
    if (!l) throw new Error(`Model '${this.name}': no layer named '${name}'; layers: ${this.layers.map((x) => x.name).join(', ')}`);
    return l;
  }

  /** Output shapes of the graph (for use as a layer inside another model). */
  computeOutputShape(inputShape: SymShape | SymShape[]): SymShape | SymShape[] {
    const shapes = Array.isArray(inputShape[0]) ? (inputShape as SymShape[]) : [inputShape as SymShape];
    this.checkInputShapes(shapes);
    const outs = this.outputs.map((o) => [shapes[0][0], ...o.shape.slice(1)]);
    return this.singleOutput ? outs[0] : outs;
  }

  protected checkInputShapes(shapes: SymShape[]): void {
    if (shapes.length !== this.inputs.length) {
      throw new Error(`${this.label}: expected ${this.inputs.length} input(s), received ${shapes.length}`);
    }
    this.inputs.forEach((x, i) => {
      const pattern = x.shape.map((d, a) => (d === null ? (a === 0 ? 'batch' : 'None') : d));
      // name the layer that reads this input, as the user thinks of it
      const reader = this.nodes.find((n) => n.dependencies.includes(x))?.layer;
      const owner = reader ? `${reader.label} (in ${this.className} '${this.name}')` : this.label;
      expectShape(owner, `input${this.inputs.length > 1 ? ` ${i}` : ''}`, shapes[i], pattern);
    });
  }

  call(inputs: LayerInput, args: CallArgs = {}): LayerOutput {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const outs = this.run(list, args);
    return this.singleOutput ? outs[0] : outs;
  }

  /** Runs the graph on concrete tensors. */
  run(inputs: Tensor[], args: CallArgs = {}): Tensor[] {
    this.checkInputShapes(inputs.map((t) => t.shape));
    const { values, masks } = this.runNodes(inputs, args);
    this.lastOutputMasks = this.outputs.map((o) => masks.get(o) ?? null);
    return this.outputs.map((o) => attachMask(values.get(o)!, masks.get(o)));
  }

  /** A model used as a layer passes on the masks its outputs got inside (Keras does): those of the call just made. */
  override computeMask(): Tensor | null | (Tensor | null)[] {
    return this.singleOutput ? this.lastOutputMasks[0] ?? null : this.lastOutputMasks;
  }

  /**
   * Applies the nodes in order, passing values and masks along the graph (the one loop that
   * `run` and `traceNaN` share). `visit`, when given, sees each node after it ran and stops the
   * walk by returning true.
   */
  private runNodes(inputs: Tensor[], args: CallArgs, visit?: (run: NodeRun) => boolean) {
    const values = new Map<SymbolicTensor, Tensor>();
    const masks = new Map<SymbolicTensor, Tensor | null>();
    this.inputs.forEach((x, i) => {
      values.set(x, inputs[i]);
      masks.set(x, i === 0 ? (args.mask ?? null) : null);
    });
    for (const node of this.nodes) {
      const ins = node.inputs.map((s) => values.get(s)!);
      const mask = masks.get(node.inputs[0]) ?? null;
      // a layer of several inputs (Concatenate, Add) reads each input's mask from the tensor, as in eager calls
      if (node.inputsAsList) ins.forEach((t, i) => attachMask(t, masks.get(node.inputs[i])));
      const initialState = node.args.initialState?.map((s) => values.get(s)!);
      const x = node.inputsAsList ? ins : ins[0];
      const out = node.layer.call(x, { training: args.training, mask, initialState });
      const outputs = Array.isArray(out) ? out : [out];
      const outMask = node.layer.computeMask(x, mask);
      node.outputs.forEach((s, i) => {
        values.set(s, outputs[i]);
        masks.set(s, Array.isArray(outMask) ? outMask[i] : i === 0 ? outMask : null);
      });
      if (visit?.({ node, x, mask, outputs })) break;
    }
    return { values, masks };
  }

  /**
   * Converts user data to input tensors: tensors or nested arrays (a list for several inputs);
   * an array of strings for an input read by a text vectorizer, which vectorizes it here.
   */
  prepareInputs(x: ModelData, who = 'predict'): Tensor[] {
    const isTexts = (e: unknown): e is string[] => Array.isArray(e) && e.length > 0 && e.every((s) => typeof s === 'string');
    const isList = Array.isArray(x) && x.length > 0 && x.every((e) => e instanceof Tensor || isIdArray(e) || isTexts(e));
    const list = isTexts(x) ? [x] : isList ? (x as (Tensor | IdArray | string[])[]) : [x as Tensor | NestedArray];
    return list.map((e, i) => {
      if (isTexts(e)) {
        const reader = this.inputReaders(i).find((l): l is VectorizerLayer => l instanceof VectorizerLayer);
        if (!reader) throw new Error(`${this.label}: input ${i} received strings, but no text vectorizer reads that input`);
        return reader.vectorize(e);
      }
      return dataTensor(who, list.length > 1 ? `input ${i}` : 'x', e);
    });
  }

  /** The layers applied directly to model input `i`. */
  protected inputReaders(i: number): Layer[] {
    const x = this.inputs[i];
    return this.nodes.filter((n) => n.dependencies.includes(x)).map((n) => n.layer);
  }

  /** Inference in batches (no dropout, no recording); returns one tensor per output (a promise for a dataset). */
  predict(dataset: BatchSource, options?: PredictOptions): Promise<Tensor | Tensor[]>;
  predict(x: ModelData, options?: PredictOptions): Tensor | Tensor[];
  predict(x: ModelData | BatchSource, options: PredictOptions = {}): Tensor | Tensor[] | Promise<Tensor | Tensor[]> {
    if (isBatchSource(x)) return this.predictSource(x, options, 'predict');
    if (options?.signal !== undefined || options?.yieldEvery !== undefined) {
      throw new Error(`predict: signal and yieldEvery need the asynchronous predictAsync (predict runs to its end without yielding)`);
    }
    return runSync(this.predictSteps(x, options, 'predict'));
  }

  /** predict that yields to the event loop between batches and stops on `signal` (rejecting with an AbortError). */
  async predictAsync(x: ModelData | BatchSource, options: PredictOptions = {}): Promise<Tensor | Tensor[]> {
    if (isBatchSource(x)) return this.predictSource(x, options, 'predictAsync');
    const yielder = new Yielder('predictAsync', options?.yieldEvery, options?.signal);
    yielder.check();
    return runYielding(this.predictSteps(x, options, 'predictAsync'), yielder);
  }

  /** predict over a dataset's batches (x alone, or the x of [x, y] batches), yielding between batches. */
  private async predictSource(source: BatchSource, options: PredictOptions, who: string): Promise<Tensor | Tensor[]> {
    checkOptionNames(who, options, [...PREDICT_OPTION_NAMES, 'steps']);
    refuseArrayOptions(who, options);
    const yielder = new Yielder(who, options.yieldEvery, options.signal);
    yielder.check();
    const steps = stepsOption(who, 'steps', options.steps);
    const feed = sourceFeed(who, source, (e, i) => {
      const xs = this.prepareInputs(inputsOf(who, e, i) as ModelData);
      this.buildFor(xs);
      return { xs, ys: [], weights: null, size: xs[0].shape[0] };
    });
    checkBounded(who, feed, steps, 'steps');
    const reader = new EpochReader(feed, steps);
    const chunks: Tensor[][] = [];
    try {
      let batch = await reader.next();
      while (batch !== null) {
        const xs = batch.xs;
        noGrad(() => this.run(xs, { training: false })).forEach((o, i) => (chunks[i] ??= []).push(o));
        batch = await reader.next();
        if (batch !== null) await yielder.afterBatch();
      }
    } finally {
      await reader.close();
    }
    if (chunks.length === 0) throw new Error(`${who}: the dataset yielded no batches; there is nothing to predict`);
    const outs = chunks.map((c) => (c.length === 1 ? c[0] : T.concat(c, 0)));
    return this.singleOutput ? outs[0] : outs;
  }

  /** The batches of predict, pausing after each one. */
  private *predictSteps(x: ModelData, options: PredictOptions, who: string): Generator<void, Tensor | Tensor[]> {
    checkOptionNames(who, options, PREDICT_OPTION_NAMES);
    const batchSize = batchSizeOption(who, options.batchSize);
    const xs = this.prepareInputs(x, who);
    const n = xs[0].shape[0];
    if (n === 0) throw new Error(`${who}: x has 0 samples (shape [${xs[0].shape.join(', ')}]); there is nothing to predict`);
    const chunks: Tensor[][] = this.outputs.map(() => []);
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const batch = xs.map((t) => (start === 0 && size === n ? t : T.slice(t, [start], [size])));
      noGrad(() => this.run(batch, { training: false })).forEach((o, i) => chunks[i].push(o));
      if (start + batchSize < n) yield;
    }
    const outs = chunks.map((c) => (c.length === 1 ? c[0] : T.concat(c, 0)));
    return this.singleOutput ? outs[0] : outs;
  }

  /** Makes sure the graph exists for inputs like these (a Sequential without input shape builds now). */
  buildFor(_inputs: Tensor[]): void {
    // a functional model is built at construction
  }

  // -------------------------------------------------------------------------------------------
  // training (see training/trainer.ts)

  /** Configures the optimizer, loss(es) and metrics for training. */
  compile(args: CompileArgs): void {
    this.trainer = new Trainer(this, args);
    this.compiledWith = { ...args, optimizer: this.trainer.optimizer };
  }

  /** What `compile` was given (the optimizer as the instance in use), or null before compile. */
  get compileArgs(): CompileArgs | null {
    return this.compiledWith;
  }

  private compiled(who: string): Trainer {
    if (!this.trainer) throw new Error(`${who}: ${this.label} must be compiled first (model.compile({ optimizer, loss }))`);
    return this.trainer;
  }

  get optimizer(): Optimizer | null {
    return this.trainer ? this.trainer.optimizer : null;
  }

  /**
   * Trains for `epochs` epochs; resolves to the History (history.history.loss, val_loss, ...).
   * Data: arrays, `fit(x, y, options)`, or a dataset of `[x, y]` / `[x, y, sampleWeight]` batches,
   * `fit(dataset, options)` (training/batch_source.ts).
   */
  fit(dataset: BatchSource, options?: FitOptions): Promise<History>;
  fit(x: Data, y: Data, options?: FitOptions): Promise<History>;
  fit(x: Data | BatchSource, y?: Data | FitOptions, options?: FitOptions): Promise<History> {
    return this.compiled('fit').fit(x, y, options);
  }

  /** Loss (and metrics) on data: `loss`, or `[loss, ...metrics]` as Keras returns them; a promise for a dataset. */
  evaluate(dataset: BatchSource, options?: EvaluateOptions): Promise<number | number[] | Record<string, number>>;
  evaluate(x: Data, y: Data, options?: EvaluateOptions): number | number[] | Record<string, number>;
  evaluate(x: Data | BatchSource, y?: Data | EvaluateOptions, options?: EvaluateOptions): number | number[] | Record<string, number> | Promise<number | number[] | Record<string, number>> {
    return this.compiled('evaluate').evaluate(x, y, options);
  }

  /** evaluate, yielding to the event loop between batches; stops on `signal` with an AbortError. */
  evaluateAsync(dataset: BatchSource, options?: EvaluateOptions): Promise<number | number[] | Record<string, number>>;
  evaluateAsync(x: Data, y: Data, options?: EvaluateOptions): Promise<number | number[] | Record<string, number>>;
  evaluateAsync(x: Data | BatchSource, y?: Data | EvaluateOptions, options?: EvaluateOptions): Promise<number | number[] | Record<string, number>> {
    return this.compiled('evaluateAsync').evaluateAsync(x, y, options);
  }

  /** One optimizer step on one batch; returns its loss (and metrics), as Keras's `train_on_batch`. */
  trainOnBatch(x: Data, y: Data, sampleWeight?: Tensor | number[]): number | number[] {
    return this.compiled('trainOnBatch').trainOnBatch(x, y, sampleWeight);
  }

  /** The loss (and metrics) of one batch without updating anything (Keras's `test_on_batch`). */
  testOnBatch(x: Data, y: Data, sampleWeight?: Tensor | number[]): number | number[] {
    return this.compiled('testOnBatch').testOnBatch(x, y, sampleWeight);
  }

  /**
   * Saves the whole model (architecture, weights, compile configuration, optimizer state,
   * preprocessing) to a seqlab model file, atomically; with no path, resolves to the file's bytes
   * (in a page). `loadModel` reads it back (saving/model_file.ts).
   * @example await model.save('model.seqlab'); const again = await loadModel('model.seqlab');
   */
  save(): Promise<Uint8Array>;
  save(path: string, options?: SaveOptions): Promise<void>;
  save(path: undefined, options?: SaveOptions): Promise<Uint8Array>;
  async save(path?: string, options: SaveOptions = {}): Promise<Uint8Array | void> {
    return saveModel(this, path, options);
  }

  /** Weights with structural keys "<layer index>:<class>:<index>" for the weights file. */
  private keyedWeights(): KeyedWeight[] {
    const out: KeyedWeight[] = [];
    const seen = new Set<unknown>();
    this.layers.forEach((layer, li) => {
      layer.weights.forEach((variable, wi) => {
        if (seen.has(variable)) return;
        seen.add(variable);
        out.push({ key: `${li}:${layer.className}:${wi}`, variable });
      });
    });
    return out;
  }

  /**
   * Writes the weights atomically in the seqlab weights format (training/weights_io.ts); with no
   * path, resolves to the same bytes (in a page, where there are no files).
   * @example const bytes = await model.saveWeights(); await other.loadWeights(bytes);
   */
  saveWeights(): Promise<Uint8Array>;
  saveWeights(path: string): Promise<void>;
  saveWeights(path?: string): Promise<void | Uint8Array> {
    if (path === undefined) return Promise.resolve().then(() => weightsBytes(this.keyedWeights(), this.label));
    return saveWeightsFile(path, this.keyedWeights(), this.label);
  }

  /**
   * Loads weights saved by `saveWeights`, from a file path or from the bytes; refuses a bad or
   * mismatching file and then changes nothing.
   */
  loadWeights(source: string | Uint8Array): Promise<void> {
    return loadWeightsFile(source, this.keyedWeights(), this.label);
  }

  /**
   * Where a NaN (or infinity) first appears for these inputs: the first layer whose weights or
   * output hold one, with the first timestep for recurrent layers. Used by TerminateOnNaN.
   */
  traceNaN(inputs: Tensor[]): string | null {
    const inData = badInputReport(inputs);
    if (inData) return inData;
    let report: string | null = null;
    noGrad(() =>
      this.runNodes(inputs, { training: false }, ({ node, x, mask, outputs }) => {
        const layer = node.layer;
        const badWeight = layer.weights.find((w) => !allFinite(w.value));
        if (badWeight) {
          report = `NaN or infinity first appears in the weights of ${layer.label} ('${badWeight.name}').`;
          return true;
        }
        if (!outputs.some((o) => !allFinite(o))) return false;
        report = `NaN or infinity first appears in the output of ${layer.label}${recurrentWhere(layer, x, mask)}.`;
        return true;
      }),
    );
    return report;
  }

  /** The Keras summary table as text lines. */
  summaryText(lineLength?: number): string[] {
    return summaryLines(this, lineLength);
  }

  /** Prints the Keras-style summary table. */
  summary(lineLength?: number, printFn: (line: string) => void = console.log): void {
    for (const line of this.summaryText(lineLength)) printFn(line);
  }
}
registerLayer('Functional', Model);
