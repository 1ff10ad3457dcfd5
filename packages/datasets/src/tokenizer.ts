/**
 * `Tokenizer`: Keras's `keras.preprocessing.text.Tokenizer`.
 *
 * A text becomes words by: lowercase (if `lower`), every character of `filters` replaced by
 * `split`, split on `split`, empty pieces dropped (`textToWordSequence`). With `charLevel`, every
 * character is a token and `filters` is not applied (as in Keras).
 *
 * `fitOnTexts` counts words; `wordIndex` ranks them by count, most frequent first, from 1
 * (0 is kept for padding); equal counts keep the order of first appearance (Keras sorts stably).
 * With `oovToken` the OOV token takes index 1 and the words start at 2.
 *
 * `numWords` does not change the index; `textsToSequences` keeps only ids below `numWords`
 * (so `numWords - 1` words) and maps the others to the OOV id, or drops them without `oovToken`.
 */

export const DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n';

/** Options of `Tokenizer`, Keras's names in camelCase: `numWords`, `filters`, `lower`, `split`, `charLevel`, `oovToken`. */
export interface TokenizerOptions {
  numWords?: number | null;
  filters?: string;
  lower?: boolean;
  split?: string;
  charLevel?: boolean;
  oovToken?: string | null;
}

/**
 * Keras `text_to_word_sequence`.
 * @example
 * textToWordSequence('Hello, World!  Hi'); // ['hello', 'world', 'hi']
 */
export function textToWordSequence(
  text: string,
  options: { filters?: string; lower?: boolean; split?: string } = {},
): string[] {
  const { filters = DEFAULT_FILTERS, lower = true, split = ' ' } = options;
  if (typeof text !== 'string') throw new Error(`textToWordSequence: expected a string, received ${typeof text}`);
  if (split.length === 0) throw new Error(`textToWordSequence: split must be a non-empty string`);
  let s = lower ? text.toLowerCase() : text;
  if (filters.length > 0) {
    const filterSet = new Set(filters);
    let out = '';
    for (const ch of s) out += filterSet.has(ch) ? split : ch;
    s = out;
  }
  return s.split(split).filter((w) => w.length > 0);
}

/**
 * Keras's `Tokenizer`: word (or character) indices by frequency, texts to id sequences.
 * See the file comment for the rules.
 * @example
 *   const tok = new Tokenizer({ numWords: 10000, oovToken: '<OOV>' }).fitOnTexts(texts);
 *   padSequences(tok.textsToSequences(texts), { maxlen: 100 });   // [n, 100]
 */
export class Tokenizer {
  readonly numWords: number | null;
  readonly filters: string;
  readonly lower: boolean;
  readonly split: string;
  readonly charLevel: boolean;
  readonly oovToken: string | null;

  /** word -> count, in order of first appearance. */
  wordCounts = new Map<string, number>();
  /** word -> number of documents containing it. */
  wordDocs = new Map<string, number>();
  /** word -> rank from 1 (all words, whatever `numWords` is). */
  wordIndex = new Map<string, number>();
  /** rank -> word. */
  indexWord = new Map<number, string>();
  documentCount = 0;

  constructor(options: TokenizerOptions = {}) {
    const { numWords = null, filters = DEFAULT_FILTERS, lower = true, split = ' ', charLevel = false, oovToken = null } = options;
    if (numWords !== null && (!Number.isInteger(numWords) || numWords < 0)) {
      throw new Error(`Tokenizer: numWords must be a non-negative integer or null, received ${numWords}`);
    }
    if (typeof split !== 'string' || split.length === 0) {
      throw new Error(`Tokenizer: split must be a non-empty string, received ${JSON.stringify(split)}`);
    }
    this.numWords = numWords;
    this.filters = filters;
    this.lower = lower;
    this.split = split;
    this.charLevel = charLevel;
    this.oovToken = oovToken;
  }

  /** The tokens of one text, as `fitOnTexts` and `textsToSequences` see them. */
  tokenize(text: string): string[] {
    if (typeof text !== 'string') {
      throw new Error(`Tokenizer.tokenize: expected a string, received ${text === null ? 'null' : typeof text}`);
    }
    if (this.charLevel) return Array.from(this.lower ? text.toLowerCase() : text);
    return textToWordSequence(text, { filters: this.filters, lower: this.lower, split: this.split });
  }

  /** Counts the words of `texts` (may be called several times) and rebuilds the index. */
  fitOnTexts(texts: string[]): this {
    if (!Array.isArray(texts)) throw new Error(`Tokenizer.fitOnTexts: expected an array of strings, received ${typeof texts}`);
    texts.forEach((text, i) => {
      if (typeof text !== 'string') {
        throw new Error(`Tokenizer.fitOnTexts: text ${i} should be a string, received ${text === null ? 'null' : typeof text}`);
      }
      this.documentCount++;
      const seq = this.tokenize(text);
      for (const w of seq) this.wordCounts.set(w, (this.wordCounts.get(w) ?? 0) + 1);
      for (const w of new Set(seq)) this.wordDocs.set(w, (this.wordDocs.get(w) ?? 0) + 1);
    });
    this.rebuildIndex();
    return this;
  }

