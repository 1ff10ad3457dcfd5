/**
 * SHA-256 (FIPS 180-4) over bytes, in plain TypeScript: the weights file's checksums, the same on
 * every platform (a page has no synchronous `crypto.createHash`). Tests hold it to Node's crypto.
 */

/** The first 64 primes. */
const PRIMES: number[] = [];
for (let n = 2; PRIMES.length < 64; n++) if (PRIMES.every((p) => n % p !== 0)) PRIMES.push(n);

/** The first 32 bits of the fractional part of x. */
const frac32 = (x: number): number => ((x - Math.floor(x)) * 2 ** 32) >>> 0;

/**
 * The round constants and the initial hash, as FIPS 180-4 defines them: the first 32 bits of the
 * fractional parts of the cube roots of the first 64 primes, and of the square roots of the first 8.
 * Computed here rather than listed (the list is 0x428a2f98, 0x71374491, …; tests hold the digests
 * to Node's crypto): every one of those bits is at least 0.005·2⁻³² away from changing, far more
 * than the error of a double's cube root, so every engine gets the same constants.
 */
const K = Uint32Array.from(PRIMES, (p) => frac32(Math.cbrt(p)));
const H0 = PRIMES.slice(0, 8).map((p) => frac32(Math.sqrt(p)));

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/** The 32-byte SHA-256 digest of `bytes`. */
export function sha256(bytes: Uint8Array): Uint8Array {
  const h = Uint32Array.from(H0);
  // message, a 1 bit, zeros, and the bit length (64-bit big-endian) to a multiple of 64 bytes
  const blocks = Math.ceil((bytes.length + 9) / 64);
  const msg = new Uint8Array(blocks * 64);
  msg.set(bytes);
  msg[bytes.length] = 0x80;
  const view = new DataView(msg.buffer);
  const bits = bytes.length * 8;
  view.setUint32(msg.length - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(msg.length - 4, bits >>> 0);
  const w = new Uint32Array(64);
  for (let blk = 0; blk < blocks; blk++) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(blk * 64 + 4 * t);
    for (let t = 16; t < 64; t++) {
      const s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
      const s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(4 * i, h[i]);
  return out;
}

/** Lower-case hexadecimal of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
