/**
 * `TextVectorization`: Keras's preprocessing layer that maps raw strings to ids or to
 * bag-of-tokens vectors.
 *
 * Pipeline for each text: standardize -> split -> n-grams -> look up -> encode.
 * - `standardize: 'lower_and_strip_punctuation'` (default) lowercases and deletes the characters
 *   of Keras's strip regex (ASCII punctuation, apostrophe included); `'lower'`,
 *   `'strip_punctuation'`; `null` leaves the text as is; a function gets and returns a string.
 * - `split: 'whitespace'` (default) splits on runs of whitespace; `'character'` gives one token per
 *   character; `null` keeps the whole text as one token; a function returns the tokens.
 * - `ngrams: n` adds every 1..n-gram, `ngrams: [2, 3]` exactly those widths; per text, all n-grams
 *   of the first width, then of the next (what `tf.strings.ngrams` emits), joined by a space.
 * - Vocabulary (`adapt`): tokens by descending count, equal counts by the token descending (Keras's
 *   `IndexLookup`), after the special tokens: `['', '[UNK]', ...]` for `outputMode: 'int'` (0 pads,
 *   1 is out-of-vocabulary), `['[UNK]', ...]` for the other modes; `maxTokens` counts them.
 * - Output, `[batch, ...]` float32:
 *   `'int'`: ids, padded with 0 / truncated at the end to `outputSequenceLength` (without it, to the
 *   longest text of the batch);
 *   `'multi_hot'` (also `'binary'`): 1 where a token occurs; `'count'`: how often it occurs;
 *   `'tf_idf'` (also `'tf-idf'`): count x idf, with idf = ln(1 + documents / (1 + documents
 *   holding the token)) learned by `adapt` and the mean idf for the out-of-vocabulary slot 0.
 *   These three are `[batch, vocabularySize]`, or `[batch, maxTokens]` with `padToMaxTokens`.
 *
 * The layer interface (what `@seqlab/layers` wraps, without importing this package):
 * `call(texts: string[]): Tensor` and `computeOutputShape(batch)`.
 */
import { Tensor } from '@seqlab/tensor';

/**
 * How `TextVectorization` normalizes each text before splitting: lowercase and / or strip ASCII
 * punctuation (Keras's regex), nothing (null), or a function of your own.
 */
export type Standardize = 'lower_and_strip_punctuation' | 'lower' | 'strip_punctuation' | null | ((text: string) => string);
/**
 * How `TextVectorization` cuts a standardized text into tokens: on whitespace, into characters,
 * not at all (null), or with a function of your own.
 */
export type TextSplit = 'whitespace' | 'character' | null | ((text: string) => string[]);
/**
 * What `TextVectorization` outputs: 'int' ids `[batch, length]`, or `[batch, vocabularySize]`
 * vectors: 'multi_hot' (1 where a token occurs), 'count', 'tf_idf'.
 */
export type OutputMode = 'int' | 'multi_hot' | 'count' | 'tf_idf';

/** Options of `TextVectorization`, with Keras's names in camelCase. */
export interface TextVectorizationOptions {
  maxTokens?: number | null;
  standardize?: Standardize;
  split?: TextSplit;
  /** null, n (all 1..n-grams), or the widths to produce. */
  ngrams?: number | number[] | null;
  /** 'int' (default), 'multi_hot', 'count', 'tf_idf' (Keras's older 'binary' and 'tf-idf' are accepted). */
  outputMode?: OutputMode | 'binary' | 'tf-idf';
  /** 'int' only: pad or truncate every row to this length. */
  outputSequenceLength?: number | null;
  /** Bag-of-tokens modes: make the output `maxTokens` wide whatever the vocabulary size. */
  padToMaxTokens?: boolean;
  /** A fixed vocabulary instead of `adapt` (the special tokens may be included or not). */
  vocabulary?: string[];
  /** 'tf_idf' with a given vocabulary: one idf weight per vocabulary entry. */
  idfWeights?: number[];
  name?: string;
}

