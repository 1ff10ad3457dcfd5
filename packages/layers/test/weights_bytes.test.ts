/**
 * Weights as bytes (what a page uses: no files) and the SHA-256 they are checked with, held to
 * Node's crypto; the platform-neutral entry refuses file paths with an error that says what to do.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { Dense, LSTM, Sequential, setSeed, sha256 } from '@seqlab/layers';

function model(seed: number): Sequential {
  setSeed(seed);
  return new Sequential([new LSTM({ units: 4, inputShape: [3, 2] }), new Dense({ units: 1 })]);
}

const values = (m: Sequential): number[][] => m.getWeights().map((w) => Array.from(w.data));

test('sha256 equals Node crypto on any bytes (block boundaries included)', () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000]) {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255);
    expect(Buffer.from(sha256(b)).toString('hex')).toBe(createHash('sha256').update(b).digest('hex'));
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => Buffer.from(sha256(b)).toString('hex') === createHash('sha256').update(b).digest('hex')),
    { seed: 14, numRuns: 200 },
  );
});

test('saveWeights() resolves to the bytes of the file saveWeights(path) writes; loadWeights(bytes) restores them', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-bytes-'));
  try {
    const m = model(1);
    const bytes = await m.saveWeights();
    expect(bytes).toBeInstanceOf(Uint8Array);
    const file = path.join(dir, 'w.slw');
    await m.saveWeights(file);
    expect(Buffer.compare(Buffer.from(bytes), fs.readFileSync(file))).toBe(0);
    const other = model(2);
    expect(values(other)).not.toEqual(values(m));
    await other.loadWeights(bytes);
    expect(values(other)).toEqual(values(m));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('corrupted bytes are refused and the model keeps its weights', async () => {
  const bytes = await model(1).saveWeights();
  const other = model(2);
  const before = values(other);
  const bad = bytes.slice();
  bad[bad.length - 1] ^= 1;
  await expect(other.loadWeights(bad)).rejects.toThrow('loadWeights: the given bytes is not a valid seqlab-weights file: the data checksum does not match');
  await expect(other.loadWeights(bytes.subarray(0, 20))).rejects.toThrow('fewer than the 44-byte header');
  await expect(other.loadWeights(42 as never)).rejects.toThrow('loadWeights: expected a file path or the bytes of a weights file (Uint8Array), received 42');
  expect(values(other)).toEqual(before);
});

test('without a file system (the platform-neutral entry alone), a path is refused with what to use instead', async () => {
  const { setFileAccess } = await import('@seqlab/layers');
  const fsNode = await import('../src/node');
  setFileAccess(null);
  try {
    await expect(model(1).saveWeights('/tmp/x.slw')).rejects.toThrow(
      "saveWeights: file paths need Node's file system, which this platform does not have; call saveWeights() with no path for the bytes, and loadWeights(bytes) to load them",
    );
  } finally {
    setFileAccess(fsNode.nodeFileAccess);
  }
});
