// The portable crypto backend: Web Crypto (`crypto.subtle`, `crypto.getRandomValues`) for the
// asynchronous path, plain JavaScript SHA for the synchronous HMAC and body hashes (Web
// Crypto has no synchronous API), `TextEncoder` and `btoa` instead of Buffer. Nothing here
// imports from `node:`; browsers, workerd, Deno and Bun load it as is.
import type { HashAlgorithm, KeyLike } from './crypto.js';
import { OAuthError } from './errors.js';
import { SHA_BLOCK, sha } from './sha.js';

// Web Crypto's key type, taken from the global `crypto` so that it is the DOM's in a browser
// project and Node's in a Node one, with no import.
type CryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const utf8 = new TextEncoder();

/** @internal Standard base64 with padding, as the Node path writes it. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** @internal Canonical base64 only (as the Node path insists); `undefined` otherwise. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  // Non-zero bits past the last byte make a different text decode to the same bytes.
  return toBase64(bytes) === text ? bytes : undefined;
}

// --- synchronous: HMAC and digests in plain JavaScript ---

const HMAC_KEY_CACHE_LIMIT = 1024;
const hmacKeys: Record<HashAlgorithm, Map<string, { inner: Uint8Array; outer: Uint8Array }>> = {
  sha1: new Map(),
  sha256: new Map(),
  sha512: new Map(),
};

/** @internal HMAC (RFC 2104) over the portable SHA. */
export function hmacBase64(algorithm: HashAlgorithm, key: string, data: string): string {
  const cache = hmacKeys[algorithm];
  let k = cache.get(key);
  if (k === undefined) {
    const block = SHA_BLOCK[algorithm];
    let bytes: Uint8Array = utf8.encode(key);
    if (bytes.length > block) bytes = sha(algorithm, bytes);
    const inner = new Uint8Array(block).fill(0x36);
    const outer = new Uint8Array(block).fill(0x5c);
    for (let i = 0; i < bytes.length; i++) {
      inner[i] = bytes[i]! ^ 0x36;
      outer[i] = bytes[i]! ^ 0x5c;
    }
    k = { inner, outer };
    if (cache.size >= HMAC_KEY_CACHE_LIMIT) cache.clear();
    cache.set(key, k);
  }
  const message = utf8.encode(data);
  const first = new Uint8Array(k.inner.length + message.length);
  first.set(k.inner);
  first.set(message, k.inner.length);
  const innerDigest = sha(algorithm, first);
  const second = new Uint8Array(k.outer.length + innerDigest.length);
  second.set(k.outer);
  second.set(innerDigest, k.outer.length);
  return toBase64(sha(algorithm, second));
}

/** @internal */
export function digestBase64(algorithm: HashAlgorithm, data: string | Uint8Array): string {
  return toBase64(sha(algorithm, typeof data === 'string' ? utf8.encode(data) : data));
}

function needsAsync(): never {
  throw new OAuthError(
    'ERR_OAUTH_KEY',
    'RSA needs signRequestAsync or verifySignatureAsync on this runtime (Web Crypto is asynchronous).',
  );
}

/** @internal Web Crypto has no synchronous RSA. */
export function rsaSignBase64(_algorithm: HashAlgorithm, _key: KeyLike, _data: string): string {
  return needsAsync();
}

/** @internal */
export function rsaVerifyBase64(
  _algorithm: HashAlgorithm,
  _key: KeyLike,
  _data: string,
  _signature: string,
): boolean {
  return needsAsync();
}

// Random bytes come from one pooled buffer, refilled every 4096 bytes (getRandomValues
// gives at most 65536 per call).
const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** @internal */
export function randomHex(size: number): string {
  let bytes: Uint8Array;
  if (size > POOL_SIZE) {
    bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  } else {
    if (poolOffset + size > POOL_SIZE) {
      crypto.getRandomValues(pool);
      poolOffset = 0;
    }
    bytes = pool.subarray(poolOffset, poolOffset + size);
    poolOffset += size;
  }
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]!;
  return out;
}

// --- asynchronous: Web Crypto ---

const WEB_HASH: Record<HashAlgorithm, string> = {
  sha1: 'SHA-1',
  sha256: 'SHA-256',
  sha512: 'SHA-512',
};

// Imported keys are kept (as promises, so that concurrent first uses import once), bounded.
const KEY_CACHE_LIMIT = 256;
const webKeys = new Map<string, Promise<CryptoKey>>();

