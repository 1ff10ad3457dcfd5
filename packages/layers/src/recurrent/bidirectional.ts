/**
 * Bidirectional(layer): two scans of the same kind of layer, one forward in time and one
 * backward, merged:
 *
 *   y_fwd = forward(x)          (a copy of `layer`, named forward_<name>)
 *   y_bwd = backward(x)         (a goBackwards copy, named backward_<name>), re-reversed in time
 *   y = merge(y_fwd, y_bwd)     concat (default) | sum | mul | ave | null (both, as a list)
 *
 * Each copy has its own weights: forward's come first, then backward's (Keras order). With
 * returnState the outputs are [y, fwd states..., bwd states...].
 */
import * as A from '@seqlab/autograd';
import { Tensor } from '@seqlab/tensor';
import { CallArgs, Layer, LayerArgs, LayerInput, LayerOutput, registerLayer } from '../engine/layer';
import { SymShape, fmtReceived } from '../engine/shapes';
import { RNN } from './rnn';

/**
 * How `Bidirectional` merges its two outputs: 'concat' (last axis doubles), 'sum', 'mul', 'ave', or
 * null (both returned, as a list).
 */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;

/** Options of `Bidirectional`: the layer to run both ways and how to merge the two outputs. */
export interface BidirectionalArgs extends LayerArgs {
  /** The recurrent layer to run in both directions (its configuration is copied, its weights are not used). */
  layer: RNN;
  /** Default 'concat'. */
  mergeMode?: MergeMode;
  /** A layer for the backward direction (must have the opposite goBackwards). */
  backwardLayer?: RNN;
}

const MERGE_MODES = ['concat', 'sum', 'mul', 'ave', null];

/**
 * Keras's Bidirectional: runs a copy of `layer` forward and another backward in time on the same
 * input and merges their outputs (`mergeMode`, default 'concat': [B, T, 2H] or [B, 2H]). Weights:
 * the forward layer's, then the backward layer's.
 * @example
 *   new Bidirectional({ layer: new LSTM({ units: 32, returnSequences: true }) })   // [B, T, I] -> [B, T, 64]
 */
export class Bidirectional extends Layer {
  readonly forwardLayer: RNN;
  readonly backwardLayer: RNN;
  readonly mergeMode: MergeMode;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  /** The layer as given (its configuration is what Keras writes under `layer`). */
  private readonly given: { layer: RNN; backwardLayer?: RNN };

  constructor(args: BidirectionalArgs) {
    super({ batchInputShape: args.layer?.batchInputShape ?? undefined, ...args });
    if (!(args.layer instanceof RNN)) throw new Error(`${this.label}: expected a recurrent layer (RNN, SimpleRNN, LSTM, GRU) as 'layer'`);
    const mode = args.mergeMode === undefined ? 'concat' : args.mergeMode;
    if (!MERGE_MODES.includes(mode)) {
      throw new Error(`${this.label}: mergeMode must be one of 'concat', 'sum', 'mul', 'ave' or null, received '${String(mode)}'`);
    }
    this.mergeMode = mode;
    const layer = args.layer;
    this.given = { layer, backwardLayer: args.backwardLayer };
    // Keras recreates both directions from the layer's config, so neither shares its weights
    this.forwardLayer = layer.recreate({ name: `forward_${layer.name}` });
    if (args.backwardLayer) {
      const b = args.backwardLayer;
      if (!(b instanceof RNN)) throw new Error(`${this.label}: expected a recurrent layer as 'backwardLayer'`);
      if (b.goBackwards === layer.goBackwards) {
        throw new Error(`${this.label}: backwardLayer must have the opposite goBackwards of layer (both are ${layer.goBackwards})`);
      }
      for (const k of ['returnSequences', 'returnState', 'stateful'] as const) {
        if (b[k] !== layer[k]) throw new Error(`${this.label}: backwardLayer.${k} (${b[k]}) differs from layer.${k} (${layer[k]})`);
      }
      this.backwardLayer = b;
    } else {
      this.backwardLayer = layer.recreate({ name: `backward_${layer.name}`, goBackwards: !layer.goBackwards });
    }
    this.returnSequences = layer.returnSequences;
    this.returnState = layer.returnState;
    // Keras forces zero_output_for_mask = return_sequences on both directions, so masked steps
    // output zeros in a returned sequence. TensorFlow.js does not (it repeats the previous
    // output); we follow Keras.
    this.forwardLayer.zeroOutputForMask = this.returnSequences;
    this.backwardLayer.zeroOutputForMask = this.returnSequences;
    this.supportsMasking = true;
  }