/** Options of `TextVectorization.adapt`. */
export interface AdaptOptions {
  /** Read at most this many elements (batches) of the data. */
  steps?: number;
}

/** Keras's DEFAULT_STRIP_REGEX: `[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~']`. */
const STRIP_PUNCTUATION = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g;

/** The padding token of `outputMode: 'int'` vocabularies (id 0). */
export const PAD_TOKEN = '';
/** The out-of-vocabulary token: id 1 with `outputMode: 'int'`, id 0 in the other modes. */
export const OOV_TOKEN = '[UNK]';

/** Structural interface a model layer can wrap: raw strings in, `[batch, width]` float32 out. */
export interface StringVectorizer {
  /** Vectorizes a batch of raw texts: `[batch, width]` float32. */
  call(texts: string[]): Tensor;
}

/** Texts to learn from: strings, or batches (string arrays) of them, from an array, an iterable or a stream. */
export type AdaptData = readonly string[] | Iterable<string | readonly string[]> | AsyncIterable<string | readonly string[]>;

/** Word n-grams of the given widths, each width in turn (tf.strings.ngrams without padding). */
export function ngramsOf(tokens: readonly string[], widths: readonly number[]): string[] {
  const out: string[] = [];
  for (const w of widths) for (let i = 0; i + w <= tokens.length; i++) out.push(w === 1 ? tokens[i] : tokens.slice(i, i + w).join(' '));
  return out;
}

/**
 * Keras's TextVectorization: raw strings to token ids or bag-of-tokens vectors, with a vocabulary
 * learned by `adapt` (or given). See the file comment for the pipeline and the Keras rules kept.
 * @example
 *   const tv = new TextVectorization({ maxTokens: 10000, outputSequenceLength: 100 });
 *   await tv.adapt(trainTexts);
 *   tv.call(['a great film']).shape;   // [1, 100], ids padded with 0
 */
export class TextVectorization implements StringVectorizer {
  /** The fixed Keras class name (summaries and model files; survives bundling). */
  readonly className = 'TextVectorization';
  readonly maxTokens: number | null;
  readonly standardize: Standardize;
  readonly split: TextSplit;
  readonly ngrams: number | number[] | null;
  readonly outputMode: OutputMode;
  readonly outputSequenceLength: number | null;
  readonly padToMaxTokens: boolean;
  readonly name: string;
  private readonly widths: number[] | null;
  /** Tokens before the learned ones: ['', '[UNK]'] in 'int' mode, ['[UNK]'] otherwise. */
  private readonly specials: string[];
  private vocab: string[];
  private lookup = new Map<string, number>();
  /** One weight per output slot ('tf_idf'). */
  private idf: Float64Array | null = null;
  private vocabularySet = false;
  private readonly fixedVocabulary: boolean;

