/**
 * `TextVectorization`: Keras's preprocessing layer that maps raw strings to padded id rows.
 *
 * Pipeline for each text: standardize -> split -> look up -> pad/truncate.
 * - `standardize: 'lower_and_strip_punctuation'` (default) lowercases and deletes the characters
 *   of Keras's strip regex (ASCII punctuation, apostrophe included); `null` leaves the text as is;
 *   a function gets and returns a string.
 * - `split: 'whitespace'` (default) splits on runs of whitespace; `'character'` gives one token per
 *   character; `null` keeps the whole text as one token; a function returns the tokens.
 * - The vocabulary (`adapt`) is `['', '[UNK]', ...tokens by descending count]`, so id 0 is padding
 *   and id 1 is out-of-vocabulary; `maxTokens` counts those two. Equal counts are ordered by the
 *   token, descending, which is what Keras's `IndexLookup` does to stay deterministic.
 * - `outputSequenceLength` pads with 0 or truncates, both at the end; without it a batch is padded
 *   to its longest text.
 *
 * The layer interface (what `@seqlab/layers` wraps, without importing this package):
 * `call(texts: string[]): Tensor` returning `[batch, length]` float32 ids.
 */
import { Tensor } from '@seqlab/tensor';

export type Standardize = 'lower_and_strip_punctuation' | 'lower' | 'strip_punctuation' | null | ((text: string) => string);
export type TextSplit = 'whitespace' | 'character' | null | ((text: string) => string[]);

export interface TextVectorizationOptions {
  maxTokens?: number | null;
  standardize?: Standardize;
  split?: TextSplit;
  outputMode?: 'int';
  outputSequenceLength?: number | null;
  /** A fixed vocabulary instead of `adapt` (without '' and '[UNK]'; they are added). */
  vocabulary?: string[];
  name?: string;
}

/** Keras's DEFAULT_STRIP_REGEX: `[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~']`. */
const STRIP_PUNCTUATION = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g;

export const PAD_TOKEN = '';
export const OOV_TOKEN = '[UNK]';

/** Structural interface a model layer can wrap: raw strings in, `[batch, length]` float32 ids out. */
export interface StringVectorizer {
  call(texts: string[]): Tensor;
}

export class TextVectorization implements StringVectorizer {
  /** The fixed Keras class name (summaries and model files; survives bundling). */
  readonly className = 'TextVectorization';
  readonly maxTokens: number | null;
  readonly standardize: Standardize;
  readonly split: TextSplit;
  readonly outputMode: 'int';
  readonly outputSequenceLength: number | null;
  readonly name: string;
  private vocab: string[] = [PAD_TOKEN, OOV_TOKEN];
  private lookup = new Map<string, number>();

  constructor(options: TextVectorizationOptions = {}) {
    const {
      maxTokens = null,
      standardize = 'lower_and_strip_punctuation',
      split = 'whitespace',
      outputMode = 'int',
      outputSequenceLength = null,
      name = 'text_vectorization',
    } = options;
    if (outputMode !== 'int') {
      throw new Error(`TextVectorization: only outputMode 'int' is implemented, received '${String(outputMode)}'`);
    }
    if (maxTokens !== null && (!Number.isInteger(maxTokens) || maxTokens < 3)) {
      throw new Error(`TextVectorization: maxTokens must be an integer >= 3 (it counts '' and '[UNK]') or null, received ${maxTokens}`);
    }
    if (outputSequenceLength !== null && (!Number.isInteger(outputSequenceLength) || outputSequenceLength < 1)) {
      throw new Error(`TextVectorization: outputSequenceLength must be a positive integer or null, received ${outputSequenceLength}`);
    }
    const standardizes = ['lower_and_strip_punctuation', 'lower', 'strip_punctuation'];
    if (standardize !== null && typeof standardize !== 'function' && !standardizes.includes(standardize)) {
      throw new Error(`TextVectorization: standardize must be one of ${standardizes.join(', ')}, null or a function, received '${String(standardize)}'`);
    }
    if (split !== null && typeof split !== 'function' && split !== 'whitespace' && split !== 'character') {
      throw new Error(`TextVectorization: split must be 'whitespace', 'character', null or a function, received '${String(split)}'`);
    }
    this.maxTokens = maxTokens;
    this.standardize = standardize;
    this.split = split;
    this.outputMode = outputMode;
    this.outputSequenceLength = outputSequenceLength;
    this.name = name;
    if (options.vocabulary) this.setVocabulary(options.vocabulary);
    else this.setVocabulary([]);
  }

