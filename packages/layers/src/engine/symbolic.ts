/**
 * Symbolic tensors and graph nodes for the functional API:
 *   const x = input({ shape: [28, 28] });
 *   const h = new LSTM({ units: 28 }).apply(x);     // a SymbolicTensor of shape (None, 28)
 *   const m = new Model({ inputs: x, outputs: h });
 * A SymbolicTensor has a shape (batch first, null where unknown) and the node that produced it.
 */
import type { Layer, SymbolicCallArgs } from './layer';
import { SymShape, fmtSymShape } from './shapes';

let nextId = 0;

/**
 * A placeholder in a functional graph: a shape with `null` for unknown sizes (batch, often time),
 * and the layer application that produces it. `input()` makes the first ones; `layer.apply` makes the rest.
 */
export class SymbolicTensor {
  readonly id = nextId++;
  constructor(
    readonly shape: SymShape,
    /** The node that produced this tensor. */
    readonly node: Node,
    readonly outputIndex: number,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  /** `SymbolicTensor(None, 28, 28)`. */
  toString(): string {
    return `SymbolicTensor${fmtSymShape(this.shape)}`;
  }
}

/** One application of a layer: inputs (and symbolic initial states) to outputs. */
export class Node {
  outputs: SymbolicTensor[] = [];
  constructor(
    readonly layer: Layer,
    readonly inputs: SymbolicTensor[],
    /** Whether the layer was called with a list (Concatenate, Add) rather than one tensor. */
    readonly inputsAsList: boolean,
    readonly args: SymbolicCallArgs,
  ) {}

  /** Every symbolic tensor this node reads: its inputs, then any initial states. */
  get dependencies(): SymbolicTensor[] {
    return [...this.inputs, ...(this.args.initialState ?? [])];
  }
}
