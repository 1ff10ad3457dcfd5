/**
 * `model.summary()` in the format of tf.keras 2.15's print_summary: columns at 45% / 85% of 65
 * characters for chain-like models; a fourth "Connected to" column (98 characters) for graphs
 * with branches or several inputs. Long cells wrap onto the next line, as Keras wraps them.
 */
import { InputLayer } from '../engine/input';
import type { Layer } from '../engine/layer';
import { SymShape, fmtSymShape } from '../engine/shapes';
import type { Node, SymbolicTensor } from '../engine/symbolic';

/** What the summary reads from a model (models/model.ts passes itself). */
export interface SummarizedModel extends Layer {
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  readonly layers: Layer[];
  /** The layer applications in the order they run. */
  readonly graph: readonly Node[];
}

/** 652449 -> '652,449' (the same everywhere: no locale). */
export function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Keras's readable_memory_size for float32 weights. */
export function readableSize(params: number): string {
  const units = ['Byte', 'KB', 'MB', 'GB', 'TB'];
  let size = params * 4;
  let i = 0;
  while (size >= 1024 && i < units.length - 1) {
    size /= 1024;
    i++;
  }
  return `${size.toFixed(2)} ${units[i]}`;
}

function row(fields: string[], positions: number[]): string[] {
  const left = fields.slice();
  const lines: string[] = [];
  do {
    let line = '';
    for (let col = 0; col < left.length; col++) {
      const start = col > 0 ? positions[col - 1] : 0;
      const space = col !== positions.length - 1 ? 2 : 0;
      const cutoff = positions[col] - start - space - (col === 0 ? 1 : 0);
      if (col === 0) line += ' ';
      line += left[col].slice(0, cutoff) + ' '.repeat(space);
      left[col] = left[col].slice(cutoff);
      line += ' '.repeat(Math.max(0, positions[col] - line.length));
    }
    lines.push(line);
  } while (left.some((f) => f.length > 0));
  return lines;
}

function shapeText(shapes: SymShape[], asList: boolean): string {
  const parts = shapes.map(fmtSymShape);
  return asList || parts.length > 1 ? `[${parts.join(', ')}]` : parts[0];
}

function isChain(model: SummarizedModel, nodes: readonly Node[]): boolean {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return false;
  const consumed = new Set<number>();
  for (const n of nodes) {
    const deps = n.dependencies;
    if (deps.length !== 1 || consumed.has(deps[0].id)) return false;
    consumed.add(deps[0].id);
  }
  return true;
}

export function summaryLines(model: SummarizedModel, lineLength?: number): string[] {
  const nodes = model.graph;
  const chain = isChain(model, nodes);
  const width = lineLength ?? (chain ? 65 : 98);
  const fractions = chain ? [0.45, 0.85, 1] : [0.3, 0.6, 0.7, 1];
  const positions = fractions.map((p) => Math.floor(width * p));
  const header = chain ? ['Layer (type)', 'Output Shape', 'Param #'] : ['Layer (type)', 'Output Shape', 'Param #', 'Connected to'];
  const lines: string[] = [`Model: "${model.name}"`, '_'.repeat(width), ...row(header, positions), '='.repeat(width)];
  const showInputs = model.className !== 'Sequential';
  const layers = model.layers.filter((l) => showInputs || !(l instanceof InputLayer));
  layers.forEach((layer: Layer, i) => {
    const isInput = layer instanceof InputLayer;
    const own = isInput ? layer.inboundNodes : nodes.filter((n) => n.layer === layer);
    const shape = own.length === 1 ? shapeText(own[0].outputs.map((o) => o.shape), isInput) : 'multiple';
    const fields = [`${layer.name} (${layer.className})`, shape, String(layer.countParams())];
    if (!chain) {
      const conn = own.flatMap((n) => n.dependencies.map((d) => `'${d.node.layer.name}[0][${d.outputIndex}]'`));
      fields.push(conn.length ? `[${conn.join(', ')}]` : '[]');
    }
    lines.push(...row(fields, positions));
    // tf.keras 2.15: a blank line after each row of a chain; rules between rows of a graph
    if (chain) lines.push(' '.repeat(width));
    else if (i < layers.length - 1) lines.push('_'.repeat(width));
  });
  lines.push('='.repeat(width));
  const total = model.countParams();
  const trainable = model.trainableWeights.reduce((n, w) => n + w.value.size, 0);
  // Keras prints the totals with thousands separators ('Total params: 652,449'), the rows without
  lines.push(`Total params: ${grouped(total)} (${readableSize(total)})`);
  lines.push(`Trainable params: ${grouped(trainable)} (${readableSize(trainable)})`);
  lines.push(`Non-trainable params: ${grouped(total - trainable)} (${readableSize(total - trainable)})`);
  lines.push('_'.repeat(width));
  return lines;
}
