import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { charVocabulary, reshapeData, createBatchGenerator, charWindows, textCorpus, HAMLET_START } from '@seqlab/datasets';

describe('character vocabulary and seed 001 batching', () => {
  test('charVocabulary sorts characters; encode/decode round trip', () => {
    const v = charVocabulary('hello');
    expect(v.chars).toEqual(['e', 'h', 'l', 'o']);
    expect(Array.from(v.encode('hole'))).toEqual([1, 3, 2, 0]);
    expect(v.decode([1, 0, 2, 2, 3])).toBe('hello');
    expect(() => v.encode('hex')).toThrow(/CharVocabulary.encode: character "x" at position 2 is not in the vocabulary of 4 characters/);
    expect(() => v.decode([4])).toThrow(/id 4 at position 0 is outside \[0, 4\)/);
  });

  test('reshapeData and createBatchGenerator on a hand example', () => {
    const seq = Array.from({ length: 20 }, (_, i) => i); // 0..19
    const { x, y } = reshapeData(seq, 2, 3);
    // 20 // 6 = 3 batches, 3*6 + 1 = 19 <= 20 keeps 3: 18 ids in 2 rows of 9
    expect(x.toArray()).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 16, 17]]);
    expect(y.toArray()).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11, 12, 13, 14, 15, 16, 17, 18]]);
    const windows = Array.from(createBatchGenerator(x, y, 3));
    expect(windows.length).toBe(3);
    expect(windows[1].x.toArray()).toEqual([[3, 4, 5], [12, 13, 14]]);
    expect(windows[1].y.toArray()).toEqual([[4, 5, 6], [13, 14, 15]]);
    // with exactly 18 ids the last target would be missing, so one batch fewer
    expect(reshapeData(seq.slice(0, 18), 2, 3).x.shape).toEqual([2, 6]);
    expect(() => reshapeData([1, 2, 3], 2, 3)).toThrow(/reshapeData: a sequence of 3 ids is too short/);
  });

  test('Hamlet: header skipped at 15858, vocabulary and first windows match the text', async () => {
    const text = await textCorpus('hamlet');
    const full = await textCorpus('hamlet', { skipHeader: false });
    expect(HAMLET_START).toBe(15858);
    expect(full.slice(15858)).toBe(text);
    expect(text.startsWith('The Tragedie of Hamlet\n\nActus Primus. Scoena Prima.\n\nEnter Barnardo and Francisco two Centinels.')).toBe(true);
    expect(full.startsWith("***The Project Gutenberg's Etext of Shakespeare's First Folio***")).toBe(true);

    const v = charVocabulary(text);
    // Hand check: the set of characters of the play
    // Hand check: the First Folio spelling has no J, U or X (it writes I and V), and no '"'.
    expect(v.chars.join('')).toBe("\n !&'(),-.1:;?ABCDEFGHIKLMNOPQRSTVWYZ[]abcdefghijklmnopqrstuvwxyz");
    expect(v.size).toBe(65);
    expect(v.charToId.get('a')).toBe(39);

    const ids = v.encode(text);
    expect(v.decode(ids)).toBe(text);
    // seed 001: batch_size 64, num_steps 100
    const { x, y } = reshapeData(ids, 64, 100);
    const n = text.length; // 162849
    expect(n).toBe(162849);
    const numBatches = Math.floor(n / 6400); // 25; 25*6400 + 1 <= n
    expect(x.shape).toEqual([64, numBatches * 100]);
    const total = x.shape[1];
    const windows = charWindows(x, y, 100);
    expect(windows.length).toBe(numBatches);
    const row = (t: { data: Float32Array | Float64Array }, r: number): string => v.decode(t.data.subarray(r * 100, (r + 1) * 100));
    expect(row(windows[0].x, 0)).toBe(text.slice(0, 100));
    expect(row(windows[0].x, 0).startsWith('The Tragedie of Hamlet')).toBe(true);
    expect(row(windows[0].y, 0)).toBe(text.slice(1, 101));
    expect(row(windows[1].x, 0)).toBe(text.slice(100, 200));
    expect(row(windows[0].x, 1)).toBe(text.slice(total, total + 100));
    expect(row(windows[numBatches - 1].y, 63)).toBe(text.slice(64 * total - 99, 64 * total + 1));
  });

  test('tinyshakespeare and local files', async () => {
    const ts = await textCorpus('tinyshakespeare');
    expect(ts.length).toBe(1115394);
    expect(ts.startsWith('First Citizen:\nBefore we proceed any further, hear me speak.')).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-text-'));
    const f = path.join(dir, 'a.txt');
    fs.writeFileSync(f, 'héllo');
    expect(await textCorpus(f)).toBe('héllo');
    fs.writeFileSync(f, Buffer.from([0x68, 0xff, 0x68]));
    await expect(textCorpus(f)).rejects.toThrow(/textCorpus: .*a.txt is not valid UTF-8 text/);
    await expect(textCorpus(path.join(dir, 'missing.txt'))).rejects.toThrow(/textCorpus: expected 'hamlet', 'tinyshakespeare' or the path of a text file/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
