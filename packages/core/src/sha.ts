// SHA-1, SHA-256 and SHA-512 (FIPS 180-4) in plain JavaScript, for the synchronous path on
// runtimes without node:crypto (Web Crypto has no synchronous digest). Base strings and
// bodies are small; correctness and portability matter here, not speed (Node never loads it).

/** @internal */
export type ShaName = 'sha1' | 'sha256' | 'sha512';

/** @internal Block size in bytes, for HMAC. */
export const SHA_BLOCK: Record<ShaName, number> = { sha1: 64, sha256: 64, sha512: 128 };

/** @internal */
export function sha(name: ShaName, data: Uint8Array): Uint8Array {
  if (name === 'sha1') return sha1(data);
  if (name === 'sha256') return sha256(data);
  return sha512(data);
}

/** The message, 0x80, zeros, and the bit length big-endian in the last `lengthBytes`. */
function pad(data: Uint8Array, block: number, lengthBytes: number): DataView {
  const size = Math.ceil((data.length + 1 + lengthBytes) / block) * block;
  const bytes = new Uint8Array(size);
  bytes.set(data);
  bytes[data.length] = 0x80;
  const view = new DataView(bytes.buffer);
  // Bit length up to 2^53: the low 32 bits and the rest.
  view.setUint32(size - 4, (data.length * 8) >>> 0);
  view.setUint32(size - 8, Math.floor(data.length / 0x20000000));
  return view;
}

function sha1(data: Uint8Array): Uint8Array {
  const view = pad(data, 64, 8);
  const w = new Int32Array(80);
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  for (let off = 0; off < view.byteLength; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getInt32(off + i * 4);
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc | 0;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6 | 0;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  return words32([h0, h1, h2, h3, h4]);
}

function words32(words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < words.length; i++) view.setInt32(i * 4, words[i]!);
  return out;
}

// The constants are the fractional parts of square and cube roots of the first primes
// (FIPS 180-4 §4.2, §5.3), computed exactly with BigInt once rather than typed out.
function primes(count: number): bigint[] {
  const out: bigint[] = [];
  for (let n = 2; out.length < count; n++) {
    if (out.every((p) => n % Number(p) !== 0)) out.push(BigInt(n));
  }
  return out;
}

function iroot(x: bigint, k: bigint): bigint {
  // Newton's method from above: floor(x^(1/k)).
  let r = 1n << BigInt(Math.ceil(x.toString(2).length / Number(k)) + 1);
  for (;;) {
    const next = ((k - 1n) * r + x / r ** (k - 1n)) / k;
    if (next >= r) return r;
    r = next;
  }
}

/** The first 64 fractional bits of the k-th root of each of the first `count` primes. */
function rootFractions(count: number, k: bigint): bigint[] {
  const mask = (1n << 64n) - 1n;
  return primes(count).map((p) => iroot(p << (64n * k), k) & mask);
}

interface Sha2Constants {
  readonly k256: Int32Array;
  readonly h256: Int32Array;
  /** SHA-512 round constants as (high, low) 32-bit pairs. */
  readonly k512: Int32Array;
  readonly h512: Int32Array;
}

let constants: Sha2Constants | undefined;

function sha2(): Sha2Constants {
  if (constants === undefined) {
    const cube = rootFractions(80, 3n);
    const square = rootFractions(8, 2n);
    const hi = (x: bigint) => Number(BigInt.asIntN(32, x >> 32n));
    const lo = (x: bigint) => Number(BigInt.asIntN(32, x));
    constants = {
      k256: Int32Array.from(cube.slice(0, 64), hi),
      h256: Int32Array.from(square, hi),
      k512: Int32Array.from(cube.flatMap((x) => [hi(x), lo(x)])),
      h512: Int32Array.from(square.flatMap((x) => [hi(x), lo(x)])),
    };
  }
  return constants;
}

