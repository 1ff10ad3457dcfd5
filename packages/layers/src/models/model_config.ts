/**
 * Functional models to and from Keras's configuration (the Keras 2 layout, which TensorFlow.js
 * reads and writes):
 *
 *   { name, layers: [{ class_name, config, name, inbound_nodes: [[[layer, node, tensor, {}], ...]] }],
 *     input_layers: [[layer, node, tensor]], output_layers: [[layer, node, tensor]] }
 *
 * `node` counts the applications of a layer inside this model (a layer shared by two branches
 * has nodes 0 and 1); `tensor` picks one output of a layer that returns several (returnState).
 * A recurrent layer called with initial states lists them after its input, as Keras 2 does.
 */
import { CustomObjects, LayerConfig, deserialize } from '../engine/config';
import { InputLayer } from '../engine/input';
import { Layer } from '../engine/layer';
import { Node, SymbolicTensor } from '../engine/symbolic';
import { VectorizerLayer, isStringVectorizer } from '../layers/vectorizer';
import { twoDirections } from '../recurrent/directions';
import { RNN } from '../recurrent/rnn';

/** What this module needs of a functional model. */
export interface GraphView {
  readonly name: string;
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  readonly graph: readonly Node[];
  readonly layers: Layer[];
}

type TensorRef = [string, number, number];

/** The index of `node` among this model's applications of its layer (inputs: 0). */
function nodeIndexer(model: GraphView): (node: Node) => number {
  const index = new Map<Node, number>();
  const counts = new Map<Layer, number>();
  for (const n of model.graph) {
    const k = counts.get(n.layer) ?? 0;
    index.set(n, k);
    counts.set(n.layer, k + 1);
  }
  return (node) => index.get(node) ?? 0;
}

export function functionalConfig(model: GraphView): Record<string, unknown> {
  const nodeIndex = nodeIndexer(model);
  const ref = (t: SymbolicTensor): TensorRef => [t.node.layer.name, nodeIndex(t.node), t.outputIndex];
  const layers = model.layers.map((layer) => {
    const nodes = model.graph.filter((n) => n.layer === layer);
    return {
      ...layer.toConfig(),
      name: layer.name,
      inbound_nodes: nodes.map((n) => n.dependencies.map((t) => [...ref(t), {}])),
    };
  });
  return {
    name: model.name,
    layers,
    input_layers: model.inputs.map(ref),
    output_layers: model.outputs.map(ref),
  };
}

/** A deserialized entry as a layer (a text vectorizer is wrapped, as Sequential.add does). */
export function asLayer(x: unknown, who: string): Layer {
  if (isStringVectorizer(x)) return new VectorizerLayer({ vectorizer: x });
  if (!(x instanceof Layer)) throw new Error(`${who}: expected a layer, the configuration gave ${String(x)}`);
  return x;
}

function checkRef(v: unknown, who: string): TensorRef {
  if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'number' || typeof v[2] !== 'number') {
    throw new Error(`${who}: expected a tensor reference [layer name, node index, tensor index], received ${JSON.stringify(v)}`);
  }
  return [v[0], v[1], v[2]];
}

/**
 * Rebuilds the graph a functional config describes: creates each layer, then applies it to its
 * inbound tensors, in the file's order (a layer whose inputs are not ready yet waits for the next
 * pass, as Keras does). Returns the model's symbolic inputs and outputs.
 */
export function graphFromConfig(config: Record<string, unknown>, custom: CustomObjects): { name?: string; inputs: SymbolicTensor[]; outputs: SymbolicTensor[] } {
  const who = `Functional '${String(config.name)}': fromConfig`;
  const entries = config.layers;
  if (!Array.isArray(entries)) throw new Error(`${who}: expected 'layers' to be a list, received ${JSON.stringify(entries)}`);
  const byName = new Map<string, Layer>();
  const produced = new Map<string, SymbolicTensor[][]>(); // layer name -> outputs of node k
  const pending: { name: string; layer: Layer; nodes: unknown[]; next: number }[] = [];
  for (const e of entries as LayerConfig[]) {
    const layer = asLayer(deserialize(e, custom), who);
    const name = e.name ?? layer.name;
    if (byName.has(name)) throw new Error(`${who}: two layers are named '${name}'`);
    byName.set(name, layer);
    if (layer instanceof InputLayer) produced.set(name, [[layer.output]]);
    else pending.push({ name, layer, nodes: Array.isArray(e.inbound_nodes) ? e.inbound_nodes : [], next: 0 });
  }
  const lookup = (r: TensorRef): SymbolicTensor | undefined => produced.get(r[0])?.[r[1]]?.[r[2]];
  let progress = true;
  while (progress) {
    progress = false;
    for (const p of pending) {
      while (p.next < p.nodes.length) {
        const node = p.nodes[p.next];
        if (!Array.isArray(node)) throw new Error(`${who}: layer '${p.layer.name}' has an inbound node that is not a list: ${JSON.stringify(node)}`);
        const refs = node.map((r) => checkRef(r, who));
        for (const r of refs) if (!byName.has(r[0])) throw new Error(`${who}: layer '${p.layer.name}' reads from '${r[0]}', which is not in the model`);
        const ins = refs.map(lookup);
        if (ins.some((t) => t === undefined)) break;
        const tensors = ins as SymbolicTensor[];
        const recurrent = p.layer instanceof RNN || twoDirections(p.layer) !== null;
        const out =
          recurrent && tensors.length > 1
            ? p.layer.apply(tensors[0], { initialState: tensors.slice(1) })
            : tensors.length === 1
              ? p.layer.apply(tensors[0])
              : p.layer.apply(tensors);
        const list = produced.get(p.name) ?? [];
        list.push(Array.isArray(out) ? out : [out]);
        produced.set(p.name, list);
        p.next++;
        progress = true;
      }
    }
  }
  const stuck = pending.find((p) => p.next < p.nodes.length);
  if (stuck) throw new Error(`${who}: the inputs of layer '${stuck.layer.name}' never become available (a cycle or a missing layer)`);
  const resolve = (key: string) => {
    const list = config[key];
    if (!Array.isArray(list)) throw new Error(`${who}: expected '${key}' to be a list of tensor references, received ${JSON.stringify(list)}`);
    return list.map((v) => {
      const r = checkRef(v, who);
      const t = lookup(r);
      if (!t) throw new Error(`${who}: ${key} names ${JSON.stringify(r)}, which the graph does not produce`);
      return t;
    });
  };
  return { name: typeof config.name === 'string' ? config.name : undefined, inputs: resolve('input_layers'), outputs: resolve('output_layers') };
}