function cachedKey(id: string, make: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let key = webKeys.get(id);
  if (key === undefined) {
    key = make();
    if (webKeys.size >= KEY_CACHE_LIMIT) webKeys.delete(webKeys.keys().next().value as string);
    webKeys.set(id, key);
    // A key that fails to import is not kept: the error is the caller's, once.
    key.catch(() => webKeys.delete(id));
  }
  return key;
}

/** @internal */
export async function hmacBase64Async(
  algorithm: HashAlgorithm,
  key: string,
  data: string,
): Promise<string> {
  // Web Crypto refuses an empty HMAC key; RFC 2104 pads it with zeros like any other. Signing
  // keys have "&" at least, but a client's own makeSecret may return ''.
  if (key === '') return hmacBase64(algorithm, key, data);
  const k = await cachedKey(`hmac\n${algorithm}\n${key}`, () =>
    crypto.subtle.importKey(
      'raw',
      utf8.encode(key),
      { name: 'HMAC', hash: WEB_HASH[algorithm] },
      false,
      ['sign'],
    ),
  );
  return toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', k, utf8.encode(data))));
}

/** @internal */
export async function rsaSignBase64Async(
  algorithm: HashAlgorithm,
  key: KeyLike,
  data: string,
): Promise<string> {
  const k = await rsaKey(algorithm, key, 'sign');
  try {
    const signature = await crypto.subtle.sign(RSA, k, utf8.encode(data));
    return toBase64(new Uint8Array(signature));
  } catch (cause) {
    throw new OAuthError('ERR_OAUTH_KEY', 'The RSA key cannot sign.', { cause });
  }
}

/** @internal */
export async function rsaVerifyBase64Async(
  algorithm: HashAlgorithm,
  key: KeyLike,
  data: string,
  signature: string,
): Promise<boolean> {
  const k = await rsaKey(algorithm, key, 'verify');
  const sig = fromBase64(signature);
  if (sig === undefined || sig.length === 0) return false;
  try {
    return await crypto.subtle.verify(RSA, k, sig, utf8.encode(data));
  } catch {
    return false;
  }
}

const RSA = 'RSASSA-PKCS1-v1_5';

function rsaKey(
  algorithm: HashAlgorithm,
  key: KeyLike,
  use: 'sign' | 'verify',
): Promise<CryptoKey> {
  if (typeof key !== 'string') {
    // A Web Crypto key made by the caller (from IndexedDB, say) is used as it is, when it is
    // one for this method; a node:crypto KeyObject has no meaning here.
    if (isCryptoKey(key) && fitsRsa(key, algorithm, use)) return Promise.resolve(key);
    return Promise.reject(
      new OAuthError(
        'ERR_OAUTH_KEY',
        `The RSA key must be PEM text or an ${RSA} ${WEB_HASH[algorithm]} CryptoKey allowed to ${use}.`,
      ),
    );
  }
  return cachedKey(`rsa\n${use}\n${algorithm}\n${key}`, async () => {
    try {
      return await importRsaKey(WEB_HASH[algorithm], key, use);
    } catch (cause) {
      throw new OAuthError('ERR_OAUTH_KEY', 'The RSA key could not be read.', { cause });
    }
  });
}

// The global class, where the runtime has one (all that have Web Crypto do).
const CryptoKeyClass = (globalThis as { CryptoKey?: abstract new () => object }).CryptoKey;

function isCryptoKey(key: object): key is CryptoKey {
  return CryptoKeyClass !== undefined && key instanceof CryptoKeyClass;
}

function fitsRsa(key: CryptoKey, algorithm: HashAlgorithm, use: 'sign' | 'verify'): boolean {
  const a = key.algorithm as { name?: string; hash?: { name?: string } };
  return a.name === RSA && a.hash?.name === WEB_HASH[algorithm] && key.usages.includes(use);
}

/**
 * @internal Imports an RSA key from PEM: to sign, PKCS#8 (`PRIVATE KEY`) or PKCS#1
 * (`RSA PRIVATE KEY`); to verify, SPKI (`PUBLIC KEY`), PKCS#1 (`RSA PUBLIC KEY`), an X.509
 * `CERTIFICATE`, or a private key (its public half), as node:crypto accepts.
 */
