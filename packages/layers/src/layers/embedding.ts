/**
 * Embedding: integer ids [B, T] -> vectors [B, T, outputDim], a row lookup in a learned table.
 * With `maskZero`, id 0 is padding: the output carries a mask (id != 0) for the layers after it.
 */
import * as A from '@seqlab/autograd';
import { Variable } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { initializerToConfig } from '../engine/config';
import { Layer, LayerArgs, registerLayer } from '../engine/layer';
import { SymShape, fmtReceived } from '../engine/shapes';
import { InitializerSpec, getInitializer, randomUniform } from '../initializers';

/** Options of `Embedding`: vocabulary size `inputDim`, vector size `outputDim`, `maskZero`, the initializer. */
export interface EmbeddingArgs extends LayerArgs {
  inputDim: number;
  outputDim: number;
  maskZero?: boolean;
  /** Fixed sequence length (declares the input shape [inputLength], as Keras 2 does). */
  inputLength?: number;
  embeddingsInitializer?: InitializerSpec;
}

/**
 * Keras's Embedding: integer ids [batch, time] to vectors [batch, time, outputDim], one row of the
 * [inputDim, outputDim] weight per id. With `maskZero`, id 0 is padding: the layer attaches a mask
 * that the recurrent layers after it respect. Inside a training step the looked-up rows and their
 * gradient are step buffers (tensor's step_buffers.ts), recycled when the step ends: a custom layer
 * after it that keeps its input beyond the step must keep a copy.
 * @example
 *   new Embedding({ inputDim: 10000, outputDim: 64, maskZero: true })   // [B, T] ids -> [B, T, 64]
 */
export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly inputLength: number | null;
  private readonly init: InitializerSpec;
  embeddings!: Variable;

  constructor(args: EmbeddingArgs) {
    super(args.inputLength !== undefined && !args.inputShape && !args.batchInputShape ? { ...args, inputShape: [args.inputLength] } : args);
    for (const k of ['inputDim', 'outputDim'] as const) {
      if (!Number.isInteger(args[k]) || args[k] <= 0) throw new Error(`${this.label}: ${k} must be a positive integer, received ${args[k]}`);
    }
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.maskZero = args.maskZero ?? false;
    this.inputLength = args.inputLength ?? null;
    // Keras: embeddings_initializer='uniform' is U(-0.05, 0.05)
    this.init = args.embeddingsInitializer ?? randomUniform(-0.05, 0.05);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      input_dim: this.inputDim,
      output_dim: this.outputDim,
      embeddings_initializer: initializerToConfig(this.init, 'zeros'),
      embeddings_regularizer: null,
      activity_regularizer: null,
      embeddings_constraint: null,
      mask_zero: this.maskZero,
      input_length: this.inputLength,
    };
  }

  override build(): void {
    this.embeddings = this.addWeight('embeddings', [this.inputDim, this.outputDim], getInitializer(this.init, this.label));
  }

  computeOutputShape(inputShape: SymShape): SymShape {
    if (inputShape.length < 1) throw new Error(`${this.label}: expected input [batch, ...ids], received ${fmtReceived(inputShape)}`);
    if (this.inputLength !== null && inputShape.length === 2 && inputShape[1] !== null && inputShape[1] !== this.inputLength) {
      throw new Error(`${this.label}: expected input [batch, ${this.inputLength}], received ${fmtReceived(inputShape)}`);
    }
    return [...inputShape, this.outputDim];
  }

  /** Every id must be an integer in [0, inputDim): checked before the lookup, so nothing is silently wrong. */
  private checkIds(ids: Tensor): void {
    const d = ids.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (!Number.isInteger(v) || v < 0 || v >= this.inputDim) {
        const what = Number.isNaN(v) ? 'NaN' : Number.isInteger(v) ? String(v) : `non-integer ${v}`;
        throw new Error(`${this.label}: expected integer ids in [0, ${this.inputDim}), received ${what} at flat position ${i} of input ${fmtReceived(ids.shape)}`);
      }
    }
  }

  call(ids: Tensor): Tensor {
    this.checkIds(ids);
    // the rows and their gradient live for one training step: step buffers (step_buffers.ts)
    return T.lendAllocations(() => A.gather(this.embeddings.value, ids));
  }

  override computeMask(ids: Tensor): Tensor | null {
    if (!this.maskZero) return null;
    return T.unaryMap(ids, (v) => (v !== 0 ? 1 : 0));
  }
}
registerLayer('Embedding', Embedding);
