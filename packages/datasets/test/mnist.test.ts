import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { mnist, parseIdx } from '@seqlab/datasets';

let tmp = '';
const savedEnv = { ...process.env };
let test10k: mnist.MnistSplit;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-mnist-'));
  process.env.SEQLAB_CACHE_DIR = path.join(tmp, 'cache');
  process.env.SEQLAB_OFFLINE = '1';
  test10k = await mnist.loadTest();
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  process.env = { ...savedEnv };
});

test('10,000 images of 28x28, label counts as in the file, pixel range', async () => {
  const { images, labels } = test10k;
  expect(images.shape).toEqual([10000, 28, 28]);
  expect(labels.shape).toEqual([10000]);
  // count labels straight from the file bytes
  const raw = zlib.gunzipSync(fs.readFileSync(path.resolve(__dirname, '../../../../shared/data/mnist/t10k-labels-idx1-ubyte.gz')));
  const fileCounts = new Array(10).fill(0);
  for (let i = 8; i < raw.length; i++) fileCounts[raw[i]]++;
  const counts = new Array(10).fill(0);
  for (const y of labels.data) counts[y]++;
  expect(counts).toEqual(fileCounts);
  expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  let min = Infinity;
  let max = -Infinity;
  for (const v of images.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  expect([min, max]).toEqual([0, 255]);
  const norm = await mnist.loadTest({ normalize: true });
  let nmin = Infinity;
  let nmax = -Infinity;
  for (const v of norm.images.data) {
    nmin = Math.min(nmin, v);
    nmax = Math.max(nmax, v);
  }
  expect([nmin, nmax]).toEqual([0, 1]);
  expect(norm.images.data[7 * 28 + 7 + 28 * 28 * 0]).toBeCloseTo(images.data[7 * 28 + 7] / 255, 6);
});

test('seeded train/validation split of the test file; loadData explains the missing training split', async () => {
  const [[xTrain, yTrain], [xVal, yVal]] = await mnist.loadTrainValidation({ validationSplit: 0.2, seed: 7 });
  expect(xTrain.shape).toEqual([8000, 28, 28]);
  expect(xVal.shape).toEqual([2000, 28, 28]);
  expect(yTrain.shape).toEqual([8000]);
  const again = await mnist.loadTrainValidation({ validationSplit: 0.2, seed: 7 });
  expect(Array.from(again[1][1].data)).toEqual(Array.from(yVal.data));
  // the two parts together hold every label once
  const counts = new Array(10).fill(0);
  for (const y of [...yTrain.data, ...yVal.data]) counts[y]++;
  expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  await expect(mnist.loadData()).rejects.toThrow(/mnist.loadData: the 60,000-image training split is not available[\s\S]*loadTrainValidation/);
});

test('IDX files gzipped or not, from a path; corrupt files give clear errors', async () => {
  const dir = path.join(tmp, 'idx');
  fs.mkdirSync(dir);
  const img = new Uint8Array(16 + 2 * 4);
  Buffer.from(img.buffer).writeUInt32BE(0x803, 0);
  Buffer.from(img.buffer).writeUInt32BE(2, 4);
  Buffer.from(img.buffer).writeUInt32BE(2, 8);
  Buffer.from(img.buffer).writeUInt32BE(2, 12);
  img.set([0, 255, 51, 102, 1, 2, 3, 4], 16);
  const lbl = Buffer.from([0, 0, 8, 1, 0, 0, 0, 2, 3, 9]);
  fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), img);
  fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), zlib.gzipSync(lbl));
  const small = await mnist.loadTest({ path: dir, normalize: true, verify: false });
  expect(small.images.shape).toEqual([2, 2, 2]);
  expect(Array.from(small.images.data.subarray(0, 4))).toEqual([0, 1, 0.2, 0.4].map(Math.fround));
  expect(Array.from(small.labels.data)).toEqual([3, 9]);

  expect(() => parseIdx(lbl, 3, 'labels.idx')).toThrow(/parseIdx: labels.idx has magic number 0x00000801, expected 0x00000803/);
  expect(() => parseIdx(lbl.subarray(0, 9), 1, 'short')).toThrow(/parseIdx: short has 1 bytes of data but its header \[2\] says 2/);
  expect(() => parseIdx(Buffer.concat([lbl, Buffer.from([1])]), 1, 'long')).toThrow(/has 3 bytes of data but its header \[2\] says 2/);
  expect(() => parseIdx(zlib.gzipSync(lbl).subarray(0, 12), 1, 'cut.gz')).toThrow(/parseIdx: cut.gz is a truncated or corrupt gzip file/);
  fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), img.subarray(0, 20));
  await expect(mnist.loadTest({ path: dir })).rejects.toThrow(/t10k-images-idx3-ubyte has 4 bytes of data but its header \[2, 2, 2\] says 8/);
  await expect(mnist.loadTest({ path: path.join(tmp, 'nothing') })).rejects.toThrow(/mnist t10k-images-idx3-ubyte: not found under the path option/);
});
