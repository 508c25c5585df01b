// Every use of node:crypto sits here. The Node entry point (index.ts) imports this module,
// which installs itself as the crypto backend; the portable entry point never loads it.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  hash,
  type KeyObject,
  randomFillSync,
  sign as rsaSign,
  verify as rsaVerify,
} from 'node:crypto';
import { type HashAlgorithm, type KeyLike, setCryptoBackend } from './crypto.js';
import { OAuthError } from './errors.js';

// HMAC (RFC 2104) over two one-shot hashes: H((K ^ opad) || H((K ^ ipad) || m)). A
// crypto.hash call (Node >= 20.12) skips the Hmac object Node builds per createHmac, about a
// third of the cost for a base string's few hundred bytes. The padded keys are kept per
// signing key: clients sign with the same secrets over and over, servers see the same few
// hot tokens. Bounded, so a flood of distinct keys only costs a clear.
const BLOCK_SIZE: Record<HashAlgorithm, number> = { sha1: 64, sha256: 64, sha512: 128 };
const DIGEST_SIZE: Record<HashAlgorithm, number> = { sha1: 20, sha256: 32, sha512: 64 };

interface HmacKey {
  /** The block-sized key XOR ipad. */
  readonly inner: Buffer;
  /** The block-sized key XOR opad, then room for the inner digest. */
  readonly outer: Buffer;
}

const HMAC_KEY_CACHE_LIMIT = 1024;
const hmacKeys: Record<HashAlgorithm, Map<string, HmacKey>> = {
  sha1: new Map(),
  sha256: new Map(),
  sha512: new Map(),
};

function hmacKey(algorithm: HashAlgorithm, key: string): HmacKey {
  const cache = hmacKeys[algorithm];
  let k = cache.get(key);
  if (k === undefined) {
    const block = BLOCK_SIZE[algorithm];
    let bytes = Buffer.from(key, 'utf8');
    if (bytes.length > block) bytes = createHash(algorithm).update(bytes).digest();
    const inner = Buffer.alloc(block, 0x36);
    const outer = Buffer.alloc(block + DIGEST_SIZE[algorithm], 0x5c);
    for (let i = 0; i < bytes.length; i++) {
      inner[i] = bytes[i]! ^ 0x36;
      outer[i] = bytes[i]! ^ 0x5c;
    }
    k = { inner, outer };
    if (cache.size >= HMAC_KEY_CACHE_LIMIT) cache.clear();
    cache.set(key, k);
  }
  return k;
}

// The inner hash's input, (K ^ ipad) || m, is assembled here; grown on demand, and only up to
// a bound so that one huge base string does not pin its memory.
const SCRATCH_LIMIT = 64 * 1024;
let scratch = Buffer.allocUnsafe(4096);

/**
 * @internal `data` must be ASCII (base strings are, by construction): it is hashed as
 * latin1, which skips a UTF-8 conversion and gives the same bytes for ASCII.
 */
export function hmacBase64(algorithm: HashAlgorithm, key: string, data: string): string {
  const { inner, outer } = hmacKey(algorithm, key);
  const block = inner.length;
  const size = block + data.length;
  let buffer = scratch;
  if (size > buffer.length) {
    buffer = Buffer.allocUnsafe(Math.max(size, buffer.length * 2));
    if (buffer.length <= SCRATCH_LIMIT) scratch = buffer;
  }
  inner.copy(buffer, 0);
  buffer.write(data, block, 'latin1');
  const innerDigest = hash(algorithm, buffer.subarray(0, size), 'buffer');
  innerDigest.copy(outer, block);
  return hash(algorithm, outer, 'base64');
}

/** @internal */
export function digestBase64(algorithm: HashAlgorithm, data: string | Uint8Array): string {
  return createHash(algorithm).update(data).digest('base64');
}

// Parsing PEM costs far more than an RSA verification's hashing; keep the last few keys.
const KEY_CACHE_LIMIT = 64;
const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();

function cached(
  cache: Map<string, KeyObject>,
  pem: string,
  make: (pem: string) => KeyObject,
): KeyObject {
  let key = cache.get(pem);
  if (key === undefined) {
    try {
      key = make(pem);
    } catch (cause) {
      throw new OAuthError('ERR_OAUTH_KEY', 'The RSA key could not be read.', { cause });
    }
    if (cache.size >= KEY_CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(pem, key);
  }
  return key;
}

/** @internal */
export function rsaSignBase64(algorithm: HashAlgorithm, key: KeyLike, data: string): string {
  const k =
    typeof key === 'string' ? cached(privateKeys, key, createPrivateKey) : (key as KeyObject);
  try {
    return rsaSign(algorithm, Buffer.from(data, 'utf8'), k).toString('base64');
  } catch (cause) {
    throw new OAuthError('ERR_OAUTH_KEY', 'The RSA key cannot sign.', { cause });
  }
}

/** @internal */
export function rsaVerifyBase64(
  algorithm: HashAlgorithm,
  key: KeyLike,
  data: string,
  signature: string,
): boolean {
  // A public key is also derivable from a private key or a certificate: accept all three.
  const k = typeof key === 'string' ? cached(publicKeys, key, createPublicKey) : (key as KeyObject);
  const sig = Buffer.from(signature, 'base64');
  // Buffer's base64 decoder skips junk; insist the text was canonical base64 of those bytes.
  if (sig.length === 0 || sig.toString('base64') !== signature) return false;
  try {
    return rsaVerify(algorithm, Buffer.from(data, 'utf8'), k, sig);
  } catch {
    return false;
  }
}

// Random bytes for nonces come from one pooled buffer: a randomFillSync per nonce costs a
// system call; one per 256 nonces does not.
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** @internal `size` cryptographically random bytes, as lower-case hex. */
export function randomHex(size: number): string {
  if (size > POOL_SIZE) return randomFillSync(Buffer.allocUnsafe(size)).toString('hex');
  if (poolOffset + size > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = pool.toString('hex', poolOffset, poolOffset + size);
  poolOffset += size;
  return out;
}

// The asynchronous path on Node runs the synchronous one: node:crypto answers in
// microseconds, faster than a round trip through Web Crypto's promise machinery.
setCryptoBackend({
  hmacBase64,
  digestBase64,
  rsaSignBase64,
  rsaVerifyBase64,
  randomHex,
  hmacBase64Async: async (algorithm, key, data) => hmacBase64(algorithm, key, data),
  rsaSignBase64Async: async (algorithm, key, data) => rsaSignBase64(algorithm, key, data),
  rsaVerifyBase64Async: async (algorithm, key, data, signature) =>
    rsaVerifyBase64(algorithm, key, data, signature),
});
