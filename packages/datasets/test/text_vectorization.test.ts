import { TextVectorization, StringVectorizer } from '@seqlab/datasets';

describe('TextVectorization', () => {
  const corpus = ['The cat sat.', "the cat's hat", 'A dog!'];

  test('vocabulary: "" and [UNK] first, then by count, ties by token descending (Keras IndexLookup)', () => {
    const tv = new TextVectorization().adapt(corpus);
    // counts: the 2, cat 1, sat 1, cats 1, hat 1, a 1, dog 1
    expect(tv.getVocabulary()).toEqual(['', '[UNK]', 'the', 'sat', 'hat', 'dog', 'cats', 'cat', 'a']);
    expect(tv.getVocabulary(false)[0]).toBe('the');
    expect(tv.vocabularySize()).toBe(9);
  });

  test('maxTokens counts the two special tokens', () => {
    const tv = new TextVectorization({ maxTokens: 4 }).adapt(corpus);
    expect(tv.getVocabulary()).toEqual(['', '[UNK]', 'the', 'sat']);
    expect(tv.call(['the zebra sat']).toArray()).toEqual([[2, 1, 3]]);
  });

  test('outputSequenceLength pads and truncates at the end', () => {
    const tv = new TextVectorization({ outputSequenceLength: 4 }).adapt(corpus);
    const out = tv.call(['the cat', 'the cat sat on a dog']);
    expect(out.shape).toEqual([2, 4]);
    expect(out.dtype).toBe('float32');
    expect(out.toArray()).toEqual([[2, 7, 0, 0], [2, 7, 3, 1]]);
  });

  test('without outputSequenceLength a batch is padded to its longest text', () => {
    const tv = new TextVectorization().adapt(corpus);
    expect(tv.call(['dog', 'a dog the']).toArray()).toEqual([[5, 0, 0], [8, 5, 2]]);
  });

  test('standardize: null keeps case and punctuation; a function is applied', () => {
    const raw = new TextVectorization({ standardize: null }).adapt(['A a a.']);
    expect(raw.getVocabulary()).toEqual(['', '[UNK]', 'a.', 'a', 'A']); // all count 1: token descending
    const custom = new TextVectorization({
      standardize: (s) => s.toLowerCase().replace(/<br \/>/g, ' ').replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, ''),
    }).adapt(['Good<br />movie!', 'good']);
    expect(custom.getVocabulary()).toEqual(['', '[UNK]', 'good', 'movie']);
  });

  test('split: character', () => {
    const tv = new TextVectorization({ split: 'character', standardize: null }).adapt(['abb']);
    expect(tv.getVocabulary()).toEqual(['', '[UNK]', 'b', 'a']);
  });

  test('usable as a model layer through the call(texts) interface; config round trip', () => {
    const tv: StringVectorizer = new TextVectorization({ outputSequenceLength: 3 }).adapt(corpus);
    expect(tv.call(['a cat']).shape).toEqual([1, 3]);
    const orig = new TextVectorization({ maxTokens: 6, outputSequenceLength: 5 }).adapt(corpus);
    const copy = TextVectorization.fromConfig(JSON.parse(JSON.stringify(orig.getConfig())));
    expect(copy.getVocabulary()).toEqual(orig.getVocabulary());
    expect(copy.call(corpus).toArray()).toEqual(orig.call(corpus).toArray());
  });

  test('clear errors', () => {
    expect(() => new TextVectorization({ outputMode: 'one_hot' as 'int' })).toThrow(/outputMode must be one of int, multi_hot, count, tf_idf/);
    expect(() => new TextVectorization({ maxTokens: 2 })).toThrow(/maxTokens must be an integer >= 3/);
    expect(() => new TextVectorization().adapt(['a', null as unknown as string])).toThrow(/text 1 should be a string/);
    expect(() => new TextVectorization({ standardize: (s) => s }).getConfig()).toThrow(/cannot be serialized/);
  });
});
