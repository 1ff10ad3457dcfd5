/**
 * An independent oracle: ONNX graphs encoded by hand (a few protobuf fields, nothing from the
 * code under test) and run by ONNX Runtime (`onnxruntime-web`, its wasm backend in Node).
 *
 * Protobuf wire format in brief: each field is a key varint (field number << 3 | wire type)
 * then its value; wire type 0 is a varint, 2 a length-prefixed byte string (strings, nested
 * messages, packed repeated numbers), 5 a 32-bit little-endian value. Field numbers are those
 * of onnx/onnx.proto.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

// ---------------------------------------------------------------------------------------------
// protobuf encoding

type Bytes = number[];

function varint(n: number): Bytes {
  const out: Bytes = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // int64 two's complement
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

const key = (field: number, wire: number): Bytes => varint((field << 3) | wire);
const intField = (field: number, n: number): Bytes => [...key(field, 0), ...varint(n)];
const bytesField = (field: number, b: Bytes | Uint8Array): Bytes => [...key(field, 2), ...varint(b.length), ...b];
const stringField = (field: number, s: string): Bytes => bytesField(field, Array.from(Buffer.from(s, 'utf8')));
const floatField = (field: number, x: number): Bytes => [...key(field, 5), ...new Uint8Array(new Float32Array([x]).buffer)];

// ---------------------------------------------------------------------------------------------
// ONNX messages (only the fields these tests need)

const FLOAT = 1; // TensorProto.DataType
const INT32 = 6;

/**
 * ValueInfoProto { name = 1, type = 2 { tensor_type = 1 { elem_type = 1, shape = 2 { dim = 1 {
 * dim_value = 1 | dim_param = 2 } } } } }; a null dimension is symbolic (any size).
 */
function valueInfo(name: string, dims: (number | null)[], elemType = FLOAT): Bytes {
  const shape = dims.flatMap((d, i) => bytesField(1, d === null ? stringField(2, `${name}_${i}`) : intField(1, d)));
  const tensorType = [...intField(1, elemType), ...bytesField(2, shape)];
  return [...stringField(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

export type Attribute = { name: string } & ({ i: number } | { f: number } | { s: string } | { floats: number[] } | { strings: string[] });

/** AttributeProto { name = 1, f = 2, i = 3, s = 4, floats = 7, strings = 9, type = 20 } */
function attribute(a: Attribute): Bytes {
  const out = stringField(1, a.name);
  if ('i' in a) return [...out, ...intField(3, a.i), ...intField(20, 2)];
  if ('f' in a) return [...out, ...floatField(2, a.f), ...intField(20, 1)];
  if ('s' in a) return [...out, ...stringField(4, a.s), ...intField(20, 3)];
  if ('floats' in a) return [...out, ...a.floats.flatMap((x) => floatField(7, x)), ...intField(20, 6)];
  return [...out, ...a.strings.flatMap((s) => stringField(9, s)), ...intField(20, 8)];
}

export interface OnnxNode {
  opType: string;
  /** Input names; '' for an optional input left out. */
  inputs: string[];
  outputs: string[];
  attributes?: Attribute[];
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  /** Graph inputs; a null dimension takes any size. */
  inputs: { name: string; dims: (number | null)[]; type?: 'float32' | 'int32' }[];
  outputs: { name: string; dims: (number | null)[] }[];
  /** Default opset 14 (GRU and LSTM with `layout`). */
  opset?: number;
}

/** ModelProto { ir_version = 1, graph = 7 { node = 1, name = 2, input = 11, output = 12 }, opset_import = 8 { domain = 1, version = 2 } } */
export function encodeModel(g: OnnxGraph): Uint8Array {
  const nodes = g.nodes.flatMap((n, k) =>
    bytesField(1, [
      ...n.inputs.flatMap((s) => stringField(1, s)),
      ...n.outputs.flatMap((s) => stringField(2, s)),
      ...stringField(3, `${n.opType.toLowerCase()}_${k}`),
      ...stringField(4, n.opType),
      ...(n.attributes ?? []).flatMap((a) => bytesField(5, attribute(a))),
    ]),
  );
  const graph = [
    ...nodes,
    ...stringField(2, 'oracle'),
    ...g.inputs.flatMap((x) => bytesField(11, valueInfo(x.name, x.dims, x.type === 'int32' ? INT32 : FLOAT))),
    ...g.outputs.flatMap((y) => bytesField(12, valueInfo(y.name, y.dims))),
  ];
  const model = [...intField(1, 8), ...stringField(2, 'seqlab-tests'), ...bytesField(7, graph), ...bytesField(8, [...stringField(1, ''), ...intField(2, g.opset ?? 14)])];
  return Uint8Array.from(model);
}

// ---------------------------------------------------------------------------------------------
// running it

export interface OnnxTensor {
  data: ArrayLike<number>;
  dims: number[];
  /** Default 'float32'. */
  type?: 'float32' | 'int32';
}

export type OnnxOutputs = Record<string, { data: Float32Array; dims: number[] }>;

/**
 * Runs the graph once per feed set with ONNX Runtime (wasm backend, one thread) and returns the
 * outputs of each run. ONNX Runtime loads its wasm glue with a dynamic `import()`, which jest's
 * module sandbox refuses, so it runs in a child Node process (onnx_runner.js): one process and
 * one session for all the feed sets.
 */
export function runOnnx(g: OnnxGraph, feeds: Record<string, OnnxTensor>[]): OnnxOutputs[] {
  const request = {
    model: Buffer.from(encodeModel(g)).toString('base64'),
    runs: feeds.map((f) => Object.fromEntries(Object.entries(f).map(([name, t]) => [name, { data: Array.from(t.data), dims: t.dims, type: t.type ?? 'float32' }]))),
  };
  const stdout = execFileSync(process.execPath, [path.join(__dirname, 'onnx_runner.js')], {
    input: JSON.stringify(request),
    cwd: path.resolve(__dirname, '..', '..'),
    maxBuffer: 1 << 28,
    encoding: 'utf8',
  });
  const runs = JSON.parse(stdout) as Record<string, { data: number[]; dims: number[] }>[];
  return runs.map((r) => Object.fromEntries(Object.entries(r).map(([name, t]) => [name, { data: Float32Array.from(t.data), dims: t.dims }])));
}
