import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Dataset, Element, getFile, textDatasetFromDirectory } from '@seqlab/datasets';
import { Tensor } from '@seqlab/tensor';

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-textds-'));
  const put = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    fs.writeFileSync(path.join(tmp, rel), text);
  };
  for (let i = 0; i < 6; i++) put(`neg/${i}_1.txt`, `neg ${i}`);
  for (let i = 0; i < 4; i++) put(`pos/${i}_9.txt`, `pos ${i}`);
  put('pos/deeper/x.TXT', 'pos deep'); // nested folders are walked; the extension is matched in any case
  put('pos/notes.md', 'not a text file');
  put('.hidden/0.txt', 'hidden folder: not a class');
  put('unsup/0_0.txt', 'unlabeled');
  put('readme.txt', 'a file at the top is not in any class');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const lines: string[] = [];
const log = (l: string): void => {
  lines.push(l);
};
beforeEach(() => (lines.length = 0));

async function all(ds: Dataset<Element>): Promise<[string, number][]> {
  const out: [string, number][] = [];
  for await (const [x, y] of ds as AsyncIterable<[string[], Tensor]>) x.forEach((t, i) => out.push([t, y.data[i]]));
  return out;
}

describe('textDatasetFromDirectory', () => {
  test('classes are the subfolders in alphanumeric order; only .txt; Keras messages; batches of [texts, labels]', async () => {
    const ds = await textDatasetFromDirectory(tmp, { batchSize: 4, shuffle: false, log });
    expect(lines).toEqual(['Found 12 files belonging to 3 classes.']);
    expect(ds.classNames).toEqual(['neg', 'pos', 'unsup']);
    expect(ds.cardinality()).toBe(3);
    const items = await all(ds);
    expect(items.slice(0, 7)).toEqual([['neg 0', 0], ['neg 1', 0], ['neg 2', 0], ['neg 3', 0], ['neg 4', 0], ['neg 5', 0], ['pos 0', 1]]);
    expect(items.slice(10)).toEqual([['pos deep', 1], ['unlabeled', 2]]);
  });

  test("classNames picks and orders classes (the seed's aclImdb/train without unsup); label modes", async () => {
    const ds = await textDatasetFromDirectory(tmp, { classNames: ['pos', 'neg'], labelMode: 'binary', batchSize: 32, shuffle: false, log });
    expect(lines[0]).toBe('Found 11 files belonging to 2 classes.');
    const [[x, y]] = (await ds.toArray()) as [string[], Tensor][];
    expect(x.length).toBe(11);
    expect(y.shape).toEqual([11, 1]);
    expect(Array.from(y.data)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]); // pos is class 0 here
    expect(x[0]).toBe('pos 0');
    const cat = await textDatasetFromDirectory(tmp, { classNames: ['neg', 'pos'], labelMode: 'categorical', batchSize: 2, shuffle: false, verbose: false });
    const [[, yc]] = (await cat.take(1).toArray()) as [string[], Tensor][];
    expect(yc.toArray()).toEqual([[1, 0], [1, 0]]);
    const textsOnly = await textDatasetFromDirectory(tmp, { labelMode: null, batchSize: null, shuffle: false, verbose: false, maxLength: 3 });
    expect((await textsOnly.take(2).toArray())).toEqual(['neg', 'neg']);
    await expect(textDatasetFromDirectory(tmp, { labelMode: 'binary', verbose: false })).rejects.toThrow(/labelMode 'binary' needs exactly 2 classes, found 3/);
  });

  test('validation split: the same seed gives disjoint subsets covering every file; "both" gives the two', async () => {
    const opts = { classNames: ['neg', 'pos'], batchSize: 3, validationSplit: 0.3, seed: 5, log };
    const train = await textDatasetFromDirectory(tmp, { ...opts, subset: 'training' });
    const val = await textDatasetFromDirectory(tmp, { ...opts, subset: 'validation' });
    expect(lines).toEqual(['Found 11 files belonging to 2 classes.', 'Using 8 files for training.', 'Found 11 files belonging to 2 classes.', 'Using 3 files for validation.']);
    const t = (await all(train)).map(([s]) => s);
    const v = (await all(val)).map(([s]) => s);
    expect(t.length).toBe(8);
    expect(v.length).toBe(3);
    expect(new Set([...t, ...v]).size).toBe(11);
    expect(train.filePaths!.filter((f) => val.filePaths!.includes(f))).toEqual([]);
    const [bt, bv] = await textDatasetFromDirectory(tmp, { ...opts, subset: 'both', verbose: false });
    expect(bt.filePaths).toEqual(train.filePaths);
    expect(bv.filePaths).toEqual(val.filePaths);
    // a new order each pass (shuffled training), the same files
    const again = (await all(train)).map(([s]) => s);
    expect(again.slice().sort()).toEqual(t.slice().sort());
  });

  test("Keras's refusals", async () => {
    await expect(textDatasetFromDirectory(tmp, { validationSplit: 0.2, subset: 'training' })).rejects.toThrow(/a seed is required/);
    await expect(textDatasetFromDirectory(tmp, { validationSplit: 0.2, seed: 1 })).rejects.toThrow(/subset and validationSplit go together/);
    await expect(textDatasetFromDirectory(tmp, { validationSplit: 1.5, subset: 'training', seed: 1 })).rejects.toThrow(/validationSplit must be between 0 and 1/);
    await expect(textDatasetFromDirectory(tmp, { classNames: ['neg', 'nope'] })).rejects.toThrow(/classNames \["nope"\] are not subfolders/);
    await expect(textDatasetFromDirectory(path.join(tmp, 'none'))).rejects.toThrow(/is not a directory/);
    await expect(textDatasetFromDirectory(path.join(tmp, 'neg'), { verbose: false })).rejects.toThrow(/no text files found/);
    await expect(textDatasetFromDirectory(tmp, { labelMode: 'sparse' as never })).rejects.toThrow(/labelMode must be/);
  });
});

