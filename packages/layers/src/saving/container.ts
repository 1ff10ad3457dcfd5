/**
 * The checksummed container of seqlab's model file, little-endian, the same bytes on every
 * platform (no Node module here):
 *
 *   offset 0   8 bytes   magic ("SEQLABM1")
 *   offset 8   uint32    manifest length M in bytes
 *   offset 12  32 bytes  SHA-256 of the manifest bytes
 *   offset 44  M bytes   manifest, UTF-8 JSON, holding { format, version, dataByteLength, dataSha256, ... }
 *   offset 44+M          data (the arrays the manifest points into by offset)
 *
 * Decoding checks the magic, both checksums, the lengths and the version before anything reads the
 * manifest's contents, and names the file and what is wrong.
 */
import { sha256, toHex } from '../training/sha256';

const HEADER = 8 + 4 + 32;

/** A non-negative integer that can count bytes or values. */
export const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export interface ContainerManifest {
  format: string;
  version: number;
  dataByteLength: number;
  dataSha256: string;
}

export function encodeContainer(magic: string, manifest: Omit<ContainerManifest, 'dataByteLength' | 'dataSha256'> & Record<string, unknown>, data: Uint8Array): Uint8Array {
  const full = { ...manifest, dataByteLength: data.length, dataSha256: toHex(sha256(data)) };
  const m = new TextEncoder().encode(JSON.stringify(full));
  const out = new Uint8Array(HEADER + m.length + data.length);
  for (let i = 0; i < 8; i++) out[i] = magic.charCodeAt(i);
  new DataView(out.buffer).setUint32(8, m.length, true);
  out.set(sha256(m), 12);
  out.set(m, HEADER);
  out.set(data, HEADER + m.length);
  return out;
}

/**
 * Verifies and opens a container: `format` and `version` are what this seqlab writes; a file of
 * a newer version is refused with a message that says so.
 */
export function decodeContainer<M extends ContainerManifest>(
  bytes: Uint8Array,
  expect: { magic: string; format: string; version: number; who: string; source: string },
): { manifest: M; data: Uint8Array } {
  const fail = (why: string): never => {
    throw new Error(`${expect.who}: ${expect.source} is not a valid ${expect.format} file: ${why}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected bytes (Uint8Array), received ${typeof bytes}`);
  if (bytes.length < HEADER) fail(`it has ${bytes.length} bytes, fewer than the ${HEADER}-byte header`);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== expect.magic) fail(`wrong magic ${JSON.stringify(magic)}, expected '${expect.magic}'`);
  const mLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (HEADER + mLen > bytes.length) fail(`the manifest needs ${mLen} bytes but the file is cut short at ${bytes.length} bytes`);
  const mBytes = bytes.subarray(HEADER, HEADER + mLen);
  if (toHex(sha256(mBytes)) !== toHex(bytes.subarray(12, HEADER))) fail('the manifest checksum does not match (the manifest is corrupted)');
  let manifest: M;
  try {
    manifest = JSON.parse(new TextDecoder().decode(mBytes)) as M;
  } catch (e) {
    return fail(`the manifest is not JSON (${(e as Error).message})`);
  }
  if (manifest === null || typeof manifest !== 'object') return fail(`the manifest is ${JSON.stringify(manifest)}, not an object`);
  if (manifest.format !== expect.format) fail(`the manifest says format ${JSON.stringify(manifest.format)}, expected '${expect.format}'`);
  if (typeof manifest.version !== 'number' || manifest.version > expect.version) {
    throw new Error(
      `${expect.who}: ${expect.source} was written by a newer seqlab (${expect.format} version ${JSON.stringify(manifest.version)}); ` +
        `this seqlab reads versions up to ${expect.version}. Upgrade seqlab to load it.`,
    );
  }
  if (!isCount(manifest.dataByteLength)) fail(`dataByteLength is ${JSON.stringify(manifest.dataByteLength)}, expected a byte count`);
  if (typeof manifest.dataSha256 !== 'string') fail(`dataSha256 is ${JSON.stringify(manifest.dataSha256)}, expected a hex string`);
  const data = bytes.subarray(HEADER + mLen);
  if (data.length !== manifest.dataByteLength) fail(`the data section has ${data.length} bytes, the manifest says ${manifest.dataByteLength} (file truncated or padded)`);
  if (toHex(sha256(data)) !== manifest.dataSha256) fail('the data checksum does not match (the data are corrupted)');
  return { manifest, data };
}

/**
 * Reads `length` values of `kind` at byte `offset` of `data`, after checking the range lies
 * inside it and is aligned; `what` names the array in errors.
 */
export function readArray(data: Uint8Array, kind: 'float32' | 'float64', offset: unknown, length: unknown, what: string, fail: (why: string) => never): Float32Array | Float64Array {
  const size = kind === 'float32' ? 4 : 8;
  if (!isCount(offset) || !isCount(length) || offset % size !== 0 || offset + length * size > data.length) {
    fail(`${what} points at bytes [${String(offset)}, +${String(length)}×${size}) outside the ${data.length}-byte data section`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = length as number;
  const out = kind === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = kind === 'float32' ? view.getFloat32((offset as number) + 4 * i, true) : view.getFloat64((offset as number) + 8 * i, true);
  return out;
}

/** Appends float arrays to one data section; `add` returns each array's byte offset. */
export class DataWriter {
  private chunks: { kind: 'float32' | 'float64'; values: ArrayLike<number>; offset: number }[] = [];
  private size = 0;

  add(kind: 'float32' | 'float64', values: ArrayLike<number>): number {
    const width = kind === 'float32' ? 4 : 8;
    this.size = Math.ceil(this.size / width) * width; // aligned
    const offset = this.size;
    this.chunks.push({ kind, values, offset });
    this.size += values.length * width;
    return offset;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    const view = new DataView(out.buffer);
    for (const c of this.chunks) {
      for (let i = 0; i < c.values.length; i++) {
        if (c.kind === 'float32') view.setFloat32(c.offset + 4 * i, c.values[i], true);
        else view.setFloat64(c.offset + 8 * i, c.values[i], true);
      }
    }
    return out;
  }
}
