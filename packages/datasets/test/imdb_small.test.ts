/** IMDb loader on small hand-made corpora: Keras semantics of every option, layouts, cache, corrupt input. */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { pack } from 'tar-stream';
import { useTempDataEnv } from '../../../tests/support';
import { imdb, imdbTokenize } from '@seqlab/datasets';

const tempDir = useTempDataEnv('seqlab-imdb-', () => imdb.clearMemoryCache());

// word counts over all reviews: the 5, movie 3, good 2, bad 2, ok 1, it's 1, awful 1, fine 1, great 1
const REVIEWS: Record<string, string | Buffer> = {
  'train/pos/0_9.txt': 'The movie: good!<br /><br />The "good" movie.',
  'train/pos/1_8.txt': "It's GREAT, the end",
  'train/neg/0_1.txt': 'Bad, bad movie the',
  'test/pos/0_7.txt': 'the fine',
  'test/neg/0_2.txt': 'the awful ok',
};

function writeDir(root: string, reviews: Record<string, string | Buffer> = REVIEWS): string {
  for (const [rel, text] of Object.entries(reviews)) {
    const p = path.join(root, 'aclImdb', rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  fs.mkdirSync(path.join(root, 'aclImdb', 'train', 'unsup'), { recursive: true });
  fs.writeFileSync(path.join(root, 'aclImdb', 'train', 'unsup', '0_0.txt'), 'unlabeled words words');
  fs.writeFileSync(path.join(root, 'aclImdb', 'README'), 'not a review');
  return root;
}

async function writeTarGz(file: string, reviews: Record<string, string | Buffer> = REVIEWS): Promise<string> {
  const p = pack();
  p.entry({ name: 'aclImdb/', type: 'directory' });
  for (const [rel, text] of Object.entries(reviews)) p.entry({ name: `aclImdb/${rel}` }, Buffer.from(text));
  p.entry({ name: 'aclImdb/train/unsup/0_0.txt' }, 'unlabeled words words');
  p.entry({ name: 'aclImdb/imdb.vocab' }, 'the\nmovie\n');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  fs.writeFileSync(file, zlib.gzipSync(Buffer.concat(chunks)));
  return file;
}

test('tokenization: lowercase, <br /> removed, letters/digits with inner apostrophes', () => {
  expect(imdbTokenize("It's a 10/10 <br />film—'Great'! Don’t miss.<br/>Café")).toEqual(["it's", 'a', '10', '10', 'film', 'great', "don't", 'miss', 'café']);
});

test('word index by count then word; ids shifted by indexFrom; start mark; Keras option semantics', async () => {
  const dir = writeDir(tempDir());
  const wi = await imdb.getWordIndex({ path: dir, expectedCounts: null });
  expect(Array.from(wi.entries())).toEqual([
    ['the', 1], ['movie', 2], ['bad', 3], ['good', 4], ['awful', 5], ['end', 6], ['fine', 7], ['great', 8], ["it's", 9], ['ok', 10],
  ]);
  // no shuffle effect on content: collect by sorted string
  const [[xTrain, yTrain], [xTest, yTest]] = await imdb.loadData({ path: dir, expectedCounts: null });
  expect(xTrain.length).toBe(3);
  expect(xTest.length).toBe(2);
  const byText = (xs: number[][], ys: Float32Array | Float64Array) => xs.map((x, i) => `${ys[i]}:${x.join(',')}`).sort();
  // the=4 movie=5 bad=6 good=7 awful=8 end=9 fine=10 great=11 it's=12 ok=13
  expect(byText(xTrain, yTrain.data)).toEqual(['0:1,6,6,5,4', '1:1,12,11,4,9', '1:1,4,5,7,4,7,5'].sort());
  expect(byText(xTest, yTest.data)).toEqual(['0:1,4,8,13', '1:1,4,10']);

  // numWords: ids >= numWords become oovChar; skipTop: ids below it (start mark too) become oovChar
  const [[a]] = await imdb.loadData({ path: dir, expectedCounts: null, numWords: 7, skipTop: 5 });
  for (const x of a) for (const w of x) expect(w === 2 || (w >= 5 && w < 7)).toBe(true);
  expect(a.every((x) => x[0] === 2)).toBe(true);
  // oovChar null drops instead; startChar null leaves no start mark; indexFrom 0 keeps ranks
  const [[b]] = await imdb.loadData({ path: dir, expectedCounts: null, numWords: 7, oovChar: null });
  expect(b.flat().every((w) => w < 7)).toBe(true);
  const [[c], [ct]] = await imdb.loadData({ path: dir, expectedCounts: null, startChar: null, indexFrom: 0 });
  expect(ct.map((x) => x.join(',')).sort()).toEqual(['1,5,10', '1,7']);
  expect(c.flat().includes(0)).toBe(false);
  // maxlen drops (not truncates) reviews whose length with the start mark is >= maxlen
  const [[d, dy], [e]] = await imdb.loadData({ path: dir, expectedCounts: null, maxlen: 6 });
  expect(d.map((x) => x.length)).toEqual([5, 5]); // the 7-long review is dropped
  expect(Array.from(dy.data).sort()).toEqual([0, 1]);
  expect(e.map((x) => x.length).sort()).toEqual([3, 4]);
  await expect(imdb.loadData({ path: dir, expectedCounts: null, maxlen: 5 })).rejects.toThrow(/no train review is left; increase maxlen/);
  await expect(imdb.loadData({ path: dir, expectedCounts: null, numWords: 0 })).rejects.toThrow(/imdb.loadData: numWords must be an integer >= 1/);
});

test('same seed, same order; different seed, another order; loadTexts matches loadData order', async () => {
  const reviews: Record<string, string> = {};
  for (let i = 0; i < 30; i++) reviews[`train/${i % 2 ? 'pos' : 'neg'}/${i}_5.txt`] = `w${i} common`;
  reviews['test/pos/0_9.txt'] = 'x';
  const dir = writeDir(tempDir(), reviews);
  const [[x1]] = await imdb.loadData({ path: dir, expectedCounts: null, seed: 1 });
  const [[x2]] = await imdb.loadData({ path: dir, expectedCounts: null, seed: 1 });
  const [[x3]] = await imdb.loadData({ path: dir, expectedCounts: null, seed: 2 });
  expect(x2).toEqual(x1);
  expect(x3).not.toEqual(x1);
  const wi = await imdb.getWordIndex({ path: dir, expectedCounts: null });
  const [[texts, labels]] = await imdb.loadTexts({ path: dir, expectedCounts: null, seed: 1 });
  texts.forEach((t, i) => expect(imdb.decodeReview(x1[i], wi).slice(1)).toEqual(imdbTokenize(t)));
  expect(texts.length).toBe(30);
  texts.forEach((t, i) => expect(labels.data[i]).toBe(Number(t.slice(1, t.indexOf(' '))) % 2));
});

test('a .tar.gz gives the same result as the directory; unsup and other files are ignored', async () => {
  const dir = writeDir(path.join(tempDir(), 'd'));
  const tgz = await writeTarGz(path.join(tempDir(), 'reviews.tar.gz'));
  const fromDir = await imdb.loadData({ path: dir, expectedCounts: null });
  const fromTar = await imdb.loadData({ path: tgz, expectedCounts: null });
  expect(fromTar[0][0]).toEqual(fromDir[0][0]);
  expect(fromTar[1][0]).toEqual(fromDir[1][0]);
  expect(Array.from(fromTar[0][1].data)).toEqual(Array.from(fromDir[0][1].data));
  // the aclImdb folder itself also works
  expect((await imdb.loadData({ path: path.join(dir, 'aclImdb'), expectedCounts: null }))[0][0]).toEqual(fromDir[0][0]);
});

test('cache: written atomically to the cache dir, reused, invalidated when the source changes', async () => {
  const tgz = await writeTarGz(path.join(tempDir(), 'reviews.tar.gz'));
  await imdb.loadData({ path: tgz, expectedCounts: null });
  const cacheFiles = fs.readdirSync(path.join(tempDir(), 'cache', 'imdb'));
  expect(cacheFiles.length).toBe(1);
  expect(cacheFiles[0]).toMatch(/^tokenized-[0-9a-f]{32}\.bin$/);
  imdb.clearMemoryCache();
  const again = await imdb.getWordIndex({ path: tgz, expectedCounts: null });
  expect(again.get('the')).toBe(1);
  // change the source: new content, new size and mtime -> new key, new tokenization
  await writeTarGz(tgz, { ...REVIEWS, 'test/neg/0_2.txt': 'zebra zebra zebra zebra zebra zebra zebra' });
  imdb.clearMemoryCache();
  const changed = await imdb.getWordIndex({ path: tgz, expectedCounts: null });
  expect(changed.get('zebra')).toBe(1);
  expect(fs.readdirSync(path.join(tempDir(), 'cache', 'imdb')).length).toBe(2);
  // a damaged cache file is ignored and rebuilt
  for (const f of fs.readdirSync(path.join(tempDir(), 'cache', 'imdb'))) fs.writeFileSync(path.join(tempDir(), 'cache', 'imdb', f), 'garbage');
  imdb.clearMemoryCache();
  expect((await imdb.getWordIndex({ path: tgz, expectedCounts: null })).get('zebra')).toBe(1);
});

test('corrupt input: truncated .tar.gz, non-UTF-8 review, empty layout: clear errors, no cache written', async () => {
  const tgz = await writeTarGz(path.join(tempDir(), 'reviews.tar.gz'));
  const bytes = fs.readFileSync(tgz);
  const cut = path.join(tempDir(), 'cut.tar.gz');
  fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await expect(imdb.loadData({ path: cut, expectedCounts: null })).rejects.toThrow(/imdb: could not read .*cut.tar.gz: the gzip stream is truncated or corrupt/);
  const cutTar = path.join(tempDir(), 'cut.tar');
  fs.writeFileSync(cutTar, zlib.gunzipSync(bytes).subarray(0, 1700));
  await expect(imdb.loadData({ path: cutTar, expectedCounts: null })).rejects.toThrow(/imdb: could not read .*cut.tar: /);

  const bad = writeDir(path.join(tempDir(), 'bad'), { ...REVIEWS, 'train/pos/7_10.txt': Buffer.from([0x67, 0x6f, 0xff, 0x6f, 0x64]) });
  await expect(imdb.loadData({ path: bad, expectedCounts: null })).rejects.toThrow(/imdb: review aclImdb\/train\/pos\/7_10.txt in .* is not valid UTF-8/);
  const badTar = await writeTarGz(path.join(tempDir(), 'bad.tar.gz'), { 'train/neg/3_3.txt': Buffer.from([0xc3, 0x28]) });
  await expect(imdb.loadTexts({ path: badTar, expectedCounts: null })).rejects.toThrow(/review aclImdb\/train\/neg\/3_3.txt .* not valid UTF-8/);

  fs.mkdirSync(path.join(tempDir(), 'empty'));
  await expect(imdb.loadData({ path: path.join(tempDir(), 'empty'), expectedCounts: null })).rejects.toThrow(/imdb: no reviews in .*empty: expected the aclImdb layout/);
  expect(fs.existsSync(path.join(tempDir(), 'cache', 'imdb')) ? fs.readdirSync(path.join(tempDir(), 'cache', 'imdb')) : []).toEqual([]);
});
