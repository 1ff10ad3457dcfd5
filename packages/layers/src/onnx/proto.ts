/**
 * ONNX's protobuf messages (the fields seqlab writes, numbered as in onnx/onnx.proto) and one
 * encoder for them, with protobufjs: every ONNX file seqlab or its tests write goes through
 * `encodeOnnxModel`.
 */
// the reflection build without the .proto parser; '.js' spelled out for ESM resolution (the package has no exports map)
import * as protobuf from 'protobufjs/light.js';

const f = (id: number, type: string, rule?: 'repeated') => (rule ? { id, type, rule } : { id, type });

const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            ir_version: f(1, 'int64'), producer_name: f(2, 'string'), producer_version: f(3, 'string'), domain: f(4, 'string'),
            model_version: f(5, 'int64'), doc_string: f(6, 'string'), graph: f(7, 'GraphProto'), opset_import: f(8, 'OperatorSetIdProto', 'repeated'),
          },
        },
        OperatorSetIdProto: { fields: { domain: f(1, 'string'), version: f(2, 'int64') } },
        GraphProto: {
          fields: {
            node: f(1, 'NodeProto', 'repeated'), name: f(2, 'string'), initializer: f(5, 'TensorProto', 'repeated'), doc_string: f(10, 'string'),
            input: f(11, 'ValueInfoProto', 'repeated'), output: f(12, 'ValueInfoProto', 'repeated'),
          },
        },
        NodeProto: {
          fields: {
            input: f(1, 'string', 'repeated'), output: f(2, 'string', 'repeated'), name: f(3, 'string'), op_type: f(4, 'string'),
            attribute: f(5, 'AttributeProto', 'repeated'), domain: f(7, 'string'),
          },
        },
        AttributeProto: {
          fields: {
            name: f(1, 'string'), f: f(2, 'float'), i: f(3, 'int64'), s: f(4, 'bytes'), t: f(5, 'TensorProto'),
            floats: f(7, 'float', 'repeated'), ints: f(8, 'int64', 'repeated'), strings: f(9, 'bytes', 'repeated'), type: f(20, 'int32'),
          },
        },
        TensorProto: { fields: { dims: f(1, 'int64', 'repeated'), data_type: f(2, 'int32'), name: f(8, 'string'), raw_data: f(9, 'bytes') } },
        ValueInfoProto: { fields: { name: f(1, 'string'), type: f(2, 'TypeProto') } },
        TypeProto: { fields: { tensor_type: f(1, 'TypeProtoTensor') } },
        TypeProtoTensor: { fields: { elem_type: f(1, 'int32'), shape: f(2, 'TensorShapeProto') } },
        TensorShapeProto: { fields: { dim: f(1, 'Dimension', 'repeated') } },
        Dimension: { fields: { dim_value: f(1, 'int64'), dim_param: f(2, 'string') } },
      },
    },
  },
};

let modelType: protobuf.Type | null = null;
function ModelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(SCHEMA).lookupType('onnx.ModelProto');
  return modelType;
}

/** TensorProto.DataType values used here. */
export const ONNX_TYPES = { float32: 1, int32: 6, int64: 7, bool: 9 } as const;
/** An element type of a graph input or output: 'float32', 'int32', 'int64' or 'bool'. */
export type OnnxElemType = keyof typeof ONNX_TYPES;

/** A node attribute (AttributeProto): a name and one int, float, string, or list of floats, ints or strings. */
export type OnnxAttribute = { name: string } & ({ i: number } | { f: number } | { s: string } | { floats: number[] } | { ints: number[] } | { strings: string[] });

/** One operator of the graph (NodeProto): its type, input and output tensor names, attributes. */
export interface OnnxNode {
  opType: string;
  /** Input names; '' for an optional input left out. */
  inputs: string[];
  outputs: string[];
  attributes?: OnnxAttribute[];
}

/** A constant of the graph: float32 or int64 values with their shape. */
export interface OnnxInitializer {
  name: string;
  dims: number[];
  type: 'float32' | 'int64';
  values: ArrayLike<number>;
}

/** A whole graph to encode: nodes, constants, typed inputs and outputs, opset. */
export interface OnnxGraphSpec {
  nodes: OnnxNode[];
  /** Graph inputs; a string dimension is symbolic ('batch'), null gets a generated symbol. */
  inputs: { name: string; dims: (number | string | null)[]; type?: OnnxElemType }[];
  outputs: { name: string; dims: (number | string | null)[]; type?: OnnxElemType }[];
  initializers?: OnnxInitializer[];
  name?: string;
  /** Default 14 (GRU and LSTM with `layout`). */
  opset?: number;
  docString?: string;
}

// AttributeProto.AttributeType
const ATTR = { f: 1, i: 2, s: 3, floats: 6, ints: 7, strings: 8 } as const;

function attribute(a: OnnxAttribute): Record<string, unknown> {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  if ('i' in a) return { name: a.name, i: a.i, type: ATTR.i };
  if ('f' in a) return { name: a.name, f: a.f, type: ATTR.f };
  if ('s' in a) return { name: a.name, s: utf8(a.s), type: ATTR.s };
  if ('floats' in a) return { name: a.name, floats: a.floats, type: ATTR.floats };
  if ('ints' in a) return { name: a.name, ints: a.ints, type: ATTR.ints };
  return { name: a.name, strings: a.strings.map(utf8), type: ATTR.strings };
}

function valueInfo(v: { name: string; dims: (number | string | null)[]; type?: OnnxElemType }): Record<string, unknown> {
  const dim = v.dims.map((d, i) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d ?? `${v.name}_${i}` }));
  return { name: v.name, type: { tensor_type: { elem_type: ONNX_TYPES[v.type ?? 'float32'], shape: { dim } } } };
}

/** Little-endian bytes of an initializer's values (TensorProto.raw_data). */
function rawData(t: OnnxInitializer): Uint8Array {
  const n = t.values.length;
  const out = new Uint8Array(n * (t.type === 'int64' ? 8 : 4));
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    if (t.type === 'int64') view.setBigInt64(8 * i, BigInt(t.values[i]), true);
    else view.setFloat32(4 * i, t.values[i], true);
  }
  return out;
}

/** The ModelProto bytes of a graph (IR version 8, the default domain at `opset`). */
export function encodeOnnxModel(g: OnnxGraphSpec): Uint8Array {
  const message = {
    ir_version: 8,
    producer_name: 'seqlab',
    doc_string: g.docString ?? '',
    opset_import: [{ domain: '', version: g.opset ?? 14 }],
    graph: {
      name: g.name ?? 'seqlab',
      node: g.nodes.map((n, k) => ({ input: n.inputs, output: n.outputs, name: `${n.opType.toLowerCase()}_${k}`, op_type: n.opType, attribute: (n.attributes ?? []).map(attribute) })),
      initializer: (g.initializers ?? []).map((t) => ({ name: t.name, dims: t.dims, data_type: ONNX_TYPES[t.type], raw_data: rawData(t) })),
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
    },
  };
  const type = ModelProto();
  return type.encode(type.fromObject(message)).finish();
}