  private rebuildIndex(): void {
    // Array.prototype.sort is stable: equal counts keep first-appearance order, as in Keras.
    const words = Array.from(this.wordCounts.entries())
      .sort((a, b) => b[1] - a[1])
      .map(([w]) => w);
    const vocab = this.oovToken !== null ? [this.oovToken, ...words] : words;
    this.wordIndex = new Map();
    this.indexWord = new Map();
    vocab.forEach((w, i) => {
      // The OOV token may also occur as a word; Keras's dict keeps the later (word) rank.
      this.wordIndex.set(w, i + 1);
      this.indexWord.set(i + 1, w);
    });
  }

  private get oovIndex(): number | undefined {
    return this.oovToken === null ? undefined : this.wordIndex.get(this.oovToken);
  }

  /**
   * Each text as a list of word ids (ids of `numWords` and above become the OOV id, or are dropped without `oovToken`).
   *
   * @example
   * const tok = new Tokenizer().fitOnTexts(['the cat', 'the dog']);
   * tok.textsToSequences(['the dog and the cat']); // [[1, 3, 1, 2]]
   */
  textsToSequences(texts: string[]): number[][] {
    if (!Array.isArray(texts)) throw new Error(`Tokenizer.textsToSequences: expected an array of strings, received ${typeof texts}`);
    const oov = this.oovIndex;
    return texts.map((text) => {
      const out: number[] = [];
      for (const w of this.tokenize(text)) {
        const i = this.wordIndex.get(w);
        if (i !== undefined) {
          if (this.numWords !== null && this.numWords > 0 && i >= this.numWords) {
            if (oov !== undefined) out.push(oov);
          } else {
            out.push(i);
          }
        } else if (oov !== undefined) {
          out.push(oov);
        }
      }
      return out;
    });
  }

  /** Ids back to space-joined words; unknown ids are dropped (or become the OOV token). */
  sequencesToTexts(sequences: ArrayLike<number>[]): string[] {
    const oov = this.oovIndex;
    return sequences.map((seq) => {
      const words: string[] = [];
      for (let k = 0; k < seq.length; k++) {
        const num = seq[k];
        const word = this.indexWord.get(num);
        if (word !== undefined) {
          if (this.numWords !== null && this.numWords > 0 && num >= this.numWords) {
            if (oov !== undefined) words.push(this.oovToken as string);
          } else {
            words.push(word);
          }
        } else if (oov !== undefined) {
          words.push(this.oovToken as string);
        }
      }
      return words.join(' ');
    });
  }

  /** The options and learned counts as plain JSON (model files). */
  getConfig(): TokenizerConfig {
    return {
      numWords: this.numWords,
      filters: this.filters,
      lower: this.lower,
      split: this.split,
      charLevel: this.charLevel,
      oovToken: this.oovToken,
      documentCount: this.documentCount,
      wordCounts: Array.from(this.wordCounts.entries()),
      wordDocs: Array.from(this.wordDocs.entries()),
      wordIndex: Array.from(this.wordIndex.entries()),
    };
  }

  /** JSON text of the configuration and the fitted counts (Keras `to_json`). */
  toJSON(): string {
    return JSON.stringify({ className: 'Tokenizer', config: this.getConfig() });
  }

  /** Rebuilds a tokenizer from `toJSON()` output (Keras `tokenizer_from_json`). */
  static fromJSON(json: string): Tokenizer {
    let parsed: { className?: string; config?: TokenizerConfig };
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw new Error(`Tokenizer.fromJSON: expected JSON text from Tokenizer.toJSON(), could not parse it: ${(e as Error).message}`);
    }
    if (parsed.className !== 'Tokenizer' || typeof parsed.config !== 'object' || parsed.config === null) {
      throw new Error(`Tokenizer.fromJSON: expected {"className":"Tokenizer","config":{...}}, received className ${JSON.stringify(parsed.className)}`);
    }
    const c = parsed.config;
    const tok = new Tokenizer({
      numWords: c.numWords,
      filters: c.filters,
      lower: c.lower,
      split: c.split,
      charLevel: c.charLevel,
      oovToken: c.oovToken,
    });
    tok.documentCount = c.documentCount;
    tok.wordCounts = new Map(c.wordCounts);
    tok.wordDocs = new Map(c.wordDocs);
    tok.wordIndex = new Map(c.wordIndex);
    tok.indexWord = new Map(c.wordIndex.map(([w, i]) => [i, w] as [number, string]));
    return tok;
  }
}

/** A Tokenizer as JSON: its options and the word counts and indices it learned. */
export interface TokenizerConfig {
  numWords: number | null;
  filters: string;
  lower: boolean;
  split: string;
  charLevel: boolean;
  oovToken: string | null;
  documentCount: number;
  wordCounts: [string, number][];
  wordDocs: [string, number][];
  wordIndex: [string, number][];
}
