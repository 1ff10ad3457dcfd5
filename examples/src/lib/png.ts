/**
 * A minimal grayscale PNG encoder (8-bit, one IDAT, zlib from Node), for digit images: small files
 * to write beside the SVGs and to embed in them as data URLs.
 */
import * as zlib from 'zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** PNG bytes of a `height x width` image with values in [0, 1] (0 black, 1 white), scaled up `scale` times. */
export function grayPng(pixels: ArrayLike<number>, width: number, height: number, scale = 1): Buffer {
  const w = width * scale;
  const h = height * scale;
  const raw = Buffer.alloc(h * (w + 1));
  for (let y = 0; y < h; y++) {
    raw[y * (w + 1)] = 0; // filter: none
    for (let x = 0; x < w; x++) {
      const v = pixels[Math.floor(y / scale) * width + Math.floor(x / scale)];
      raw[y * (w + 1) + 1 + x] = Math.max(0, Math.min(255, Math.round(v * 255)));
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(w, 0);
  header.writeUInt32BE(h, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // grayscale
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** Several images side by side in `columns` columns, with a gap, as one PNG (white background between). */
export function gridPng(images: ArrayLike<number>[], width: number, height: number, columns: number, scale = 3, gap = 2): Buffer {
  const rows = Math.ceil(images.length / columns);
  const W = columns * width + (columns - 1) * gap;
  const H = rows * height + (rows - 1) * gap;
  const px = new Float32Array(W * H).fill(1);
  images.forEach((img, k) => {
    const ox = (k % columns) * (width + gap);
    const oy = Math.floor(k / columns) * (height + gap);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) px[(oy + y) * W + ox + x] = img[y * width + x];
  });
  return grayPng(px, W, H, scale);
}

export function dataUrl(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}
