/** A fresh temporary folder per test, with the data cache inside it and downloads off; restored after. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * Registers beforeEach / afterEach hooks; returns the current test's folder (call it inside a test).
 * `onEach` runs after the folder is made (e.g. to clear an in-memory cache).
 */
export function useTempDataEnv(prefix: string, onEach: () => void = () => undefined): () => string {
  let tmp = '';
  const savedEnv = { ...process.env };
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    process.env.SEQLAB_CACHE_DIR = path.join(tmp, 'cache');
    process.env.SEQLAB_OFFLINE = '1';
    onEach();
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
    process.env = { ...savedEnv };
  });
  return () => tmp;
}
