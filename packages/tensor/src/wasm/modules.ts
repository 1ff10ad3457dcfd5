/**
 * The generated modules, for a reader to print or disassemble (e.g. with wabt's `wasm2wat`):
 *
 *   import { wasmModules } from '@seqlab/tensor';
 *   for (const { name, bytes } of wasmModules()) fs.writeFileSync(`${name}.wasm`, bytes);
 *   // npx wasm2wat --enable-relaxed-simd gemm.wasm        (and vector.wasm: σ, tanh, exp; lanes.wasm: the cells' element-wise primitives; adam.wasm: the Adam step)
 */
import { adamModule } from './adam_kernel';
import { gemmModule } from './gemm_kernel';
import { lanesModule } from './lanes_kernel';
import { relaxedAvailable } from './runtime';
import { vectorModule } from './vector_kernel';

/** One generated wasm module: its name ('gemm', 'vector', ...), whether it uses relaxed SIMD, its bytes. */
export interface WasmModuleBytes {
  name: string;
  /** Whether it uses relaxed SIMD (`f32x4.relaxed_madd`). */
  relaxed: boolean;
  bytes: Uint8Array;
}

/** The modules as this engine runs them (`relaxed`: the FMA variant, whether or not it validates here). */
export function wasmModules(relaxed = relaxedAvailable()): WasmModuleBytes[] {
  return [
    { name: 'gemm', relaxed, bytes: gemmModule(relaxed) },
    { name: 'vector', relaxed: false, bytes: vectorModule() },
    { name: 'lanes', relaxed: false, bytes: lanesModule() },
    { name: 'adam', relaxed: false, bytes: adamModule() },
  ];
}
