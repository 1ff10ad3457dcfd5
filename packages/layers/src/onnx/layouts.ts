/**
 * Keras weights to ONNX operator inputs: every transpose, gate reordering and bias split of the
 * ONNX export, in one place. H = units, I = input features, D = directions (1, or 2 for
 * Bidirectional: forward then backward, stacked on the first axis).
 *
 * | layer              | Keras (seqlab)                        | ONNX                                                    |
 * |--------------------|---------------------------------------|---------------------------------------------------------|
 * | Dense              | kernel [I, units], bias [units]       | MatMul B = kernel (unchanged), Add bias                 |
 * | Embedding          | embeddings [vocab, dim]               | Gather data = embeddings (unchanged)                    |
 * | BatchNormalization | γ, β, mean, variance [F]              | Mul scale = γ/√(var + ε), Add shift = β - mean·scale    |
 * | SimpleRNN          | kernel [I, H], recurrent [H, H], b [H] | RNN W [D, H, I] = kernelᵀ, R [D, H, H] = recurrentᵀ, B [D, 2H] = [b, 0] |
 * | LSTM               | gates i, f, c, o (kernel [I, 4H])     | LSTM gates i, o, f, c: W [D, 4H, I], R [D, 4H, H], B [D, 8H] = [b, 0] reordered |
 * | GRU resetAfter     | gates z, r, h; bias [2, 3H]           | GRU gates z, r, h (same order): W [D, 3H, I], R [D, 3H, H], B [D, 6H] = [bias[0], bias[1]], linear_before_reset = 1 |
 * | GRU resetAfter off | gates z, r, h; bias [3H]              | GRU, B [D, 6H] = [bias, 0], linear_before_reset = 0     |
 *
 * ONNX's W and R hold each gate's matrix as rows (x·Wᵀ), so the Keras kernel, which multiplies
 * from the right (x·W), is transposed; the gate blocks move as whole row blocks. ONNX adds two
 * biases (Wb and Rb); Keras has one, except GRU with resetAfter, whose second row is ONNX's Rb.
 */
import { Tensor } from '@seqlab/tensor';

/** Gate order of each cell kind in Keras and in ONNX (by Keras gate index). */
export const GATE_ORDER = {
  simpleRNN: { keras: ['h'], onnxFromKeras: [0] },
  lstm: { keras: ['i', 'f', 'c', 'o'], onnxFromKeras: [0, 3, 1, 2] }, // ONNX i, o, f, c
  gru: { keras: ['z', 'r', 'h'], onnxFromKeras: [0, 1, 2] }, // the same order
} as const;

export type CellKind = keyof typeof GATE_ORDER;

/**
 * One direction's Keras matrix [rows, G·H] (kernel or recurrent kernel) as ONNX's [G·H, rows]:
 * transposed, gate blocks in ONNX order.
 */
export function gateMatrix(kind: CellKind, m: Tensor, units: number): Float32Array {
  const [rows, cols] = m.shape;
  const order = GATE_ORDER[kind].onnxFromKeras;
  const out = new Float32Array(rows * cols);
  order.forEach((kerasGate, onnxGate) => {
    for (let u = 0; u < units; u++) {
      const src = kerasGate * units + u;
      const dst = (onnxGate * units + u) * rows;
      for (let r = 0; r < rows; r++) out[dst + r] = m.data[r * cols + src];
    }
  });
  return out;
}

/**
 * One direction's ONNX bias [2·G·H] = [Wb, Rb] from the Keras bias: [G·H] (Rb zero) or, for GRU
 * with resetAfter, [2, 3H] (row 0 is Wb, row 1 is Rb). No bias: zeros.
 */
export function gateBias(kind: CellKind, bias: Tensor | null, units: number): Float32Array {
  const order = GATE_ORDER[kind].onnxFromKeras;
  const gh = order.length * units;
  const out = new Float32Array(2 * gh);
  if (!bias) return out;
  const rowsOfBias = bias.rank === 2 ? bias.shape[0] : 1;
  for (let part = 0; part < rowsOfBias; part++) {
    order.forEach((kerasGate, onnxGate) => {
      for (let u = 0; u < units; u++) out[part * gh + onnxGate * units + u] = bias.data[part * gh + kerasGate * units + u];
    });
  }
  return out;
}

/** BatchNormalization at inference as y = x·scale + shift (per feature). */
export function batchNormAffine(gamma: Tensor | null, beta: Tensor | null, mean: Tensor, variance: Tensor, epsilon: number): { scale: Float32Array; shift: Float32Array } {
  const n = mean.size;
  const scale = new Float32Array(n);
  const shift = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    scale[i] = (gamma ? gamma.data[i] : 1) / Math.sqrt(variance.data[i] + epsilon);
    shift[i] = (beta ? beta.data[i] : 0) - mean.data[i] * scale[i];
  }
  return { scale, shift };
}

/** Keras activations as ONNX RNN activation names, with HardSigmoid's alpha and beta. */
export function rnnActivation(name: string): { name: string; alpha?: number; beta?: number } | null {
  switch (name) {
    case 'tanh':
      return { name: 'Tanh' };
    case 'sigmoid':
      return { name: 'Sigmoid' };
    case 'relu':
      return { name: 'Relu' };
    case 'hardSigmoid': // Keras 3: x/6 + 1/2
      return { name: 'HardSigmoid', alpha: 1 / 6, beta: 0.5 };
    case 'hardSigmoidKeras2': // Keras 2, TensorFlow.js: 0.2·x + 1/2
      return { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 };
    default:
      return null;
  }
}
