/**
 * An independent oracle: ONNX graphs written out op by op in the tests (nothing from the layers
 * under test) and run by ONNX Runtime (`onnxruntime-web`, its wasm backend in Node). The bytes
 * come from seqlab's one ONNX encoder (`encodeOnnxModel`, protobufjs over onnx.proto's fields),
 * which the exporter uses too.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { OnnxAttribute, OnnxNode, encodeOnnxModel } from '@seqlab/layers';

export type Attribute = OnnxAttribute;
export type { OnnxNode };

export interface OnnxGraph {
  nodes: OnnxNode[];
  /** Graph inputs; a null dimension takes any size. */
  inputs: { name: string; dims: (number | null)[]; type?: 'float32' | 'int32' }[];
  outputs: { name: string; dims: (number | null)[] }[];
  /** Default opset 14 (GRU and LSTM with `layout`). */
  opset?: number;
}

export function encodeModel(g: OnnxGraph): Uint8Array {
  return encodeOnnxModel({ nodes: g.nodes, inputs: g.inputs, outputs: g.outputs, opset: g.opset ?? 14, name: 'oracle' });
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
  return runOnnxBytes(encodeModel(g), feeds);
}

/** Runs an ONNX file's bytes (as `runOnnx`), e.g. what `exportOnnx` wrote. */
export function runOnnxBytes(model: Uint8Array, feeds: Record<string, OnnxTensor>[]): OnnxOutputs[] {
  return runOnnxModels([{ model, feeds }])[0];
}

/** Several ONNX files in one ONNX Runtime process: the outputs of each feed set of each model. */
export function runOnnxModels(jobs: { model: Uint8Array; feeds: Record<string, OnnxTensor>[] }[]): OnnxOutputs[][] {
  const request = {
    jobs: jobs.map((j) => ({
      model: Buffer.from(j.model).toString('base64'),
      runs: j.feeds.map((f) => Object.fromEntries(Object.entries(f).map(([name, t]) => [name, { data: Array.from(t.data), dims: t.dims, type: t.type ?? 'float32' }]))),
    })),
  };
  const stdout = execFileSync(process.execPath, [path.join(__dirname, 'onnx_runner.js')], {
    input: JSON.stringify(request),
    cwd: path.resolve(__dirname, '..', '..'),
    maxBuffer: 1 << 28,
    encoding: 'utf8',
  });
  const all = JSON.parse(stdout) as Record<string, { data: number[]; dims: number[] }>[][];
  return all.map((runs) => runs.map((r) => Object.fromEntries(Object.entries(r).map(([name, t]) => [name, { data: Float32Array.from(t.data), dims: t.dims }]))));
}
