/** IMDb from ../shared/data: the whole corpus, tokenized once per run into a temporary cache. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Tensor } from '@seqlab/tensor';
import { imdb, imdbTokenize, padSequences } from '@seqlab/datasets';

let tmp = '';
const savedEnv = { ...process.env };
let base: imdb.ImdbData;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-imdb-full-'));
  process.env.SEQLAB_CACHE_DIR = tmp;
  process.env.SEQLAB_OFFLINE = '1';
  imdb.clearMemoryCache();
  base = await imdb.loadData();
}, 60000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  process.env = { ...savedEnv };
  imdb.clearMemoryCache();
});

const count = (y: Tensor, v: number): number => Array.from(y.data).filter((x) => x === v).length;

test('25,000 train and 25,000 test reviews, 12,500 of each label in each split', () => {
  const [[xTrain, yTrain], [xTest, yTest]] = base;
  expect(xTrain.length).toBe(25000);
  expect(xTest.length).toBe(25000);
  expect(yTrain.shape).toEqual([25000]);
  expect([count(yTrain, 0), count(yTrain, 1), count(yTest, 0), count(yTest, 1)]).toEqual([12500, 12500, 12500, 12500]);
  // shuffled: labels are mixed in the first hundred
  const first = Array.from(yTrain.data.subarray(0, 100));
  expect(first.includes(0) && first.includes(1)).toBe(true);
});

test('a second load comes from the cache (read, not rebuilt)', async () => {
  imdb.clearMemoryCache();
  const cacheFile = () => fs.readdirSync(path.join(tmp, 'imdb')).filter((f) => f.endsWith('.bin'));
  const before = cacheFile().map((f) => fs.statSync(path.join(tmp, 'imdb', f)).mtimeMs);
  const again = await imdb.loadData();
  expect(cacheFile().map((f) => fs.statSync(path.join(tmp, 'imdb', f)).mtimeMs)).toEqual(before);
  expect(again[0][0][0]).toEqual(base[0][0][0]);
  expect(again[1][0][24999]).toEqual(base[1][0][24999]);
  expect(fs.readdirSync(path.join(tmp, 'imdb')).filter((f) => f.endsWith('.bin')).length).toBe(1);
});

test('numWords 10000, skipTop 20: no id >= 10000; every id below 20 (start mark included) is oovChar', async () => {
  const [[xTrain], [xTest]] = await imdb.loadData({ numWords: 10000, skipTop: 20 });
  let oov = 0;
  for (const xs of [xTrain, xTest]) {
    for (const x of xs) {
      expect(x[0]).toBe(2); // start mark 1 < skipTop
      for (const w of x) {
        if (w >= 10000 || (w < 20 && w !== 2)) throw new Error(`id ${w} should have become oovChar`);
        if (w === 2) oov++;
      }
    }
  }
  expect(oov).toBeGreaterThan(50000);
  // the same reviews, same lengths as the unrestricted load
  expect(xTrain.map((x) => x.length)).toEqual(base[0][0].map((x) => x.length));
  // seed 002 pads them to 128
  expect(padSequences(xTrain.slice(0, 10), { maxlen: 128 }).shape).toEqual([10, 128]);
});

test('most frequent word has id 1 + indexFrom; maxlen drops longer reviews as Keras does', async () => {
  const wi = await imdb.getWordIndex();
  expect(wi.get('the')).toBe(1);
  expect(wi.get('and')).toBe(2);
  expect(base[0][0].some((x) => x.includes(4))).toBe(true);
  const [[xTrain, yTrain], [xTest]] = await imdb.loadData({ maxlen: 100 });
  const keptTrain = base[0][0].filter((x) => x.length < 100);
  expect(xTrain.length).toBe(keptTrain.length);
  expect(xTrain).toEqual(keptTrain);
  expect(yTrain.shape).toEqual([keptTrain.length]);
  expect(xTest.length).toBe(base[1][0].filter((x) => x.length < 100).length);
  expect(xTrain.every((x) => x.length < 100)).toBe(true);
});

test('decoding with the word index gives back the review words', async () => {
  const wi = await imdb.getWordIndex();
  const [[texts, labels], [testTexts]] = await imdb.loadTexts();
  expect(texts.length).toBe(25000);
  expect(Array.from(labels.data)).toEqual(Array.from(base[0][1].data));
  for (const i of [0, 1, 2, 777, 24999]) {
    expect(imdb.decodeReview(base[0][0][i], wi)).toEqual(['?', ...imdbTokenize(texts[i])]);
    expect(imdb.decodeReview(base[1][0][i], wi)).toEqual(['?', ...imdbTokenize(testTexts[i])]);
  }
}, 30000);
