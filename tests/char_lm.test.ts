/**
 * The demo page's character model (examples/src/lib/char_lm.ts): windows with their next
 * characters as targets, and a model that, trained on a repeating text, continues it.
 */
import { setSeed } from '@seqlab/layers';
import { Rng } from '@seqlab/tensor';
import { charLmData, charLmModel, continueText } from '../examples/src/lib/char_lm';

describe('charLmData', () => {
  test('non-overlapping windows, one-hot inputs, each target the next character', () => {
    const { vocab, x, y } = charLmData('abcdefg', 3); // two windows: abc -> bcd, def -> efg
    expect(vocab.chars).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(x.shape).toEqual([2, 3, 7]);
    expect(Array.from(y.data)).toEqual([1, 2, 3, 4, 5, 6]);
    const hot = (r: number) => Array.from(x.data.subarray(r * 7, r * 7 + 7)).indexOf(1);
    expect([0, 1, 2, 3, 4, 5].map(hot)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('charLmModel and continueText', () => {
  test('trained on a repeating text, it continues the pattern', async () => {
    const text = 'to be or not '.repeat(40);
    const steps = 10; // not the period: the windows start at every phase of the text
    const { vocab, ids, x, y } = charLmData(text, steps);
    setSeed(3);
    const model = charLmModel(vocab.size, steps, 32, 0.02);
    await model.fit(x, y, { epochs: 30, batchSize: 8, verbose: 0 });
    // primed with 'to be or n'
    const out = continueText(model, vocab, ids.subarray(0, steps), steps, 26, 0.2, new Rng(1));
    expect(out).toBe('ot to be or not to be or n');
  });
});
