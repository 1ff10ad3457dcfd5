import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Dense, LSTM, Sequential, removeStaleTemporaries, setSeed, writeFileAtomic } from '@seqlab/layers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-atomic-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function model(seed: number, units = 8): Sequential {
  setSeed(seed);
  return new Sequential([new Dense({ units, activation: 'tanh', inputShape: [3] }), new Dense({ units: 1 })]);
}

const temporaries = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('saveWeights is atomic under concurrency', () => {
  test('20 saves of different models to one path at once: the file is always one complete save, no temporaries left', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'same-'));
    const file = path.join(dir, 'ckpt.slw');
    const models = Array.from({ length: 20 }, (_, i) => model(i + 1));
    await Promise.all(models.map((m) => m.saveWeights(file)));
    expect(temporaries(dir)).toEqual([]);
    const probe = model(99);
    await probe.loadWeights(file); // checksums verified: not torn
    const loaded = probe.getWeights().map((w) => Array.from(w.data));
    expect(models.some((m) => JSON.stringify(m.getWeights().map((w) => Array.from(w.data))) === JSON.stringify(loaded))).toBe(true);
  });

  test('saving onto a directory, into an unwritable folder, an empty path, an unbuilt model: clear errors, nothing left behind', async () => {
    const m = model(1);
    const dir = fs.mkdtempSync(path.join(tmp, 'errs-'));
    await expect(m.saveWeights(dir)).rejects.toThrow(`saveWeights: cannot write ${dir}: it is a directory; give a file path (EISDIR)`);
    const blocker = path.join(dir, 'plain-file');
    fs.writeFileSync(blocker, 'x');
    await expect(m.saveWeights(path.join(blocker, 'w.slw'))).rejects.toThrow(`saveWeights: cannot write ${path.join(blocker, 'w.slw')}:`);
    if (process.getuid?.() !== 0) {
      const locked = path.join(dir, 'locked');
      fs.mkdirSync(locked, 0o500);
      await expect(m.saveWeights(path.join(locked, 'w.slw'))).rejects.toThrow(/saveWeights: cannot write .*w\.slw: permission denied \(EACCES\)/);
      expect(fs.readdirSync(locked)).toEqual([]);
    }
    await expect(m.saveWeights('')).rejects.toThrow('saveWeights: the path must be a non-empty string, received ');
    const unbuilt = new Sequential([new LSTM({ units: 4 }), new Dense({ units: 1 })]);
    await expect(unbuilt.saveWeights(path.join(dir, 'unbuilt.slw'))).rejects.toThrow("saveWeights: Sequential '");
    await expect(unbuilt.saveWeights(path.join(dir, 'unbuilt.slw'))).rejects.toThrow('has no weights yet (it is not built)');
    expect(fs.existsSync(path.join(dir, 'unbuilt.slw'))).toBe(false);
    expect(temporaries(dir)).toEqual([]);
  });

  test("a save removes temporaries left by dead writers of the same file, and nobody else's", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'stale-'));
    const file = path.join(dir, 'w.slw');
    // a pid that does not exist (beyond pid_max on Linux) and this process's own (a save in flight)
    const dead = path.join(dir, '.w.slw.4194305.00ab12cd34ef5678.tmp');
    const mine = path.join(dir, `.w.slw.${process.pid}.00ab12cd34ef5678.tmp`);
    const other = path.join(dir, '.other.slw.4194305.00ab12cd34ef5678.tmp');
    for (const f of [dead, mine, other]) fs.writeFileSync(f, 'partial');
    await model(2).saveWeights(file);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(mine)).toBe(true);
    expect(fs.existsSync(other)).toBe(true);
    expect(await removeStaleTemporaries(path.join(dir, 'other.slw'))).toBe(1);
  });

  test('writeFileAtomic names its caller', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'who-'));
    await expect(writeFileAtomic(dir, new Uint8Array(1), 'save')).rejects.toThrow(`save: cannot write ${dir}: it is a directory`);
  });
});

describe('loadWeights refuses crafted manifests by name', () => {
  /** Re-encodes a weights file with a changed manifest and a matching manifest checksum. */
  function craft(bytes: Buffer, change: (m: Record<string, unknown>) => void): Buffer {
    const mLen = bytes.readUInt32LE(8);
    const manifest = JSON.parse(bytes.subarray(44, 44 + mLen).toString('utf8')) as Record<string, unknown>;
    change(manifest);
    const m = Buffer.from(JSON.stringify(manifest), 'utf8');
    const header = Buffer.alloc(44);
    bytes.copy(header, 0, 0, 8);
    header.writeUInt32LE(m.length, 8);
    createHash('sha256').update(m).digest().copy(header, 12);
    return Buffer.concat([header, m, bytes.subarray(44 + mLen)]);
  }

  test.each([
    ['weights is not a list', (m: Record<string, unknown>) => (m.weights = 7), 'weights is 7, expected a list of entries'],
    ['an entry is null', (m: Record<string, unknown>) => ((m.weights as unknown[])[0] = null), 'entry 0 is null, expected an object'],
    ['a negative dimension', (m: Record<string, unknown>) => (((m.weights as Record<string, unknown>[])[0].shape as number[])[0] = -3), 'has shape [-3,8], expected a list of sizes'],
    ['a fractional offset', (m: Record<string, unknown>) => ((m.weights as Record<string, unknown>[])[1].offset = 1.5), 'has offset 1.5 and byteLength'],
    ['a huge dimension', (m: Record<string, unknown>) => (((m.weights as Record<string, unknown>[])[0].shape as number[])[0] = 1e300), 'has shape [1e+300,8]'],
    ['no byte count', (m: Record<string, unknown>) => (m.dataByteLength = 'all'), `dataByteLength is "all", expected a byte count`],
    ['a range past the data', (m: Record<string, unknown>) => ((m.weights as Record<string, unknown>[])[1].offset = 4096), `entry 1 ('`],
    ['a byte length that is not the shape', (m: Record<string, unknown>) => ((m.weights as Record<string, unknown>[])[0].byteLength = 4), 'has an inconsistent dtype, shape [3,8] or byte range'],
  ])('%s', async (_what, change, message) => {
    const dir = fs.mkdtempSync(path.join(tmp, 'craft-'));
    const good = path.join(dir, 'good.slw');
    const m = model(3);
    await m.saveWeights(good);
    const bad = path.join(dir, 'bad.slw');
    fs.writeFileSync(bad, craft(fs.readFileSync(good), change));
    const target = model(4);
    const before = target.getWeights().map((w) => Array.from(w.data));
    await expect(target.loadWeights(bad)).rejects.toThrow(`loadWeights: ${bad} is not a valid seqlab-weights file: `);
    await expect(target.loadWeights(bad)).rejects.toThrow(message);
    expect(target.getWeights().map((w) => Array.from(w.data))).toEqual(before);
  });

  test('a file of a newer version is refused as such, and the model keeps its weights', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'craft-'));
    const good = path.join(dir, 'good.slw');
    await model(3).saveWeights(good);
    const bad = path.join(dir, 'newer.slw');
    fs.writeFileSync(bad, craft(fs.readFileSync(good), (m) => (m.version = 2)));
    const target = model(4);
    const before = target.getWeights().map((w) => Array.from(w.data));
    await expect(target.loadWeights(bad)).rejects.toThrow(`loadWeights: ${bad} was written by a newer seqlab (seqlab-weights version 2); this seqlab reads versions up to 1`);
    expect(target.getWeights().map((w) => Array.from(w.data))).toEqual(before);
  });
});
