/**
 * @seqlab/layers: Keras-style layers, recurrent cells (reference and fused), models, losses,
 * optimizers, metrics, callbacks, training (`compile` / `fit` / `evaluate`), weights files and
 * generation.
 *
 * This is the entry for every platform (browsers, bundlers): nothing here imports a Node module.
 * Node's entry (node.ts) adds files on Node's file system and the worker module of the threads.
 */
export * from './engine/shapes';
export * from './engine/mask';
export * from './engine/logits';
export * from './engine/symbolic';
export * from './engine/layer';
export { registerCell, registerClass, registeredClass, registeredName, registeredNames, classNameOf } from './engine/registry';
export * from './engine/input';
export { deserialize, snakeKey, camelKey } from './engine/config';
export type { LayerConfig, CustomObjects } from './engine/config';
export * as initializers from './initializers';
export { setSeed, getRng } from './initializers';
export type { Initializer, InitializerSpec, InitializerDescription } from './initializers';
export * from './activations';
export * from './layers/core';
export { Dense, lastDim } from './layers/dense';
export type { DenseArgs } from './layers/dense';
export * from './layers/embedding';
export * from './layers/masking';
export * from './layers/normalization';
export * from './layers/merge';
export * from './layers/time_distributed';
export * from './layers/vectorizer';
export * from './models/model';
export * from './models/sequential';
export { readableSize } from './models/summary';
export * from './recurrent/sequence';
export * from './recurrent/cell';
export * from './recurrent/kernels';
export * from './recurrent/cells';
export * from './recurrent/simple_rnn/cell';
export * from './recurrent/lstm/cell';
export * from './recurrent/gru/cell';
export * from './recurrent/reference';
export { fusedSequence, fusedSupports } from './recurrent/fused';
export * from './recurrent/rnn';
export * from './recurrent/simple_rnn/layer';
export * from './recurrent/lstm/layer';
export * from './recurrent/gru/layer';
export * from './recurrent/bidirectional';
export * from './training/losses';
export * from './training/optimizers';
export * from './training/metrics';
export * from './training/callbacks';
export * from './training/progress';
export * from './training/evaluator';
export * from './training/trainer';
export { isBatchSource, RAN_OUT_WARNING } from './training/batch_source';
export type { BatchSource } from './training/batch_source';
export * from './training/weights_io';
export { setFileAccess } from './training/file_access';
export type { FileAccess } from './training/file_access';
export { sha256 } from './training/sha256';
export { modelToBytes } from './saving/model_file';
export type { SaveOptions, LoadOptions, SavableModel } from './saving/model_file';
export { loadModel, modelFromBytes } from './saving/load_model';
export { toTfjs, fromTfjs, tfjsWeightNames, tfjsShortName } from './saving/tfjs_format';
export type { TfjsModelJson, TfjsWeightSpec, TfjsExport } from './saving/tfjs_format';
export { saveTfjsModel, loadTfjsModel } from './saving/tfjs_files';
export type { SaveTfjsOptions } from './saving/tfjs_files';
export * from './training/yielding';
export * from './training/generation';
export { encodeOnnxModel, ONNX_TYPES } from './onnx/proto';
export type { OnnxGraphSpec, OnnxNode, OnnxAttribute, OnnxInitializer, OnnxElemType } from './onnx/proto';
export { onnxGraph, toOnnx } from './onnx/export';
export type { OnnxExportOptions } from './onnx/export';
export { exportOnnx } from './onnx/files';
