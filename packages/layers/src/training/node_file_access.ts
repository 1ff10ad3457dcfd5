/**
 * Node's file system behind the file-access seam (training/file_access.ts): model and weights
 * files and their atomic writes in Node. Node-only; the Node entry (node.ts) installs it, and the
 * platform-neutral code reaches files only through `fileAccess`.
 */
import * as fs from 'fs';
import { writeFileAtomic } from './atomic_file';
import type { FileAccess } from './file_access';

/** Node's file system for weights and model files and CSVLogger. */
export const nodeFileAccess: FileAccess = {
  readFile: (file) => fs.promises.readFile(file),
  writeFileAtomic,
  appendText: (file, text, truncate = false) => (truncate ? fs.writeFileSync(file, text) : fs.appendFileSync(file, text)),
  hasContent: (file) => fs.existsSync(file) && fs.statSync(file).size > 0,
};
