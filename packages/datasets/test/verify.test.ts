/**
 * Datasets verify what they load: IMDb split sizes and class counts, a checksummed cache that a
 * flipped byte sends back to the source, nothing cached from a failed load; MNIST images and labels
 * from one folder, uncompressed files held to the published checksums.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { pack } from 'tar-stream';
import { useTempDataEnv } from '../../../tests/support';
import { imdb, mnist } from '@seqlab/datasets';

const tempDir = useTempDataEnv('seqlab-verify-', () => imdb.clearMemoryCache());

/** Three reviews of each label in each split. */
const COUNTS: imdb.ImdbCounts = { train: { neg: 3, pos: 3 }, test: { neg: 3, pos: 3 } };
const REVIEWS: [string, string][] = [];
for (const split of ['train', 'test']) {
  for (const label of ['neg', 'pos']) {
    for (let i = 0; i < 3; i++) REVIEWS.push([`${split}/${label}/${i}_${label === 'pos' ? 9 : 2}.txt`, `${label} review ${i} of ${split} ${'word '.repeat(i)}`]);
  }
}

function writeDir(root: string, reviews = REVIEWS): string {
  for (const [rel, text] of reviews) {
    const p = path.join(root, 'aclImdb', rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  return root;
}

/** A valid .tar.gz of `reviews` (a tar cut at an entry boundary then gzipped whole is just this with fewer entries). */
async function writeTarGz(file: string, reviews = REVIEWS): Promise<string> {
  const p = pack();
  for (const [rel, text] of reviews) p.entry({ name: `aclImdb/${rel}` }, Buffer.from(text));
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  fs.writeFileSync(file, zlib.gzipSync(Buffer.concat(chunks)));
  return file;
}

const cacheFiles = (): string[] => {
  const dir = path.join(tempDir(), 'cache', 'imdb');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
};

describe('IMDb split sizes and class counts', () => {
  test('an interrupted extraction (a folder missing reviews) is refused by its counts, nothing cached', async () => {
    // the first 2 of 12 reviews written, as after an interrupted extraction: train neg only
    const dir = writeDir(path.join(tempDir(), 'partial'), REVIEWS.slice(0, 2));
    await expect(imdb.loadData({ path: dir })).rejects.toThrow(
      /imdb: .*partial\/aclImdb holds train 2 neg \+ 0 pos, test 0 neg \+ 0 pos; expected train 12,500 neg \+ 12,500 pos, test 12,500 neg \+ 12,500 pos \(the published aclImdb figures\)\. The source looks incomplete/,
    );
    await expect(imdb.loadTexts({ path: dir })).rejects.toThrow(/holds train 2 neg \+ 0 pos/);
    await expect(imdb.loadReviews({ path: dir })).rejects.toThrow(/holds train 2 neg \+ 0 pos/);
    await expect(imdb.getWordIndex({ path: dir })).rejects.toThrow(/holds train 2 neg \+ 0 pos/);
    expect(cacheFiles()).toEqual([]);
  });

  test('an archive cut at an entry boundary is refused; the complete one loads with its counts', async () => {
    for (const keep of [0, 5, 11]) {
      const tgz = await writeTarGz(path.join(tempDir(), `cut${keep}.tar.gz`), REVIEWS.slice(0, keep));
      await expect(imdb.loadData({ path: tgz, expectedCounts: COUNTS })).rejects.toThrow(keep === 0 ? /imdb: no reviews in/ : /holds train .*; expected train 3 neg \+ 3 pos, test 3 neg \+ 3 pos\. The source looks incomplete/);
    }
    expect(cacheFiles()).toEqual([]);
    const whole = await writeTarGz(path.join(tempDir(), 'whole.tar.gz'));
    const [[x, y], [xt, yt]] = await imdb.loadData({ path: whole, expectedCounts: COUNTS });
    expect([x.length, xt.length]).toEqual([6, 6]);
    expect([Array.from(y.data).filter((v) => v === 1).length, Array.from(yt.data).filter((v) => v === 1).length]).toEqual([3, 3]);
    expect(cacheFiles().length).toBe(1);
    // a corpus cached under other expectations is held to the counts asked for now
    await expect(imdb.loadData({ path: whole })).rejects.toThrow(/the published aclImdb figures/);
    imdb.clearMemoryCache();
    await expect(imdb.loadData({ path: whole })).rejects.toThrow(/the published aclImdb figures/);
  });

  test('every byte of the cache is checked: a flipped byte anywhere sends the loader back to the source', async () => {
    const tgz = await writeTarGz(path.join(tempDir(), 'r.tar.gz'));
    const opts = { path: tgz, expectedCounts: COUNTS };
    const good = await imdb.loadData(opts);
    const goodIndex = Array.from((await imdb.getWordIndex(opts)).entries());
    const [name] = cacheFiles();
    const file = path.join(tempDir(), 'cache', 'imdb', name);
    const bytes = fs.readFileSync(file);
    // magic, checksum, header, the label bytes, offsets and ids (the last bytes)
    const positions = [3, 20, 60, bytes.length - 200, bytes.length - 40, bytes.length - 1];
    for (const at of positions) {
      const bad = Buffer.from(bytes);
      bad[at] ^= 0x40;
      fs.writeFileSync(file, bad);
      imdb.clearMemoryCache();
      const again = await imdb.loadData(opts);
      expect(again[0][0]).toEqual(good[0][0]);
      expect(Array.from(again[0][1].data)).toEqual(Array.from(good[0][1].data));
      expect(again[1][0]).toEqual(good[1][0]);
      expect(Array.from((await imdb.getWordIndex(opts)).entries())).toEqual(goodIndex);
      // rebuilt: the file on disk is the good one again
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    }
  });
});

describe('MNIST: one source, verified content', () => {
  const shared = path.resolve(__dirname, '../../../../shared/data/mnist');

  test('labels missing beside the images are not taken from another data folder', async () => {
    const dir = path.join(tempDir(), 'data');
    fs.mkdirSync(path.join(dir, 'mnist'), { recursive: true });
    fs.copyFileSync(path.join(shared, 't10k-images-idx3-ubyte.gz'), path.join(dir, 'mnist', 't10k-images-idx3-ubyte.gz'));
    process.env.SEQLAB_DATA_DIR = dir; // searched before ../shared/data, which has the labels
    await expect(mnist.loadTest()).rejects.toThrow(/mnist t10k-labels-idx1-ubyte: not found beside the images in .*data\/mnist/);
    await expect(mnist.loadTest({ path: dir })).rejects.toThrow(/mnist t10k-labels-idx1-ubyte: not found beside the images in/);
  });

  test('uncompressed files load when intact; a flipped pixel or label is refused, gzipped or not', async () => {
    const dir = path.join(tempDir(), 'raw');
    fs.mkdirSync(dir);
    const images = zlib.gunzipSync(fs.readFileSync(path.join(shared, 't10k-images-idx3-ubyte.gz')));
    const labels = zlib.gunzipSync(fs.readFileSync(path.join(shared, 't10k-labels-idx1-ubyte.gz')));
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), images);
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), labels);
    const raw = await mnist.loadTest({ path: dir });
    const gz = await mnist.loadTest();
    expect(Buffer.from(raw.images.data.buffer).equals(Buffer.from(gz.images.data.buffer))).toBe(true);
    expect(Array.from(raw.labels.data)).toEqual(Array.from(gz.labels.data));

    const flipped = Buffer.from(images);
    flipped[16 + 28 * 14 + 14] ^= 1;
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), flipped);
    await expect(mnist.loadTest({ path: dir })).rejects.toThrow(
      /mnist: .*t10k-images-idx3-ubyte is not the published t10k-images-idx3-ubyte: the sha256 of its uncompressed content is [0-9a-f]{64}, expected 0fa7898d/,
    );
    expect((await mnist.loadTest({ path: dir, verify: false })).images.data[28 * 14 + 14]).toBe(flipped[16 + 28 * 14 + 14]);
    fs.rmSync(path.join(dir, 't10k-images-idx3-ubyte'));
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), zlib.gzipSync(images));
    const badLabels = Buffer.from(labels);
    badLabels[8 + 100] = (badLabels[8 + 100] + 1) % 10;
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), zlib.gzipSync(badLabels));
    fs.rmSync(path.join(dir, 't10k-labels-idx1-ubyte'));
    await expect(mnist.loadTest({ path: dir })).rejects.toThrow(/t10k-labels-idx1-ubyte.gz is not the published t10k-labels-idx1-ubyte/);
  });

  test('a file of another size is refused by its dimensions', async () => {
    const dir = path.join(tempDir(), 'small');
    fs.mkdirSync(dir);
    const images = zlib.gunzipSync(fs.readFileSync(path.join(shared, 't10k-images-idx3-ubyte.gz')));
    const labels = zlib.gunzipSync(fs.readFileSync(path.join(shared, 't10k-labels-idx1-ubyte.gz')));
    const head = Buffer.from(images.subarray(0, 16 + 784 * 5));
    head.writeUInt32BE(5, 4);
    const lhead = Buffer.from(labels.subarray(0, 8 + 5));
    lhead.writeUInt32BE(5, 4);
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), head);
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), lhead);
    await expect(mnist.loadTest({ path: dir })).rejects.toThrow(/has dimensions \[5, 28, 28\], expected \[10000, 28, 28\] for mnist t10k-images-idx3-ubyte; pass verify: false/);
    expect((await mnist.loadTest({ path: dir, verify: false })).images.shape).toEqual([5, 28, 28]);
  });
});
