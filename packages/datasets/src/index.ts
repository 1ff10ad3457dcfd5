/**
 * @seqlab/datasets: padding, tokenizers, text vectorization, character batching and Dataset.
 *
 * This is the entry for every platform (browsers, bundlers): the in-memory parts, with no Node
 * module. Node's entry (node.ts) adds the IMDb, MNIST and text-corpus loaders, the data lookup
 * and verified downloads of DESIGN section 5, getFile and textDatasetFromDirectory.
 */
export * from './pad';
export * from './tokenizer';
export * from './text_vectorization';
export * from './chars';
export * from './dataset';
