import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { pack } from 'tar-stream';
import { extractTarArchive, getFile, hashFile, safeEntryPath } from '@seqlab/datasets';

async function tarGz(entries: { name: string; body?: string; type?: 'file' | 'directory' | 'symlink'; linkname?: string }[]): Promise<Buffer> {
  const p = pack();
  for (const e of entries) {
    if (e.type === 'directory' || e.type === 'symlink') p.entry({ name: e.name, type: e.type, linkname: e.linkname });
    else p.entry({ name: e.name }, Buffer.from(e.body ?? ''));
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return zlib.gzipSync(Buffer.concat(chunks));
}

const GOOD = [
  { name: 'corpus/', type: 'directory' as const },
  { name: 'corpus/train/pos/1_9.txt', body: 'great film' },
  { name: 'corpus/train/neg/2_1.txt', body: 'bad film' },
];

let tmp = '';
let server: http.Server;
let base = '';
let archive: Buffer;
let requests = 0;
const savedEnv = { ...process.env };

beforeAll(async () => {
  archive = await tarGz(GOOD);
  server = http.createServer((req, res) => {
    requests++;
    if (req.url === '/corpus.tar.gz') {
      res.writeHead(200, { 'content-length': archive.length });
      res.end(archive);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-getfile-'));
  process.env.SEQLAB_CACHE_DIR = path.join(tmp, 'cache');
  process.env.SEQLAB_DATA_DIR = path.join(tmp, 'data');
  delete process.env.SEQLAB_OFFLINE;
  requests = 0;
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  process.env = { ...savedEnv };
});

const quiet = { log: null };

describe('getFile', () => {
  test("Keras 3 layout: <cacheDir>/<cacheSubdir>/<fname>; untar extracts once into '<stem>_extracted'", async () => {
    const dir = await getFile('corpus.tar.gz', `${base}/corpus.tar.gz`, { untar: true, cacheDir: tmp, cacheSubdir: '', ...quiet });
    expect(dir).toBe(path.join(tmp, 'corpus_extracted'));
    expect(fs.readFileSync(path.join(dir, 'corpus/train/pos/1_9.txt'), 'utf8')).toBe('great film');
    expect(fs.existsSync(path.join(tmp, 'corpus.tar.gz'))).toBe(true);
    expect(requests).toBe(1);
    fs.writeFileSync(path.join(dir, 'marker'), 'kept');
    expect(await getFile('corpus.tar.gz', `${base}/corpus.tar.gz`, { untar: true, cacheDir: tmp, cacheSubdir: '', ...quiet })).toBe(dir);
    expect(fs.readFileSync(path.join(dir, 'marker'), 'utf8')).toBe('kept'); // not extracted again
    expect(requests).toBe(1);
    // no extraction: the file; default subdir 'datasets' under seqlab's cache
    const file = await getFile('corpus.tar.gz', `${base}/corpus.tar.gz`, quiet);
    expect(file).toBe(path.join(tmp, 'cache', 'datasets', 'corpus.tar.gz'));
    // fname without a dot names the folder; fname null takes the URL's name
    expect(await getFile('texts', `${base}/corpus.tar.gz`, { extract: true, cacheDir: tmp, ...quiet })).toBe(path.join(tmp, 'datasets', 'texts'));
    expect(fs.existsSync(path.join(tmp, 'datasets', 'texts_archive'))).toBe(true);
    expect(await getFile(null, `${base}/corpus.tar.gz`, { cacheDir: tmp, cacheSubdir: 'x', ...quiet })).toBe(path.join(tmp, 'x', 'corpus.tar.gz'));
  });

  test('fileHash: sha256 or md5 checked after download; a cached file that does not match is fetched again', async () => {
    const sha = crypto.createHash('sha256').update(archive).digest('hex');
    const md5 = crypto.createHash('md5').update(archive).digest('hex');
    const opts = { cacheDir: tmp, ...quiet };
    const file = await getFile('c.tar.gz', `${base}/corpus.tar.gz`, { ...opts, fileHash: sha });
    expect(await hashFile(file)).toBe(sha);
    fs.writeFileSync(file, 'stale');
    await getFile('c.tar.gz', `${base}/corpus.tar.gz`, { ...opts, fileHash: md5 });
    expect(await hashFile(file, 'md5')).toBe(md5);
    expect(requests).toBe(2);
    await expect(getFile('d.tar.gz', `${base}/corpus.tar.gz`, { ...opts, fileHash: 'a'.repeat(64) })).rejects.toThrow(/checksum mismatch/);
    expect(fs.existsSync(path.join(tmp, 'datasets', 'd.tar.gz'))).toBe(false);
    await expect(getFile('d.tar.gz', `${base}/corpus.tar.gz`, { ...opts, fileHash: 'xyz' })).rejects.toThrow(/getFile: fileHash must be a sha256/);
    await expect(getFile('a/b.tar.gz', `${base}/corpus.tar.gz`, opts)).rejects.toThrow(/fname must be a file name, not a path/);
  });

  test('offline: found in the data directories (also under the name a known origin uses), else an error listing where it looked', async () => {
    process.env.SEQLAB_OFFLINE = '1';
    const inData = path.join(tmp, 'data', 'datasets', 'corpus.tar.gz');
    fs.mkdirSync(path.dirname(inData), { recursive: true });
    fs.writeFileSync(inData, archive);
    const dir = await getFile('corpus.tar.gz', 'https://example.invalid/corpus.tar.gz', { untar: true, cacheDir: path.join(tmp, 'c'), ...quiet });
    expect(fs.readFileSync(path.join(dir, 'corpus/train/neg/2_1.txt'), 'utf8')).toBe('bad film');
    // the seed's IMDb URL finds the reviews archive seqlab's IMDb loader uses
    const imdb = path.join(tmp, 'data', 'imdb', 'aclImdb-reviews.tar.gz');
    fs.mkdirSync(path.dirname(imdb), { recursive: true });
    fs.writeFileSync(imdb, archive);
    expect(await getFile('aclImdb_v1.tar.gz', 'https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz', { cacheDir: path.join(tmp, 'c'), ...quiet })).toBe(imdb);
    const err = getFile('missing.tar.gz', 'https://example.invalid/missing.tar.gz', { cacheDir: path.join(tmp, 'c'), ...quiet });
    await expect(err).rejects.toThrow(/getFile: missing.tar.gz not found. Looked in:[\s\S]*\$SEQLAB_DATA_DIR[\s\S]*downloads are disabled/);
  });

  test('extraction is safe: entries leaving the folder are skipped, links are not created, a corrupt archive leaves no folder', async () => {
    const evil = path.join(tmp, 'evil.tar.gz');
    fs.writeFileSync(
      evil,
      await tarGz([
        { name: 'ok/a.txt', body: 'fine' },
        { name: '../escaped.txt', body: 'x' },
        { name: 'ok/../../escaped2.txt', body: 'x' },
        { name: '/tmp/abs-escape.txt', body: 'x' },
        { name: 'ok/link', type: 'symlink', linkname: '/etc/passwd' },
      ]),
    );
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const dest = path.join(tmp, 'out', 'evil');
    const r = await extractTarArchive(evil, dest);
    expect(r.files).toBe(1);
    expect(r.skipped).toEqual(['../escaped.txt', 'ok/../../escaped2.txt', '/tmp/abs-escape.txt']);
    expect(warn.mock.calls[0][0]).toMatch(/skipped 3 archive entries whose path leaves/);
    warn.mockRestore();
    expect(fs.readdirSync(path.join(tmp, 'out')).sort()).toEqual(['evil']);
    expect(fs.readdirSync(path.join(dest, 'ok'))).toEqual(['a.txt']);
    expect(fs.existsSync(path.join(tmp, 'escaped.txt'))).toBe(false);
    expect(safeEntryPath('/r', 'a/b')).toBe(path.resolve('/r/a/b'));
    expect(safeEntryPath('/r', 'a\\..\\..\\b')).toBeNull();

    const cut = path.join(tmp, 'cut.tar.gz');
    fs.writeFileSync(cut, archive.subarray(0, Math.floor(archive.length * 0.6)));
    await expect(getFile('cut.tar.gz', 'https://example.invalid/cut.tar.gz', { untar: true, cacheDir: tmp, cacheSubdir: '', download: false, ...quiet })).rejects.toThrow(/getFile: could not read/);
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith('cut'))).toEqual(['cut.tar.gz']); // no cut_extracted, no partial folder
  });
});
