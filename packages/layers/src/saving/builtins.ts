/**
 * Every class of this package that a model file, a configuration or a TensorFlow.js model may
 * name. Each registers itself beside its definition (engine/registry.ts) when its module loads, and
 * a bundler keeps a module only when something uses it: a page that builds an LSTM bundles no GRU.
 * The load paths (`loadModel`, `modelFromBytes`, `fromTfjs`, `loadTfjsModel`) call
 * `builtInClasses()`, so a bundle that loads a model holds, and has registered, all of them.
 * A class given to `registerLayer` / `registerCell` / `registerClass` belongs in this list.
 */
import { InputLayer } from '../engine/input';
import { Activation, Dropout, Flatten, RepeatVector, Reshape } from '../layers/core';
import { Dense } from '../layers/dense';
import { Embedding } from '../layers/embedding';
import { Masking } from '../layers/masking';
import { Add, Concatenate, GlobalAveragePooling1D } from '../layers/merge';
import { BatchNormalization } from '../layers/normalization';
import { TimeDistributed } from '../layers/time_distributed';
import { VectorizerLayer } from '../layers/vectorizer';
import { Model } from '../models/model';
import { Sequential } from '../models/sequential';
import { Bidirectional } from '../recurrent/bidirectional';
import { StackedRNNCells } from '../recurrent/cells';
import { GRUCell } from '../recurrent/gru/cell';
import { GRU } from '../recurrent/gru/layer';
import { LSTMCell } from '../recurrent/lstm/cell';
import { LSTM } from '../recurrent/lstm/layer';
import { RNN } from '../recurrent/rnn';
import { SimpleRNNCell } from '../recurrent/simple_rnn/cell';
import { SimpleRNN } from '../recurrent/simple_rnn/layer';
import { Adagrad, Adam, RMSprop, SGD } from '../training/optimizers';

// eslint-disable-next-line @typescript-eslint/ban-types
const BUILT_IN_CLASSES: readonly Function[] = [
  InputLayer, Dense, Activation, Dropout, Flatten, Reshape, RepeatVector, Embedding, Masking, Concatenate, Add,
  GlobalAveragePooling1D, BatchNormalization, TimeDistributed, VectorizerLayer, Model, Sequential, RNN, SimpleRNN, LSTM,
  GRU, Bidirectional, SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells, SGD, Adam, RMSprop, Adagrad,
];

/** The built-in layer, cell, model and optimizer classes, all registered (see the header). */
// eslint-disable-next-line @typescript-eslint/ban-types
export function builtInClasses(): readonly Function[] {
  return BUILT_IN_CLASSES;
}
