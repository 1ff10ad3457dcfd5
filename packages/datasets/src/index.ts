/**
 * @seqlab/datasets: padding, tokenizers, text vectorization, character batching, and the IMDb,
 * MNIST and text-corpus loaders, with the data lookup and verified downloads of DESIGN section 5.
 *
 * @packageDocumentation
 * @module @seqlab/datasets
 */
export * from './pad';
export * from './tokenizer';
export * from './text_vectorization';
export * from './chars';
export * from './text';
export * from './data_dir';
export * from './download';
export * from './tar';
export * from './dataset';
export * from './extract';
export * from './get_file';
export * from './text_dataset';
export * as imdb from './imdb';
export * as mnist from './mnist';
export { imdbTokenize } from './imdb';
export { parseIdx } from './mnist';