describe('the IMDb reviews, as seed 003 reads them', () => {
  // getFile extracts the shared archive once into seqlab's cache (about 5 s the first time)
  let train = '';
  beforeAll(async () => {
    const dir = await getFile('aclImdb_v1.tar.gz', 'https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz', { untar: true, log: null });
    train = path.join(dir, 'aclImdb', 'train');
  }, 120000);

  test('Found 25000 files belonging to 2 classes; 20000 for training and 5000 for validation, disjoint', async () => {
    const opts = { batchSize: 128, validationSplit: 0.2, seed: 123, classNames: ['neg', 'pos'], log };
    const trainDs = await textDatasetFromDirectory(train, { ...opts, subset: 'training' });
    const valDs = await textDatasetFromDirectory(train, { ...opts, subset: 'validation' });
    expect(lines).toEqual(['Found 25000 files belonging to 2 classes.', 'Using 20000 files for training.', 'Found 25000 files belonging to 2 classes.', 'Using 5000 files for validation.']);
    expect(trainDs.cardinality()).toBe(157);
    expect(valDs.cardinality()).toBe(40);
    const inVal = new Set(valDs.filePaths);
    expect(trainDs.filePaths!.some((f) => inVal.has(f))).toBe(false);
    expect(new Set([...trainDs.filePaths!, ...valDs.filePaths!]).size).toBe(25000);
    // both classes in both subsets, near half each (the split is a seeded permutation)
    const pos = (files: string[]) => files.filter((f) => f.includes(`${path.sep}pos${path.sep}`)).length;
    expect(Math.abs(pos(valDs.filePaths!) - 2500)).toBeLessThan(200);
    const [[texts, labels]] = (await trainDs.take(1).toArray()) as [string[], Tensor][];
    expect(texts.length).toBe(128);
    expect(labels.shape).toEqual([128]);
    expect(Array.from(labels.data).every((v) => v === 0 || v === 1)).toBe(true);
    expect(texts.every((t) => t.length > 0)).toBe(true);
  });

  test('a full pass yields 20000 and 5000 reviews, 12500 of each class in all; another seed gives another disjoint split', async () => {
    const opts = { batchSize: 256, validationSplit: 0.2, classNames: ['neg', 'pos'], verbose: false };
    const count = async (ds: Dataset<Element>): Promise<[number, number]> => {
      let n = 0;
      let pos = 0;
      for await (const [x, y] of ds as AsyncIterable<[string[], Tensor]>) {
        n += x.length;
        for (const v of y.data) pos += v;
      }
      return [n, pos];
    };
    const [trainN, trainPos] = await count(await textDatasetFromDirectory(train, { ...opts, subset: 'training', seed: 123 }));
    const [valN, valPos] = await count(await textDatasetFromDirectory(train, { ...opts, subset: 'validation', seed: 123 }));
    expect([trainN, valN]).toEqual([20000, 5000]);
    expect(trainPos + valPos).toBe(12500);
    const [t7, v7] = await textDatasetFromDirectory(train, { ...opts, subset: 'both', seed: 7 });
    const val7 = new Set(v7.filePaths);
    expect([t7.filePaths!.length, val7.size]).toEqual([20000, 5000]);
    expect(t7.filePaths!.some((f) => val7.has(f))).toBe(false);
    const val123 = new Set((await textDatasetFromDirectory(train, { ...opts, subset: 'validation', seed: 123 })).filePaths);
    expect([...val7].filter((f) => val123.has(f)).length).toBeLessThan(1500); // a different draw (about 1000 shared by chance)
  }, 60000);
});