  /** The tokens of one text after standardization and splitting. */
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
    if (typeof sp === 'function') return sp(s);
    if (sp === 'whitespace') return s.split(/\s+/).filter((t) => t.length > 0);
    if (sp === 'character') return Array.from(s);
    return [s];
  }

  /** Builds the vocabulary from `texts`: tokens by descending count, cut to `maxTokens`. */
  adapt(texts: Iterable<string>): this {
    const counts = new Map<string, number>();
    let i = 0;
    for (const text of texts) {
      if (typeof text !== 'string') {
        throw new Error(`TextVectorization '${this.name}'.adapt: text ${i} should be a string, received ${text === null ? 'null' : typeof text}`);
      }
      for (const t of this.tokenize(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
      i++;
    }
    counts.delete(PAD_TOKEN);
    counts.delete(OOV_TOKEN);
    const tokens = Array.from(counts.entries())
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0))
      .map(([t]) => t);
    const keep = this.maxTokens === null ? tokens : tokens.slice(0, this.maxTokens - 2);
    this.setVocabulary(keep);
    return this;
  }

  /** Sets the vocabulary: the given tokens follow '' and '[UNK]'. */
  setVocabulary(tokens: string[]): void {
    const rest = tokens[0] === PAD_TOKEN && tokens[1] === OOV_TOKEN ? tokens.slice(2) : tokens;
    const vocab = [PAD_TOKEN, OOV_TOKEN, ...rest];
    if (this.maxTokens !== null && vocab.length > this.maxTokens) {
      throw new Error(`TextVectorization '${this.name}'.setVocabulary: ${vocab.length} tokens (with '' and '[UNK]') exceed maxTokens ${this.maxTokens}`);
    }
    const lookup = new Map<string, number>();
    vocab.forEach((t, i) => {
      if (lookup.has(t)) throw new Error(`TextVectorization '${this.name}'.setVocabulary: the token ${JSON.stringify(t)} appears twice`);
      lookup.set(t, i);
    });
    this.vocab = vocab;
    this.lookup = lookup;
  }

  /** `['', '[UNK]', most frequent, ...]` (a copy). */
  getVocabulary(includeSpecialTokens = true): string[] {
    return includeSpecialTokens ? this.vocab.slice() : this.vocab.slice(2);
  }

  vocabularySize(): number {
    return this.vocab.length;
  }

  /** The ids of each text, unpadded. */
  textsToIds(texts: string[]): number[][] {
    return texts.map((text) => this.tokenize(text).map((t) => this.lookup.get(t) ?? 1));
  }

  /**
   * Raw strings to a `[batch, length]` float32 tensor of ids.
   * @example
   * const tv = new TextVectorization({ outputSequenceLength: 4 }).adapt(['a b b', 'c']);
   * tv.call(['b a z']).toArray(); // [[2, 3, 1, 0]]
   */
  call(texts: string[] | string): Tensor {
    const batch = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(batch)) {
      throw new Error(`TextVectorization '${this.name}': expected an array of strings, received ${typeof texts}`);
    }
    const ids = this.textsToIds(batch);
    const length = this.outputSequenceLength ?? ids.reduce((m, s) => Math.max(m, s.length), 0);
    const out = new Float32Array(batch.length * length);
    ids.forEach((s, b) => {
      const n = Math.min(s.length, length);
      for (let t = 0; t < n; t++) out[b * length + t] = s[t];
    });
    return new Tensor(out, [batch.length, length]);
  }

  /** Same as `call`, for those who write it the TensorFlow.js way. */
  apply(texts: string[] | string): Tensor {
    return this.call(texts);
  }

  /** Output shape for a batch dimension (null for unknown length without `outputSequenceLength`). */
  computeOutputShape(batch: number | null = null): [number | null, number | null] {
    return [batch, this.outputSequenceLength];
  }

  getConfig(): TextVectorizationConfig {
    if (typeof this.standardize === 'function' || typeof this.split === 'function') {
      throw new Error(`TextVectorization '${this.name}'.getConfig: a custom standardize or split function cannot be serialized; pass it again to the constructor and use setVocabulary(getVocabulary())`);
    }
    return {
      name: this.name,
      maxTokens: this.maxTokens,
      standardize: this.standardize,
      split: this.split,
      outputMode: this.outputMode,
      outputSequenceLength: this.outputSequenceLength,
      vocabulary: this.getVocabulary(false),
    };
  }

  static fromConfig(config: TextVectorizationConfig): TextVectorization {
    return new TextVectorization(config);
  }
}

export interface TextVectorizationConfig {
  name: string;
  maxTokens: number | null;
  standardize: 'lower_and_strip_punctuation' | 'lower' | 'strip_punctuation' | null;
  split: 'whitespace' | 'character' | null;
  outputMode: 'int';
  outputSequenceLength: number | null;
  vocabulary: string[];
}