  override getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = { ...super.getConfig(), layer: this.given.layer.toConfig(), merge_mode: this.mergeMode };
    if (this.given.backwardLayer) c.backward_layer = this.given.backwardLayer.toConfig();
    return c;
  }

  protected override sublayers(): Layer[] {
    return [this.forwardLayer, this.backwardLayer];
  }

  override build(inputShape: SymShape | SymShape[]): void {
    this.forwardLayer.ensureBuilt(inputShape);
    this.backwardLayer.ensureBuilt(inputShape);
  }

  private splitStates<S>(states: S[] | undefined): [S[] | undefined, S[] | undefined] {
    if (!states || states.length === 0) return [undefined, undefined];
    const n = this.forwardLayer.cell.stateSize.length;
    if (states.length !== 2 * n) {
      throw new Error(`${this.label}: expected ${2 * n} initial states (forward's ${n}, then backward's ${n}), received ${states.length}`);
    }
    return [states.slice(0, n), states.slice(n)];
  }

  computeOutputShape(inputShape: SymShape | SymShape[], args: { initialState?: SymShape[] } = {}): SymShape | SymShape[] {
    const [fs, bs] = this.splitStates(args.initialState);
    const f = this.forwardLayer.computeOutputShape(inputShape, { initialState: fs });
    this.backwardLayer.computeOutputShape(inputShape, { initialState: bs });
    const fList = (this.returnState ? f : [f]) as SymShape[];
    const y = fList[0];
    const states = fList.slice(1);
    const outputs: SymShape[] =
      this.mergeMode === null ? [y, y] : this.mergeMode === 'concat' ? [[...y.slice(0, -1), (y[y.length - 1] as number) * 2]] : [y];
    const all = [...outputs, ...states, ...states];
    return all.length === 1 ? all[0] : all;
  }

  call(inputs: LayerInput, args: CallArgs = {}): LayerOutput {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x.rank !== 3) throw new Error(`${this.label}: expected input [batch, time, features], received ${fmtReceived(x.shape)}`);
    const [fs, bs] = this.splitStates(args.initialState);
    const run = (layer: RNN, initialState: Tensor[] | undefined): Tensor[] => {
      const out = layer.call(x, { training: args.training, mask: args.mask ?? null, initialState });
      return Array.isArray(out) ? out : [out];
    };
    const [yf, ...statesF] = run(this.forwardLayer, fs);
    let [yb, ...statesB] = run(this.backwardLayer, bs);
    // the backward layer returns its sequence in processing order (last timestep first): re-reverse
    if (this.returnSequences) yb = A.reverse(yb, 1);
    const merged = this.merge(yf, yb);
    const all = [...merged, ...statesF, ...statesB];
    return all.length === 1 ? all[0] : all;
  }

  private merge(yf: Tensor, yb: Tensor): Tensor[] {
    switch (this.mergeMode) {
      case 'concat':
        return [A.concat([yf, yb], -1)];
      case 'sum':
        return [A.add(yf, yb)];
      case 'mul':
        return [A.mul(yf, yb)];
      case 'ave':
        return [A.mul(A.add(yf, yb), 0.5)];
      default:
        return [yf, yb];
    }
  }

  override computeMask(_inputs: LayerInput, mask: Tensor | null): Tensor | null | (Tensor | null)[] {
    const outMask = this.returnSequences ? mask : null;
    const outputs = this.mergeMode === null ? [outMask, outMask] : [outMask];
    const states = this.returnState ? this.forwardLayer.cell.stateSize.concat(this.backwardLayer.cell.stateSize).map(() => null) : [];
    const all = [...outputs, ...states];
    return all.length === 1 ? all[0] : all;
  }
}
registerLayer('Bidirectional', Bidirectional);