export async function importRsaKey(
  hash: string,
  pem: string,
  use: 'sign' | 'verify',
): Promise<CryptoKey> {
  const { label, der } = readPem(pem);
  const algorithm = { name: RSA, hash };
  const isPrivate = label === 'PRIVATE KEY' || label === 'RSA PRIVATE KEY';
  if (isPrivate) {
    const pkcs8 = label === 'PRIVATE KEY' ? der : pkcs1PrivateToPkcs8(der);
    if (use === 'sign') return crypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
    // Verifying with a private key: keep its public half, as node's createPublicKey does.
    const full = await crypto.subtle.importKey('pkcs8', pkcs8, algorithm, true, ['sign']);
    const jwk = await crypto.subtle.exportKey('jwk', full);
    const publicJwk = { kty: 'RSA', n: jwk.n ?? '', e: jwk.e ?? '' };
    return crypto.subtle.importKey('jwk', publicJwk, algorithm, false, ['verify']);
  }
  if (use === 'sign') throw new Error(`A ${label} cannot sign.`);
  let spki: Uint8Array;
  if (label === 'PUBLIC KEY') spki = der;
  else if (label === 'RSA PUBLIC KEY') spki = pkcs1PublicToSpki(der);
  else if (label === 'CERTIFICATE') spki = certificateSpki(der);
  else throw new Error(`Unsupported PEM block ${label}.`);
  return crypto.subtle.importKey('spki', spki, algorithm, false, ['verify']);
}

const PEM = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/;

function readPem(pem: string): { label: string; der: Uint8Array } {
  const m = PEM.exec(pem);
  if (m === null) throw new Error('No PEM block.');
  const body = m[2]!;
  // Encrypted keys carry RFC 1421 headers (Proc-Type, DEK-Info); Web Crypto cannot use them.
  if (body.includes(':')) throw new Error('Encrypted PEM keys are not supported.');
  const der = fromBase64(body.replace(/\s+/g, ''));
  if (der === undefined || der.length === 0) throw new Error('Bad PEM base64.');
  return { label: m[1]!, der };
}

// --- DER, just enough to wrap PKCS#1 keys and find a certificate's public key ---

/** rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters. */
const RSA_ALGORITHM_ID = new Uint8Array([
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
]);

function derEncode(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const header: number[] = [tag];
  if (length < 0x80) header.push(length);
  else {
    const bytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    header.push(0x80 | bytes.length, ...bytes);
  }
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let offset = header.length;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function pkcs1PrivateToPkcs8(pkcs1: Uint8Array): Uint8Array {
  return derEncode(
    0x30,
    new Uint8Array([0x02, 0x01, 0x00]),
    RSA_ALGORITHM_ID,
    derEncode(0x04, pkcs1),
  );
}

function pkcs1PublicToSpki(pkcs1: Uint8Array): Uint8Array {
  return derEncode(0x30, RSA_ALGORITHM_ID, derEncode(0x03, new Uint8Array([0]), pkcs1));
}

interface Tlv {
  readonly tag: number;
  /** Where the element starts (its tag). */
  readonly start: number;
  /** Where its content starts. */
  readonly content: number;
  /** Where it ends. */
  readonly end: number;
}

function readTlv(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new Error('Truncated DER.');
  const tag = der[at]!;
  let length = der[at + 1]!;
  let content = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || content + count > limit) throw new Error('Bad DER length.');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[content + i]!;
    content += count;
  }
  const end = content + length;
  if (end > limit) throw new Error('Truncated DER.');
  return { tag, start: at, content, end };
}

/** The SubjectPublicKeyInfo of an X.509 certificate (RFC 5280 §4.1). */
function certificateSpki(der: Uint8Array): Uint8Array {
  const certificate = readTlv(der, 0, der.length);
  const tbs = readTlv(der, certificate.content, certificate.end);
  if (certificate.tag !== 0x30 || tbs.tag !== 0x30) throw new Error('Not a certificate.');
  let element = readTlv(der, tbs.content, tbs.end);
  // version [0] EXPLICIT is optional.
  if (element.tag === 0xa0) element = readTlv(der, element.end, tbs.end);
  // serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo.
  for (let i = 0; i < 5; i++) element = readTlv(der, element.end, tbs.end);
  if (element.tag !== 0x30) throw new Error('No public key in the certificate.');
  return der.slice(element.start, element.end);
}