function sha256(data: Uint8Array): Uint8Array {
  const { k256, h256 } = sha2();
  const view = pad(data, 64, 8);
  const h = Int32Array.from(h256);
  const w = new Int32Array(64);
  for (let off = 0; off < view.byteLength; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getInt32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15]!;
      const y = w[i - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    let a = h[0]!;
    let b = h[1]!;
    let c = h[2]!;
    let d = h[3]!;
    let e = h[4]!;
    let f = h[5]!;
    let g = h[6]!;
    let hh = h[7]!;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + k256[i]! + w[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = h[0]! + a;
    h[1] = h[1]! + b;
    h[2] = h[2]! + c;
    h[3] = h[3]! + d;
    h[4] = h[4]! + e;
    h[5] = h[5]! + f;
    h[6] = h[6]! + g;
    h[7] = h[7]! + hh;
  }
  return words32([...h]);
}

// SHA-512 over 64-bit words held as (high, low) pairs of 32-bit integers: BigInt would be
// simpler, and forty times slower, too slow for a body hash of a megabyte on a worker.
function rotrHi(h: number, l: number, n: number): number {
  return n < 32 ? (h >>> n) | (l << (32 - n)) : (l >>> (n - 32)) | (h << (64 - n));
}

function rotrLo(h: number, l: number, n: number): number {
  return n < 32 ? (l >>> n) | (h << (32 - n)) : (h >>> (n - 32)) | (l << (64 - n));
}

const TWO_32 = 4294967296;

function sha512(data: Uint8Array): Uint8Array {
  const { k512, h512 } = sha2();
  const view = pad(data, 128, 16);
  const h = Int32Array.from(h512);
  const w = new Int32Array(160);
  for (let off = 0; off < view.byteLength; off += 128) {
    for (let i = 0; i < 32; i++) w[i] = view.getInt32(off + i * 4);
    for (let i = 16; i < 80; i++) {
      const xh = w[(i - 15) * 2]!;
      const xl = w[(i - 15) * 2 + 1]!;
      const yh = w[(i - 2) * 2]!;
      const yl = w[(i - 2) * 2 + 1]!;
      // σ0 = rotr1 ^ rotr8 ^ shr7; σ1 = rotr19 ^ rotr61 ^ shr6
      const s0h = rotrHi(xh, xl, 1) ^ rotrHi(xh, xl, 8) ^ (xh >>> 7);
      const s0l = rotrLo(xh, xl, 1) ^ rotrLo(xh, xl, 8) ^ ((xl >>> 7) | (xh << 25));
      const s1h = rotrHi(yh, yl, 19) ^ rotrHi(yh, yl, 61) ^ (yh >>> 6);
      const s1l = rotrLo(yh, yl, 19) ^ rotrLo(yh, yl, 61) ^ ((yl >>> 6) | (yh << 26));
      const lo =
        (w[(i - 16) * 2 + 1]! >>> 0) + (s0l >>> 0) + (w[(i - 7) * 2 + 1]! >>> 0) + (s1l >>> 0);
      w[i * 2] = w[(i - 16) * 2]! + s0h + w[(i - 7) * 2]! + s1h + Math.floor(lo / TWO_32);
      w[i * 2 + 1] = lo;
    }
    let ah = h[0]!;
    let al = h[1]!;
    let bh = h[2]!;
    let bl = h[3]!;
    let ch = h[4]!;
    let cl = h[5]!;
    let dh = h[6]!;
    let dl = h[7]!;
    let eh = h[8]!;
    let el = h[9]!;
    let fh = h[10]!;
    let fl = h[11]!;
    let gh = h[12]!;
    let gl = h[13]!;
    let hh = h[14]!;
    let hl = h[15]!;
    for (let i = 0; i < 80; i++) {
      // Σ1 = rotr14 ^ rotr18 ^ rotr41; ch = (e & f) ^ (~e & g)
      const S1h = rotrHi(eh, el, 14) ^ rotrHi(eh, el, 18) ^ rotrHi(eh, el, 41);
      const S1l = rotrLo(eh, el, 14) ^ rotrLo(eh, el, 18) ^ rotrLo(eh, el, 41);
      const chh = (eh & fh) ^ (~eh & gh);
      const chl = (el & fl) ^ (~el & gl);
      const t1l =
        (hl >>> 0) + (S1l >>> 0) + (chl >>> 0) + (k512[i * 2 + 1]! >>> 0) + (w[i * 2 + 1]! >>> 0);
      const t1h = (hh + S1h + chh + k512[i * 2]! + w[i * 2]! + Math.floor(t1l / TWO_32)) | 0;
      // Σ0 = rotr28 ^ rotr34 ^ rotr39; maj = (a & b) ^ (a & c) ^ (b & c)
      const S0h = rotrHi(ah, al, 28) ^ rotrHi(ah, al, 34) ^ rotrHi(ah, al, 39);
      const S0l = rotrLo(ah, al, 28) ^ rotrLo(ah, al, 34) ^ rotrLo(ah, al, 39);
      const majh = (ah & bh) ^ (ah & ch) ^ (bh & ch);
      const majl = (al & bl) ^ (al & cl) ^ (bl & cl);
      const t2l = (S0l >>> 0) + (majl >>> 0);
      const t2h = (S0h + majh + Math.floor(t2l / TWO_32)) | 0;
      hh = gh;
      hl = gl;
      gh = fh;
      gl = fl;
      fh = eh;
      fl = el;
      const el2 = (dl >>> 0) + (t1l >>> 0);
      eh = (dh + t1h + Math.floor(el2 / TWO_32)) | 0;
      el = el2 | 0;
      dh = ch;
      dl = cl;
      ch = bh;
      cl = bl;
      bh = ah;
      bl = al;
      const al2 = (t1l >>> 0) + (t2l >>> 0);
      ah = (t1h + t2h + Math.floor(al2 / TWO_32)) | 0;
      al = al2 | 0;
    }
    const words = [ah, al, bh, bl, ch, cl, dh, dl, eh, el, fh, fl, gh, gl, hh, hl];
    for (let i = 0; i < 16; i += 2) {
      const lo = (h[i + 1]! >>> 0) + (words[i + 1]! >>> 0);
      h[i] = h[i]! + words[i]! + Math.floor(lo / TWO_32);
      h[i + 1] = lo;
    }
  }
  return words32([...h]);
}
