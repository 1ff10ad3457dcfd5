/**
 * A text vectorizer as the first layer of a model (seed 003 feeds raw review strings to a
 * Sequential whose first layer is Keras's TextVectorization).
 *
 * Any object with `call(texts: string[]): Tensor` returning `[batch, length]` integer ids works
 * (`@seqlab/datasets`' TextVectorization is one; this package does not import it). Vectorizing
 * happens at the model's input: `predict`, `fit` and `evaluate` turn an array of strings into ids
 * with the vectorizer before batching, and inside the graph this layer passes the ids on. A model
 * therefore also accepts ids that were vectorized beforehand.
 */
import { Tensor, fmtShape } from '@seqlab/tensor';
import { Layer, LayerArgs, registerLayer, snakeCase, uniqueName } from '../engine/layer';
import { snakeKey } from '../engine/config';
import { classNameOf } from '../engine/registry';
import { SymShape, fmtReceived } from '../engine/shapes';

/** What a text vectorizer must offer to be a model's first layer (TextVectorization of @seqlab/datasets does). */
export interface StringVectorizer {
  /** Token ids of a batch of raw texts, `[batch, length]`. */
  call(texts: string[]): Tensor;
  /** [batch, sequence length] of the ids for a batch size (null: unknown). */
  computeOutputShape?(batch: number | null): (number | null)[];
  name?: string;
  /** Its fixed class name, shown by `summary()` and written to model files ('TextVectorization'). */
  readonly className?: string;
  /**
   * Its options and vocabulary, for model files; loading calls the class's static
   * `fromConfig(config)` with the keys in snake_case (the class is given to `loadModel` in
   * `customObjects`, since this package does not import the one that defines it).
   */
  getConfig?(): object;
}

/** True for an object that can be a model's text vectorizer (has `call`, and is not a Layer). */
export function isStringVectorizer(x: unknown): x is StringVectorizer {
  return typeof x === 'object' && x !== null && !(x instanceof Layer) && typeof (x as StringVectorizer).call === 'function';
}

/** The vectorizer's own fixed class name, else its registered one (engine/registry.ts). */
function vectorizerClassName(v: StringVectorizer): string {
  return typeof v.className === 'string' ? v.className : classNameOf(v);
}

/** Options of `VectorizerLayer`: the vectorizer it wraps. */
export interface VectorizerLayerArgs extends LayerArgs {
  vectorizer: StringVectorizer;
}

/**
 * A text vectorizer as a model's first layer: strings are vectorized at the model's input, and
 * inside the graph this layer passes the ids on (see the file comment).
 */
export class VectorizerLayer extends Layer {
  readonly vectorizer: StringVectorizer;
  private readonly length: number | null;

  constructor(args: VectorizerLayerArgs) {
    const v = args.vectorizer;
    if (!isStringVectorizer(v)) throw new Error('VectorizerLayer: expected a vectorizer with call(texts: string[]): Tensor');
    const length = v.computeOutputShape ? v.computeOutputShape(null)[1] ?? null : null;
    super({ name: args.name ?? v.name ?? uniqueName(snakeCase(vectorizerClassName(v))), batchInputShape: [null, length], trainable: false });
    this.vectorizer = v;
    this.length = length;
  }

  /** The vectorizer's config with snake_case keys (Keras's TextVectorization config, with its vocabulary). */
  override getConfig(): Record<string, unknown> {
    const v = this.vectorizer;
    if (typeof v.getConfig !== 'function') {
      throw new Error(`${this.label}: cannot be written to a file: the vectorizer has no getConfig()`);
    }
    const out: Record<string, unknown> = {};
    for (const [k, value] of Object.entries(v.getConfig())) out[snakeKey(k)] = value;
    return out;
  }

  /** The wrapped vectorizer's class, as Keras's summary shows it. */
  override get className(): string {
    return vectorizerClassName(this.vectorizer);
  }

  computeOutputShape(inputShape: SymShape): SymShape {
    if (inputShape.length !== 2 || (this.length !== null && inputShape[1] !== null && inputShape[1] !== this.length)) {
      throw new Error(`${this.label}: expected token ids [batch, ${this.length ?? 'length'}], received ${fmtReceived(inputShape)}`);
    }
    return inputShape;
  }

  /** Ids pass through: strings were vectorized at the model's input. */
  call(ids: Tensor): Tensor {
    return ids;
  }

  /** Strings to ids, checked against the declared length. */
  vectorize(texts: string[]): Tensor {
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
      throw new Error(`${this.label}: expected an array of strings`);
    }
    const ids = this.vectorizer.call(texts);
    if (ids.rank !== 2 || ids.shape[0] !== texts.length || (this.length !== null && ids.shape[1] !== this.length)) {
      throw new Error(`${this.label}: the vectorizer returned ${fmtShape(ids.shape)} for ${texts.length} texts, expected [${texts.length}, ${this.length ?? 'length'}]`);
    }
    return ids;
  }
}
registerLayer('VectorizerLayer', VectorizerLayer);
