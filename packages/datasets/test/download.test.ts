import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { DataFileSpec, downloadFile, locateDataFile, findRepoRoot, dataDirs, cacheDir } from '@seqlab/datasets';

const body = Buffer.from('a small data file\n'.repeat(1000));
const sha = crypto.createHash('sha256').update(body).digest('hex');

let server: http.Server;
let base = '';
let tmp = '';
const savedEnv = { ...process.env };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/small.txt') {
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: '/small.txt' });
      res.end();
    } else if (req.url === '/cut') {
      // announces the whole file, sends half, then drops the connection
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length / 2), () => res.socket?.destroy());
    } else {
      res.writeHead(500);
      res.end('boom');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-dl-'));
  process.env.SEQLAB_CACHE_DIR = path.join(tmp, 'cache');
  process.env.SEQLAB_DATA_DIR = path.join(tmp, 'data');
  delete process.env.SEQLAB_OFFLINE;
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  process.env = { ...savedEnv };
});

/** Every file under dir, relative. */
function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p).map((f) => path.join(e.name, f)));
    else out.push(e.name);
  }
  return out;
}

async function refusedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const spec = (url: string, sha256: string | null = sha): DataFileSpec => ({
  name: 'test data',
  relPaths: ['test/small.txt'],
  download: { url, relPath: 'test/small.txt', sha256 },
});

describe('lookup order', () => {
  test('repo root is the folder whose package.json has workspaces; ../shared/data is searched', () => {
    const root = findRepoRoot(__dirname) as string;
    expect(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).workspaces).toBeDefined();
    const dirs = dataDirs().map((d) => d.dir);
    expect(dirs[0]).toBe(path.join(tmp, 'data'));
    expect(dirs).toContain(path.resolve(root, '..', 'shared', 'data'));
    expect(dirs[dirs.length - 1]).toBe(cacheDir());
    expect(cacheDir()).toBe(path.join(tmp, 'cache'));
  });

  test('explicit path first, then $SEQLAB_DATA_DIR, then the cache; no download needed', async () => {
    const inData = path.join(tmp, 'data', 'test', 'small.txt');
    const inCache = path.join(tmp, 'cache', 'test', 'small.txt');
    fs.mkdirSync(path.dirname(inCache), { recursive: true });
    fs.writeFileSync(inCache, 'cache');
    const nowhere = `http://127.0.0.1:${await refusedPort()}/x`;
    expect(await locateDataFile(spec(nowhere))).toBe(inCache);
    fs.mkdirSync(path.dirname(inData), { recursive: true });
    fs.writeFileSync(inData, 'data');
    expect(await locateDataFile(spec(nowhere))).toBe(inData);
    const explicit = path.join(tmp, 'mine.txt');
    fs.writeFileSync(explicit, 'mine');
    expect(await locateDataFile(spec(nowhere), { path: explicit })).toBe(explicit);
    await expect(locateDataFile(spec(nowhere), { path: path.join(tmp, 'nope') })).rejects.toThrow(/test data: the path option points to .*nope, which does not exist/);
  });
});

describe('download from a local HTTP server', () => {
  test('success: verified file in the cache, nothing else left', async () => {
    const file = await locateDataFile(spec(`${base}/small.txt`), { progress: false });
    expect(file).toBe(path.join(tmp, 'cache', 'test', 'small.txt'));
    expect(fs.readFileSync(file).equals(body)).toBe(true);
    expect(listFiles(path.join(tmp, 'cache'))).toEqual([path.join('test', 'small.txt')]);
  });

  test('follows redirects; progress bar can be drawn', async () => {
    const dest = path.join(tmp, 'cache', 'r.txt');
    const write = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      await downloadFile(`${base}/redirect`, dest, { sha256: sha, progress: true });
    } finally {
      process.stderr.write = write;
    }
    expect(fs.readFileSync(dest).equals(body)).toBe(true);
  });

  test('checksum mismatch deletes the temp file and says so', async () => {
    const wrong = '0'.repeat(64);
    await expect(downloadFile(`${base}/small.txt`, path.join(tmp, 'cache', 'x.txt'), { sha256: wrong })).rejects.toThrow(
      /checksum mismatch for .*small.txt: expected sha256 0{64}, received [0-9a-f]{64}; the downloaded file was deleted/,
    );
    expect(listFiles(path.join(tmp, 'cache'))).toEqual([]);
    await expect(locateDataFile(spec(`${base}/small.txt`, wrong))).rejects.toThrow(/checksum mismatch/);
    expect(listFiles(path.join(tmp, 'cache'))).toEqual([]);
  });

  test('server error: error with the status, nothing written', async () => {
    await expect(downloadFile(`${base}/missing`, path.join(tmp, 'cache', 'x.txt'), { sha256: sha })).rejects.toThrow(/server answered HTTP 500/);
    expect(listFiles(path.join(tmp, 'cache'))).toEqual([]);
  });

  test('connection dropped mid-file: nothing written', async () => {
    await expect(downloadFile(`${base}/cut`, path.join(tmp, 'cache', 'x.txt'), { sha256: sha })).rejects.toThrow(/downloadFile: /);
    expect(listFiles(path.join(tmp, 'cache'))).toEqual([]);
  });

  test('connection refused and no file: the error lists where it looked and how to provide the data', async () => {
    const url = `http://127.0.0.1:${await refusedPort()}/small.txt`;
    await expect(downloadFile(url, path.join(tmp, 'cache', 'x.txt'), { sha256: sha })).rejects.toThrow(/could not fetch .*: connection refused/);
    let message = '';
    try {
      await locateDataFile(spec(url));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^test data: file not found. Looked in:/);
    expect(message).toContain(path.join(tmp, 'data', 'test', 'small.txt'));
    expect(message).toContain(path.join(tmp, 'cache', 'test', 'small.txt'));
    expect(message).toMatch(/shared.data.test.small.txt/);
    expect(message).toMatch(/connection refused/);
    expect(message).toMatch(/To provide it: download it from .* and pass \{ path \}/);
    expect(listFiles(path.join(tmp, 'cache'))).toEqual([]);
  });

  test('offline mode and unknown checksums do not download', async () => {
    process.env.SEQLAB_OFFLINE = '1';
    await expect(locateDataFile(spec(`${base}/small.txt`))).rejects.toThrow(/downloads are disabled/);
    delete process.env.SEQLAB_OFFLINE;
    await expect(locateDataFile(spec(`${base}/small.txt`, null))).rejects.toThrow(/seqlab knows no sha256/);
    expect(await locateDataFile(spec(`${base}/small.txt`, null), { sha256: sha, progress: false })).toBe(path.join(tmp, 'cache', 'test', 'small.txt'));
  });
});
