/**
 * @seqlab/layers in Node: everything of the platform-neutral entry (index.ts), with files
 * (weights and model files, CSVLogger) on Node's file system and the recurrent time loops' worker module.
 *
 * @packageDocumentation
 * @module @seqlab/layers
 */
import * as fs from 'fs';
import * as path from 'path';
import { setModuleLocator } from './recurrent/fused/threads';
import { setFileAccess } from './training/file_access';
import { nodeFileAccess } from './training/node_file_access';

export * from './index';
export { nodeFileAccess } from './training/node_file_access';
export { writeFileAtomic, removeStaleTemporaries } from './training/atomic_file';

// installed here, in the entry, so that a bundler that drops unused side-effect-free modules keeps it
setFileAccess(nodeFileAccess);

// pool workers load compiled modules of recurrent/: beside this file in dist/ (the ESM build sets
// `__dirname` to dist/ too); tests run the TypeScript sources and use the package's dist/ (none
// built: the loops stay on one thread)
setModuleLocator((dir, file) => {
  const at = [path.join(__dirname, 'recurrent', dir, file), path.join(__dirname, '..', 'dist', 'recurrent', dir, file)];
  return at.find((f) => fs.existsSync(f)) ?? null;
});
