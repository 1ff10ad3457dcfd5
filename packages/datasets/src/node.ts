/**
 * @seqlab/datasets in Node: the in-memory parts (index.ts) and everything that reads files: the
 * IMDb, MNIST and text-corpus loaders, the data lookup and verified downloads (DESIGN section 5),
 * getFile and textDatasetFromDirectory.
 *
 * @packageDocumentation
 * @module @seqlab/datasets
 */
export * from './index';
export * from './text';
export * from './data_dir';
export * from './download';
export * from './tar';
export * from './extract';
export * from './get_file';
export * from './text_dataset';
export * as imdb from './imdb';
export * as mnist from './mnist';
export { imdbTokenize } from './imdb';
export { parseIdx } from './mnist';
