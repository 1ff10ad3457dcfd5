/**
 * Text corpora for character-level language models: `textCorpus('hamlet')`,
 * `textCorpus('tinyshakespeare')`, or any local UTF-8 file.
 *
 * Hamlet is Project Gutenberg etext 2265; its first 15858 characters are the Gutenberg header,
 * which seed 001 skips with `text[15858:]`. `textCorpus('hamlet')` does the same (and checks that
 * the play, "The Tragedie of Hamlet", starts there); `{ skipHeader: false }` keeps the header.
 */
import * as fs from 'fs';
import { DataFileSpec, LocateOptions, locateDataFile } from './data_dir';

/** Character offset at which the play starts in Project Gutenberg's Hamlet (pg2265), after the header. */
export const HAMLET_START = 15858;
const HAMLET_TITLE = 'The Tragedie of Hamlet';

/** Where the text corpora are looked for and downloaded from, with their checksums. */
export const TEXT_SPECS: Record<'hamlet' | 'tinyshakespeare', DataFileSpec> = {
  hamlet: {
    name: 'textCorpus hamlet',
    relPaths: ['text/hamlet-pg2265.txt', 'text/pg2265.txt'],
    download: {
      url: 'https://www.gutenberg.org/cache/epub/2265/pg2265.txt',
      relPath: 'text/hamlet-pg2265.txt',
      sha256: '048e9e99c691ebac2756b8442a15291ca13adb7880104a3486cdb2c67e42bdaf',
    },
  },
  tinyshakespeare: {
    name: 'textCorpus tinyshakespeare',
    relPaths: ['text/tinyshakespeare.txt'],
    download: {
      url: 'https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt',
      relPath: 'text/tinyshakespeare.txt',
      sha256: '86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed',
    },
  },
};

/** Options of `textCorpus`: where to look (LocateOptions), and whether to drop Hamlet's Gutenberg header. */
export interface TextCorpusOptions extends LocateOptions {
  /** Hamlet only: drop the Gutenberg header (default true). */
  skipHeader?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads a file as strict UTF-8 (a leading byte-order mark is dropped). */
export function readUtf8(file: string, caller = 'readUtf8'): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${caller}: could not read ${file}: ${(e as Error).message}`);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw new Error(`${caller}: ${file} is not valid UTF-8 text`);
  }
}

/**
 * Reads a text corpus ('hamlet', 'tinyshakespeare', or a file path) as a string, through the data lookup.
 *
 * @example
 * const text = await textCorpus('hamlet'); // starts with 'The Tragedie of Hamlet'
 * const vocab = charVocabulary(text);
 */
export async function textCorpus(nameOrPath: string, options: TextCorpusOptions = {}): Promise<string> {
  const key = nameOrPath.toLowerCase();
  if (key !== 'hamlet' && key !== 'tinyshakespeare') {
    if (!fs.existsSync(nameOrPath)) {
      throw new Error(`textCorpus: expected 'hamlet', 'tinyshakespeare' or the path of a text file, received '${nameOrPath}' (no such file)`);
    }
    return readUtf8(nameOrPath, 'textCorpus');
  }
  const file = await locateDataFile(TEXT_SPECS[key], options);
  const text = readUtf8(file, 'textCorpus');
  if (key !== 'hamlet' || options.skipHeader === false) return text;
  if (text.startsWith(HAMLET_TITLE, HAMLET_START)) return text.slice(HAMLET_START);
  // Another printing of etext 2265 (e.g. CRLF line ends): find the title line instead.
  const at = text.indexOf(`${HAMLET_TITLE}\n`) >= 0 ? text.indexOf(`${HAMLET_TITLE}\n`) : text.indexOf(`${HAMLET_TITLE}\r\n`);
  if (at < 0) throw new Error(`textCorpus: ${file} does not contain the title line '${HAMLET_TITLE}'; is it Gutenberg etext 2265?`);
  return text.slice(at);
}
