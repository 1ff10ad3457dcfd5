import { Dataset, TextVectorization, ngramsOf } from '@seqlab/datasets';

// counts a 1, b 3, c 4, d 1; documents holding each: a 1, b 2, c 2, d 1; 3 documents
const DOCS = ['a b b', 'b c', 'c c c d'];
const ln = Math.log;
// Keras: idf = ln(1 + N / (1 + df)); the out-of-vocabulary slot gets the mean idf of the vocabulary
const IDF = { c: ln(1 + 3 / 3), b: ln(1 + 3 / 3), d: ln(1 + 3 / 2), a: ln(1 + 3 / 2) };
const MEAN = (IDF.c + IDF.b + IDF.d + IDF.a) / 4;

const rows = (t: { toArray(): unknown }) => t.toArray() as number[][];
const close = (got: number[][], want: number[][]) => {
  expect(got.length).toBe(want.length);
  got.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(want[i][j], 6)));
};

describe('TextVectorization output modes', () => {
  test("bag-of-tokens vocabularies start with '[UNK]' only; multi_hot and count", () => {
    const mh = new TextVectorization({ outputMode: 'multi_hot', standardize: null }).adapt(DOCS);
    expect(mh.getVocabulary()).toEqual(['[UNK]', 'c', 'b', 'd', 'a']); // count, then token descending
    expect(rows(mh.call(['c c z b', '']))).toEqual([[1, 1, 1, 0, 0], [0, 0, 0, 0, 0]]);
    expect(mh.computeOutputShape(2)).toEqual([2, 5]);
    const count = new TextVectorization({ outputMode: 'count', standardize: null }).adapt(DOCS);
    expect(rows(count.call(['c c z b z']))).toEqual([[2, 2, 1, 0, 0]]);
    const binary = new TextVectorization({ outputMode: 'binary', standardize: null }).adapt(DOCS); // Keras's older name
    expect(binary.outputMode).toBe('multi_hot');
  });

  test("tf_idf matches Keras's formula worked by hand; padToMaxTokens pads with zeros; maxTokens keeps the most frequent", () => {
    const tv = new TextVectorization({ outputMode: 'tf_idf', standardize: null }).adapt(DOCS);
    close([tv.getIdfWeights()], [[MEAN, IDF.c, IDF.b, IDF.d, IDF.a]]);
    close(rows(tv.call(['c c z b'])), [[MEAN, 2 * IDF.c, IDF.b, 0, 0]]);
    const padded = new TextVectorization({ outputMode: 'tf_idf', standardize: null, maxTokens: 7, padToMaxTokens: true }).adapt(DOCS);
    close(rows(padded.call(['a'])), [[0, 0, 0, 0, IDF.a, 0, 0]]);
    expect(padded.computeOutputShape(null)).toEqual([null, 7]);
    const small = new TextVectorization({ outputMode: 'tf_idf', standardize: null, maxTokens: 3 }).adapt(DOCS);
    expect(small.getVocabulary()).toEqual(['[UNK]', 'c', 'b']);
    close([small.getIdfWeights()], [[(IDF.c + IDF.b) / 2, IDF.c, IDF.b]]);
    close(rows(small.call(['a d c'])), [[2 * ((IDF.c + IDF.b) / 2), IDF.c, 0]]);
  });

  test('a given vocabulary with idf weights; the out-of-vocabulary weight is their mean; config round trip', () => {
    const tv = new TextVectorization({ outputMode: 'tf_idf', vocabulary: ['x', 'y'], idfWeights: [1, 3] });
    expect(tv.getVocabulary()).toEqual(['[UNK]', 'x', 'y']);
    expect(tv.getIdfWeights()).toEqual([2, 1, 3]);
    expect(rows(tv.call(['y y q']))).toEqual([[2, 0, 6]]);
    const adapted = new TextVectorization({ outputMode: 'tf_idf', standardize: null, ngrams: 2 }).adapt(DOCS);
    const copy = TextVectorization.fromConfig(JSON.parse(JSON.stringify(adapted.getConfig())));
    expect(copy.getVocabulary()).toEqual(adapted.getVocabulary());
    expect(copy.getIdfWeights()).toEqual(adapted.getIdfWeights());
    expect(rows(copy.call(DOCS))).toEqual(rows(adapted.call(DOCS)));
    expect(() => new TextVectorization({ outputMode: 'tf_idf', vocabulary: ['x'] })).toThrow(/needs idfWeights too/);
    expect(() => new TextVectorization({ outputMode: 'count', idfWeights: [1] })).toThrow(/idfWeights applies to outputMode 'tf_idf' only/);
    expect(() => new TextVectorization({ vocabulary: ['x', 'x'] })).toThrow(/appears twice/);
    expect(() => new TextVectorization({ outputMode: 'count', vocabulary: ['x', ''] })).toThrow(/is reserved/);
    expect(() => new TextVectorization({ vocabulary: ['x'] }).adapt(['x'])).toThrow(/fixed vocabulary/);
  });

  test('ngrams: every width in turn per text (tf.strings.ngrams), joined by a space', () => {
    expect(ngramsOf(['a', 'b', 'c'], [1, 2])).toEqual(['a', 'b', 'c', 'a b', 'b c']);
    expect(ngramsOf(['a', 'b'], [3])).toEqual([]);
    const tv = new TextVectorization({ ngrams: 2 });
    expect(tv.tokenize('The cat sat')).toEqual(['the', 'cat', 'sat', 'the cat', 'cat sat']);
    tv.adapt(['the cat sat', 'the cat']);
    expect(tv.getVocabulary()).toEqual(['', '[UNK]', 'the cat', 'the', 'cat', 'sat', 'cat sat']);
    expect(rows(tv.call(['the cat']))).toEqual([[3, 4, 2]]);
    expect(new TextVectorization({ ngrams: [2] }).tokenize('a b c')).toEqual(['a b', 'b c']);
    expect(() => new TextVectorization({ ngrams: 0 })).toThrow(/ngrams must be null, a positive integer/);
  });

  test('adapt streams a dataset of text batches (a promise then) and gives the array vocabulary; steps limits it', async () => {
    const labels = [0, 1, 0];
    const ds = Dataset.fromTensorSlices([DOCS, labels]).batch(2);
    const fromArray = new TextVectorization({ outputMode: 'tf_idf', standardize: null }).adapt(DOCS);
    const fromStream = await new TextVectorization({ outputMode: 'tf_idf', standardize: null }).adapt(ds.map(([x]) => x as string[]));
    expect(fromStream.getVocabulary()).toEqual(fromArray.getVocabulary());
    expect(fromStream.getIdfWeights()).toEqual(fromArray.getIdfWeights());
    const firstBatch = await new TextVectorization({ standardize: null }).adapt(ds.map(([x]) => x as string[]), { steps: 1 });
    expect(firstBatch.getVocabulary()).toEqual(['', '[UNK]', 'b', 'c', 'a']);
    await expect(new TextVectorization().adapt(ds as AsyncIterable<never>)).rejects.toThrow(/map a dataset of \[text, label\] to its texts first/);
  });

  test("Keras's refusals", () => {
    expect(() => new TextVectorization({ outputMode: 'count', outputSequenceLength: 4 })).toThrow(/outputSequenceLength applies to outputMode 'int' only/);
    expect(() => new TextVectorization({ outputMode: 'count', padToMaxTokens: true })).toThrow(/padToMaxTokens needs maxTokens/);
    expect(() => new TextVectorization({ outputMode: 'count', maxTokens: 1 })).toThrow(/maxTokens must be an integer >= 2/);
    expect(() => new TextVectorization({ outputMode: 'multi_hot' }).call(['a'])).toThrow(/needs a vocabulary before it is called/);
  });
});