  constructor(options: TextVectorizationOptions = {}) {
    const who = 'TextVectorization';
    const { maxTokens = null, standardize = 'lower_and_strip_punctuation', split = 'whitespace', ngrams = null, outputSequenceLength = null, padToMaxTokens = false, name = 'text_vectorization' } = options;
    const rawMode = options.outputMode ?? 'int';
    const mode = rawMode === 'binary' ? 'multi_hot' : rawMode === 'tf-idf' ? 'tf_idf' : rawMode;
    const modes = ['int', 'multi_hot', 'count', 'tf_idf'];
    if (!modes.includes(mode)) throw new Error(`${who}: outputMode must be one of ${modes.join(', ')}, received '${String(rawMode)}'`);
    this.specials = mode === 'int' ? [PAD_TOKEN, OOV_TOKEN] : [OOV_TOKEN];
    if (maxTokens !== null && (!Number.isInteger(maxTokens) || maxTokens <= this.specials.length)) {
      throw new Error(`${who}: maxTokens must be an integer >= ${this.specials.length + 1} (it counts ${this.specials.map((s) => `'${s}'`).join(' and ')}) or null, received ${maxTokens}`);
    }
    if (outputSequenceLength !== null && mode !== 'int') throw new Error(`${who}: outputSequenceLength applies to outputMode 'int' only, received ${outputSequenceLength} with '${mode}'`);
    if (outputSequenceLength !== null && (!Number.isInteger(outputSequenceLength) || outputSequenceLength < 1)) {
      throw new Error(`${who}: outputSequenceLength must be a positive integer or null, received ${outputSequenceLength}`);
    }
    if (padToMaxTokens && maxTokens === null) throw new Error(`${who}: padToMaxTokens needs maxTokens`);
    const widths = ngrams === null ? null : typeof ngrams === 'number' ? Array.from({ length: ngrams }, (_, i) => i + 1) : Array.isArray(ngrams) ? ngrams.slice() : null;
    if (ngrams !== null && (widths === null || widths.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 1))) {
      throw new Error(`${who}: ngrams must be null, a positive integer or an array of positive integers, received ${JSON.stringify(ngrams)}`);
    }
    const standardizes = ['lower_and_strip_punctuation', 'lower', 'strip_punctuation'];
    if (standardize !== null && typeof standardize !== 'function' && !standardizes.includes(standardize)) {
      throw new Error(`${who}: standardize must be one of ${standardizes.join(', ')}, null or a function, received '${String(standardize)}'`);
    }
    if (split !== null && typeof split !== 'function' && split !== 'whitespace' && split !== 'character') {
      throw new Error(`${who}: split must be 'whitespace', 'character', null or a function, received '${String(split)}'`);
    }
    if (options.idfWeights !== undefined && mode !== 'tf_idf') throw new Error(`${who}: idfWeights applies to outputMode 'tf_idf' only`);
    if (options.vocabulary !== undefined && mode === 'tf_idf' && options.idfWeights === undefined) {
      throw new Error(`${who}: with outputMode 'tf_idf' a given vocabulary needs idfWeights too`);
    }
    this.maxTokens = maxTokens;
    this.standardize = standardize;
    this.split = split;
    this.ngrams = ngrams;
    this.widths = widths;
    this.outputMode = mode as OutputMode;
    this.outputSequenceLength = outputSequenceLength;
    this.padToMaxTokens = padToMaxTokens;
    this.name = name;
    this.vocab = this.specials.slice();
    this.fixedVocabulary = options.vocabulary !== undefined;
    if (options.vocabulary !== undefined) this.setVocabulary(options.vocabulary, options.idfWeights);
    else this.install([], null);
    this.vocabularySet = options.vocabulary !== undefined;
  }

  /** The tokens of one text after standardization, splitting and n-grams. */
  tokenize(text: string): string[] {
    if (typeof text !== 'string') {
      throw new Error(`TextVectorization '${this.name}': expected a string, received ${text === null ? 'null' : typeof text}`);
    }
    let s = text;
    const st = this.standardize;
    if (typeof st === 'function') {
      s = st(s);
      if (typeof s !== 'string') throw new Error(`TextVectorization '${this.name}': the standardize function must return a string, it returned ${typeof s}`);
    } else if (st !== null) {
      if (st === 'lower' || st === 'lower_and_strip_punctuation') s = s.toLowerCase();
      if (st === 'strip_punctuation' || st === 'lower_and_strip_punctuation') s = s.replace(STRIP_PUNCTUATION, '');
    }
    const sp = this.split;
    const tokens = typeof sp === 'function' ? sp(s) : sp === 'whitespace' ? s.split(/\s+/).filter((t) => t.length > 0) : sp === 'character' ? Array.from(s) : [s];
    return this.widths ? ngramsOf(tokens, this.widths) : tokens;
  }

  /**
   * Builds the vocabulary (and, for 'tf_idf', the idf weights) from texts: an array, an iterable,
   * or an async iterable such as a Dataset of text batches, which is read as it streams; then the
   * result is a promise. Every text is one document.
   * @example
   * await vectorizeLayer.adapt(trainDs.map(([x]) => x));
   */
  adapt(data: readonly string[] | Iterable<string | readonly string[]>, options?: AdaptOptions): this;
  adapt(data: AsyncIterable<string | readonly string[]>, options?: AdaptOptions): Promise<this>;
  adapt(data: AdaptData, options: AdaptOptions = {}): this | Promise<this> {
    const who = `TextVectorization '${this.name}'.adapt`;
    if (this.fixedVocabulary) throw new Error(`${who}: the layer was built with a fixed vocabulary; adapt a layer without the vocabulary option`);
    const steps = options.steps ?? Infinity;
    if (steps !== Infinity && (!Number.isInteger(steps) || steps < 1)) throw new Error(`${who}: steps must be a positive integer, received ${steps}`);
    const counts = new Map<string, number>();
    const docs = this.outputMode === 'tf_idf' ? new Map<string, number>() : null;
    let nDocs = 0;
    let element = 0;
    const addText = (text: unknown): void => {
      if (typeof text !== 'string') throw new Error(`${who}: text ${nDocs} should be a string, received ${text === null ? 'null' : typeof text}`);
      const tokens = this.tokenize(text);
      for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
      if (docs) for (const t of new Set(tokens)) docs.set(t, (docs.get(t) ?? 0) + 1);
      nDocs++;
    };
    const addElement = (e: unknown): void => {
      if (typeof e === 'string') addText(e);
      else if (Array.isArray(e) && e.every((s) => typeof s === 'string')) e.forEach(addText);
      else if (Array.isArray(e) && !Array.isArray(data)) {
        throw new Error(`${who}: element ${element} is not text (an array mixing ${Array.from(new Set(e.map((v) => (Array.isArray(v) ? 'arrays' : typeof v)))).join(' and ')}); map a dataset of [text, label] to its texts first, e.g. ds.map(([x]) => x)`);
      } else addText(e);
      element++;
    };
    const finish = (): this => {
      this.learn(counts, docs, nDocs);
      return this;
    };
    const d = data as Partial<AsyncIterable<unknown> & Iterable<unknown>>;
    if (typeof d[Symbol.asyncIterator] === 'function' && typeof d[Symbol.iterator] !== 'function') {
      return (async () => {
        for await (const e of data as AsyncIterable<unknown>) {
          if (element >= steps) break;
          addElement(e);
        }
        return finish();
      })();
    }
    if (typeof d[Symbol.iterator] !== 'function' || typeof data === 'string') throw new Error(`${who}: expected an array of texts, an iterable or an async iterable, received ${data === null ? 'null' : typeof data}`);
    for (const e of data as Iterable<unknown>) {
      if (element >= steps) break;
      addElement(e);
    }
    return finish();
  }

  /** Vocabulary and idf from counts, as Keras's `IndexLookup.finalize_state`. */
  private learn(counts: Map<string, number>, docs: Map<string, number> | null, nDocs: number): void {
    counts.delete(PAD_TOKEN);
    counts.delete(OOV_TOKEN);
    const sorted = Array.from(counts.entries())
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0))
      .map(([t]) => t);
    const tokens = this.maxTokens === null ? sorted : sorted.slice(0, this.maxTokens - this.specials.length);
    let idf: number[] | null = null;
    if (docs) {
      // idf = ln(1 + N / (1 + df)); the out-of-vocabulary slot gets the mean over the kept tokens
      const weights = tokens.map((t) => Math.log(1 + nDocs / (1 + (docs.get(t) ?? 0))));
      const mean = weights.length ? weights.reduce((a, b) => a + b, 0) / weights.length : 0;
      idf = [mean, ...weights];
    }
    this.install(tokens, idf);
    this.vocabularySet = true;
  }

  private install(tokens: string[], idf: number[] | null): void {
    const vocab = [...this.specials, ...tokens];
    const lookup = new Map<string, number>();
    vocab.forEach((t, i) => lookup.set(t, i));
    this.vocab = vocab;
    this.lookup = lookup;
    if (this.outputMode === 'tf_idf') {
      const width = this.padToMaxTokens ? this.maxTokens! : vocab.length;
      this.idf = new Float64Array(width); // slots past the vocabulary stay 0
      if (idf) this.idf.set(idf);
    }
  }

  /**
   * Sets the vocabulary (and, for 'tf_idf', one idf weight per entry given). The special tokens
   * may lead the list or be left out; without them the out-of-vocabulary idf is the mean of the
   * weights given, as Keras does.
   */
  setVocabulary(vocabulary: string[], idfWeights?: number[]): void {
    const who = `TextVectorization '${this.name}'.setVocabulary`;
    if (!Array.isArray(vocabulary) || vocabulary.some((t) => typeof t !== 'string')) throw new Error(`${who}: expected an array of strings`);
    const k = this.specials.length;
    const hasSpecials = vocabulary.length >= k && this.specials.every((s, i) => vocabulary[i] === s);
    const tokens = hasSpecials ? vocabulary.slice(k) : vocabulary.slice();
    const seen = new Set<string>();
    for (const t of tokens) {
      if (t === PAD_TOKEN || (t === OOV_TOKEN && this.outputMode !== 'int')) {
        throw new Error(`${who}: the token ${JSON.stringify(t)} is reserved; leave the special tokens out or put them first, in the order ${JSON.stringify(this.specials)}`);
      }
      if (seen.has(t)) throw new Error(`${who}: the token ${JSON.stringify(t)} appears twice`);
      seen.add(t);
    }
    if (this.maxTokens !== null && k + tokens.length > this.maxTokens) {
      throw new Error(`${who}: ${k + tokens.length} tokens (with ${this.specials.map((s) => `'${s}'`).join(' and ')}) exceed maxTokens ${this.maxTokens}`);
    }
    let idf: number[] | null = null;
    if (this.outputMode === 'tf_idf') {
      if (!idfWeights) throw new Error(`${who}: outputMode 'tf_idf' needs idfWeights with the vocabulary`);
      if (idfWeights.length !== vocabulary.length || idfWeights.some((w) => !Number.isFinite(w))) {
        throw new Error(`${who}: idfWeights must hold ${vocabulary.length} finite numbers (one per vocabulary entry), received ${idfWeights.length}`);
      }
      idf = hasSpecials ? idfWeights.slice() : [idfWeights.reduce((a, b) => a + b, 0) / Math.max(1, idfWeights.length), ...idfWeights];
    } else if (idfWeights !== undefined) {
      throw new Error(`${who}: idfWeights applies to outputMode 'tf_idf' only`);
    }
    this.install(tokens, idf);
    this.vocabularySet = true;
  }

  /** `['', '[UNK]', most frequent, ...]` ('int') or `['[UNK]', ...]` (other modes), a copy. */
  getVocabulary(includeSpecialTokens = true): string[] {
    return includeSpecialTokens ? this.vocab.slice() : this.vocab.slice(this.specials.length);
  }

  /** The idf weight of each output slot ('tf_idf' only), a copy. */
  getIdfWeights(): number[] {
    if (!this.idf) throw new Error(`TextVectorization '${this.name}'.getIdfWeights: outputMode is '${this.outputMode}', not 'tf_idf'`);
    return Array.from(this.idf);
  }

  /** Number of entries in the vocabulary, special tokens included. */
  vocabularySize(): number {
    return this.vocab.length;
  }

  /** The ids of each text, unpadded. */
  textsToIds(texts: string[]): number[][] {
    const oov = this.specials.indexOf(OOV_TOKEN);
    // bag-of-tokens modes drop the padding token, as Keras drops its mask token there
    const keep = this.outputMode === 'int' ? () => true : (t: string) => t !== PAD_TOKEN;
    return texts.map((text) => this.tokenize(text).filter(keep).map((t) => this.lookup.get(t) ?? oov));
  }

  /** Width of a bag-of-tokens row. */
  private depth(): number {
    return this.padToMaxTokens ? this.maxTokens! : this.vocab.length;
  }

  /**
   * Raw strings to a float32 tensor: `[batch, length]` ids ('int'), else `[batch, depth]`.
   * @example
   * const tv = new TextVectorization({ outputSequenceLength: 4 }).adapt(['a b b', 'c']);
   * tv.call(['b a z']).toArray(); // [[2, 3, 1, 0]]
   */
  call(texts: string[] | string): Tensor {
    const batch = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(batch)) {
      throw new Error(`TextVectorization '${this.name}': expected an array of strings, received ${typeof texts}`);
    }
    if (this.outputMode !== 'int' && !this.vocabularySet && !this.padToMaxTokens) {
      throw new Error(`TextVectorization '${this.name}': outputMode '${this.outputMode}' needs a vocabulary before it is called (adapt, or the vocabulary option)`);
    }
    const ids = this.textsToIds(batch);
    if (this.outputMode === 'int') {
      const length = this.outputSequenceLength ?? ids.reduce((m, s) => Math.max(m, s.length), 0);
      const out = new Float32Array(batch.length * length);
      ids.forEach((s, b) => {
        const n = Math.min(s.length, length);
        for (let t = 0; t < n; t++) out[b * length + t] = s[t];
      });
      return new Tensor(out, [batch.length, length]);
    }
    const depth = this.depth();
    const out = new Float32Array(batch.length * depth);
    const idf = this.idf;
    ids.forEach((s, b) => {
      const rowStart = b * depth;
      for (const id of s) {
        if (this.outputMode === 'multi_hot') out[rowStart + id] = 1;
        else out[rowStart + id] += 1;
      }
      if (idf) for (let j = 0; j < depth; j++) out[rowStart + j] *= idf[j];
    });
    return new Tensor(out, [batch.length, depth]);
  }

  /** Same as `call`, for those who write it the TensorFlow.js way. */
  apply(texts: string[] | string): Tensor {
    return this.call(texts);
  }

  /** Output shape for a batch dimension: `[batch, outputSequenceLength]` ('int', null when free) or `[batch, depth]`. */
  computeOutputShape(batch: number | null = null): [number | null, number | null] {
    return [batch, this.outputMode === 'int' ? this.outputSequenceLength : this.depth()];
  }

  /** The options and vocabulary as plain JSON (model files); a custom standardize or split function is refused. */
  getConfig(): TextVectorizationConfig {
    if (typeof this.standardize === 'function' || typeof this.split === 'function') {
      throw new Error(`TextVectorization '${this.name}'.getConfig: a custom standardize or split function cannot be serialized; pass it again to the constructor and use setVocabulary(getVocabulary())`);
    }
    const config: TextVectorizationConfig = {
      name: this.name,
      maxTokens: this.maxTokens,
      standardize: this.standardize,
      split: this.split,
      ngrams: this.ngrams,
      outputMode: this.outputMode,
      outputSequenceLength: this.outputSequenceLength,
      padToMaxTokens: this.padToMaxTokens,
      vocabulary: this.getVocabulary(false),
    };
    // weights of the tokens given; the out-of-vocabulary weight is their mean again on load
    if (this.idf) config.idfWeights = Array.from(this.idf.subarray(1, this.vocab.length));
    return config;
  }

  /** From `getConfig()` output, or the same keys in snake_case (as a model file writes them, Keras's spelling). */
  static fromConfig(config: TextVectorizationConfig | Record<string, unknown>): TextVectorization {
    const options: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config)) options[k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = v;
    return new TextVectorization(options as TextVectorizationOptions);
  }
}

/** A TextVectorization as JSON: its options, vocabulary and idf weights (`getConfig`). */
export interface TextVectorizationConfig {
  name: string;
  maxTokens: number | null;
  standardize: 'lower_and_strip_punctuation' | 'lower' | 'strip_punctuation' | null;
  split: 'whitespace' | 'character' | null;
  ngrams?: number | number[] | null;
  outputMode: OutputMode;
  outputSequenceLength: number | null;
  padToMaxTokens?: boolean;
  vocabulary: string[];
  idfWeights?: number[];
}
