// Every use of node:crypto sits here, so that a Web Crypto build can replace this one file.
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  type KeyObject,
  randomFillSync,
  sign as rsaSign,
  verify as rsaVerify,
} from 'node:crypto';
import { OAuthError } from './errors.js';

/** A key as PEM text (PKCS#1, PKCS#8, SPKI or an X.509 certificate) or a `KeyObject`. */
export type KeyLike = string | KeyObject;

/** Hash functions the built-in methods use. */
export type HashAlgorithm = 'sha1' | 'sha256' | 'sha512';

// HMAC with a KeyObject runs about 15% faster than with a string key, which Node re-encodes
// on every call. Clients sign with the same secrets over and over; servers see the same
// few hot tokens. Bounded, so a flood of distinct keys only costs a clear.
const HMAC_KEY_CACHE_LIMIT = 1024;
const hmacKeys = new Map<string, KeyObject>();

function hmacKey(key: string): KeyObject | string {
  if (key === '') return key;
  let k = hmacKeys.get(key);
  if (k === undefined) {
    if (hmacKeys.size >= HMAC_KEY_CACHE_LIMIT) hmacKeys.clear();
    k = createSecretKey(Buffer.from(key, 'utf8'));
    hmacKeys.set(key, k);
  }
  return k;
}

/**
 * @internal `data` must be ASCII (base strings are, by construction): it is hashed as
 * latin1, which skips a UTF-8 conversion and gives the same bytes for ASCII.
 */
export function hmacBase64(algorithm: HashAlgorithm, key: string, data: string): string {
  return createHmac(algorithm, hmacKey(key)).update(data, 'latin1').digest('base64');
}

/** @internal */
export function digestBase64(algorithm: HashAlgorithm, data: string | Uint8Array): string {
  return createHash(algorithm).update(data).digest('base64');
}

/**
 * Compares two strings in time that depends only on their lengths, never on where they
 * differ. Lengths of signatures and secrets are public, their contents are not.
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  // Signatures and secrets compared here are ASCII almost always; an XOR accumulated over
  // every code unit has no data-dependent branch and allocates nothing.
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
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
  const k = typeof key === 'string' ? cached(privateKeys, key, createPrivateKey) : key;
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
  const k = typeof key === 'string' ? cached(publicKeys, key, createPublicKey) : key;
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
