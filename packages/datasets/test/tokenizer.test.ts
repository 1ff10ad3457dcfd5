import * as fc from 'fast-check';
import { Tokenizer, textToWordSequence } from '@seqlab/datasets';

describe('Tokenizer (keras.preprocessing.text.Tokenizer)', () => {
  const texts = ['The cat sat on the mat.', 'The dog ate my homework!'];

  test('text_to_word_sequence: lowercase, filters become the split, empties dropped', () => {
    expect(textToWordSequence('Hello, World!  Hi\tthere\n')).toEqual(['hello', 'world', 'hi', 'there']);
    expect(textToWordSequence("don't stop", {})).toEqual(["don't", 'stop']);
    expect(textToWordSequence('A-B', { lower: false })).toEqual(['A', 'B']);
    expect(textToWordSequence('a;b;c', { filters: '', split: ';' })).toEqual(['a', 'b', 'c']);
  });

  test('word index by count, ties in first-appearance order, from 1', () => {
    const tok = new Tokenizer().fitOnTexts(texts);
    expect(Array.from(tok.wordIndex.entries())).toEqual([
      ['the', 1], ['cat', 2], ['sat', 3], ['on', 4], ['mat', 5], ['dog', 6], ['ate', 7], ['my', 8], ['homework', 9],
    ]);
    expect(tok.wordCounts.get('the')).toBe(3);
    expect(tok.wordDocs.get('the')).toBe(2);
    expect(tok.documentCount).toBe(2);
    expect(tok.indexWord.get(6)).toBe('dog');
  });

  test('textsToSequences: unknown words dropped, numWords keeps ids below it', () => {
    const tok = new Tokenizer().fitOnTexts(texts);
    expect(tok.textsToSequences(['The cat ate the zebra dog'])).toEqual([[1, 2, 7, 1, 6]]);
    const tok5 = new Tokenizer({ numWords: 5 }).fitOnTexts(texts);
    expect(tok5.wordIndex.size).toBe(9); // the index keeps every word, as in Keras
    expect(tok5.textsToSequences(['The cat ate the zebra dog on'])).toEqual([[1, 2, 1, 4]]);
    expect(tok5.sequencesToTexts([[1, 2, 7, 4]])).toEqual(['the cat on']);
  });

  test('oovToken takes index 1; out-of-range and unknown words map to it', () => {
    const tok = new Tokenizer({ numWords: 5, oovToken: '<OOV>' }).fitOnTexts(texts);
    expect(tok.wordIndex.get('<OOV>')).toBe(1);
    expect(tok.wordIndex.get('the')).toBe(2);
    expect(tok.textsToSequences(['the cat sat on zebra'])).toEqual([[2, 3, 4, 1, 1]]);
    expect(tok.sequencesToTexts([[2, 3, 4, 5, 99]])).toEqual(['the cat sat <OOV> <OOV>']);
  });

  test('charLevel: every character is a token, filters not applied', () => {
    const tok = new Tokenizer({ charLevel: true }).fitOnTexts(['abca!', 'B']);
    expect(Array.from(tok.wordIndex.entries())).toEqual([['a', 1], ['b', 2], ['c', 3], ['!', 4]]);
    expect(tok.textsToSequences(['cab!'])).toEqual([[3, 1, 2, 4]]);
  });

  test('lower: false and a custom split', () => {
    const tok = new Tokenizer({ lower: false, split: '|', filters: '' }).fitOnTexts(['A|b|A', 'a']);
    expect(Array.from(tok.wordIndex.keys())).toEqual(['A', 'b', 'a']);
  });

  test('JSON round trip keeps config and counts', () => {
    const tok = new Tokenizer({ numWords: 7, oovToken: '<unk>' }).fitOnTexts(texts);
    const back = Tokenizer.fromJSON(tok.toJSON());
    expect(back.getConfig()).toEqual(tok.getConfig());
    expect(back.textsToSequences(['the dog ate a bone'])).toEqual(tok.textsToSequences(['the dog ate a bone']));
    expect(back.sequencesToTexts([[2, 3, 9]])).toEqual(tok.sequencesToTexts([[2, 3, 9]]));
  });

  test('clear errors', () => {
    expect(() => new Tokenizer({ numWords: -1 })).toThrow(/Tokenizer: numWords must be a non-negative integer/);
    expect(() => new Tokenizer().fitOnTexts(['a', 3 as unknown as string])).toThrow(/text 1 should be a string, received number/);
    expect(() => Tokenizer.fromJSON('{"className":"Other"}')).toThrow(/Tokenizer.fromJSON: expected \{"className":"Tokenizer"/);
    expect(() => Tokenizer.fromJSON('not json')).toThrow(/could not parse/);
  });

  test('property: with no numWords every fitted word round-trips through the index', () => {
    const word = fc.stringMatching(/^[a-z]{1,5}$/);
    fc.assert(
      fc.property(fc.array(fc.array(word, { maxLength: 6 }).map((ws) => ws.join(' ')), { minLength: 1, maxLength: 6 }), (docs) => {
        const tok = new Tokenizer().fitOnTexts(docs);
        const seqs = tok.textsToSequences(docs);
        expect(tok.sequencesToTexts(seqs)).toEqual(docs.map((d) => d.split(' ').filter((w) => w).join(' ')));
        const counts = Array.from(tok.wordIndex.keys()).map((w) => tok.wordCounts.get(w) as number);
        for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeLessThanOrEqual(counts[i - 1]);
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});
