/**
 * `input({ shape })`: the entry point of a functional model. `shape` excludes the batch axis;
 * `null` marks an axis of unknown size (seed 000's flexible-length model uses `[null, 10]`).
 */
import { Layer, LayerOutput, registerLayer } from './layer';
import { SymShape } from './shapes';
import { Node, SymbolicTensor } from './symbolic';

/** Options of `input()` / InputLayer: the shape without (`shape`) or with (`batchShape`) the batch axis. */
export interface InputArgs {
  /** Shape without the batch axis. */
  shape?: (number | null)[];
  /** Shape with the batch axis. */
  batchShape?: (number | null)[];
  batchSize?: number;
  name?: string;
  /** 'float32' (default) or 'string' (raw text, for a vectorizer layer). */
  dtype?: 'float32' | 'string';
}

let inputCount = 0;

/** The layer behind `input()`: it holds the symbolic tensor a functional model starts from. */
export class InputLayer extends Layer {
  readonly shape: SymShape;
  readonly dtype: 'float32' | 'string';
  readonly output: SymbolicTensor;

  constructor(args: InputArgs) {
    // Keras 2 names inputs input_1, input_2, ...
    super({ name: args.name ?? `input_${++inputCount}` });
    if (!args.shape && !args.batchShape) throw new Error("input: expected 'shape' (without the batch axis) or 'batchShape'");
    this.shape = args.batchShape ? args.batchShape.slice() : [args.batchSize ?? null, ...args.shape!];
    for (const d of this.shape) {
      if (d !== null && !(Number.isInteger(d) && d >= 0)) {
        throw new Error(`input: shape entries must be non-negative integers or null, received [${this.shape.slice(1).join(', ')}]`);
      }
    }
    this.dtype = args.dtype ?? 'float32';
    this.built = true;
    const node = new Node(this, [], false, {});
    this.output = new SymbolicTensor(this.shape, node, 0);
    node.outputs = [this.output];
    this.inboundNodes.push(node);
  }

  override getConfig(): Record<string, unknown> {
    return { batch_input_shape: this.shape.slice(), dtype: this.dtype, sparse: false, ragged: false, name: this.name };
  }

  /** Keras 2 writes batch_input_shape, Keras 3 batch_shape. */
  static override fromConfig<L extends Layer>(this: new (args: never) => L, config: Record<string, unknown>): L {
    const batchShape = (config.batch_input_shape ?? config.batch_shape) as (number | null)[] | undefined;
    if (!Array.isArray(batchShape)) throw new Error(`InputLayer '${String(config.name)}': fromConfig: expected batch_input_shape (or batch_shape), received ${JSON.stringify(config)}`);
    const dtype = config.dtype === 'string' ? 'string' : 'float32';
    return new this({ batchShape, name: config.name as string, dtype } as never);
  }

  computeOutputShape(): SymShape {
    return this.shape;
  }

  call(): LayerOutput {
    throw new Error(`${this.label}: an input layer is not called; feed data to the model`);
  }
}
registerLayer('InputLayer', InputLayer);

/** A symbolic input for the functional API. */
export function input(args: InputArgs): SymbolicTensor {
  return new InputLayer(args).output;
}
