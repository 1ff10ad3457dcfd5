/**
 * Node's file system behind the file-access seam (training/file_access.ts), installed when this
 * module is imported: model files and their atomic writes in Node. Node-only; the platform-neutral
 * code reaches files only through `fileAccess`.
 */
import * as fs from 'fs';
import { writeFileAtomic } from './atomic_file';
import { setFileAccess } from './file_access';

setFileAccess({
  readFile: (file) => fs.promises.readFile(file),
  writeFileAtomic,
  appendText: (file, text, truncate = false) => (truncate ? fs.writeFileSync(file, text) : fs.appendFileSync(file, text)),
  hasContent: (file) => fs.existsSync(file) && fs.statSync(file).size > 0,
});
