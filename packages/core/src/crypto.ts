// The cryptography every other module uses, behind one set of bindings. They start as the
// portable implementations (Web Crypto, plain JavaScript), which import nothing from `node:`;
// the Node entry point (index.ts) loads node_crypto.ts, which swaps in node:crypto. ES
// module bindings are live, so callers see the swap with no indirection of their own.
import * as portable from './web_crypto.js';

/**
 * A node:crypto `KeyObject`, described by no more than Signet needs, so that the types name
 * nothing from `node:` and compile in projects without Node's.
 */
export interface NodeKeyObject {
  readonly type: 'secret' | 'public' | 'private';
}

/**
 * A key as PEM text (PKCS#1, PKCS#8, SPKI or an X.509 certificate), on Node a `KeyObject`,
 * and on the asynchronous path elsewhere a Web Crypto `CryptoKey` (RSASSA-PKCS1-v1_5 with
 * the method's hash, allowed to sign or verify), which has the same `type` field.
 */
export type KeyLike = string | NodeKeyObject;

/** Hash functions the built-in methods use. */
export type HashAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** @internal What a crypto implementation provides. */
export interface CryptoBackend {
  /** `data` is ASCII (a base string). */
  readonly hmacBase64: (algorithm: HashAlgorithm, key: string, data: string) => string;
  readonly digestBase64: (algorithm: HashAlgorithm, data: string | Uint8Array) => string;
  readonly rsaSignBase64: (algorithm: HashAlgorithm, key: KeyLike, data: string) => string;
  readonly rsaVerifyBase64: (
    algorithm: HashAlgorithm,
    key: KeyLike,
    data: string,
    signature: string,
  ) => boolean;
  /** `size` cryptographically random bytes, as lower-case hex. */
  readonly randomHex: (size: number) => string;
  readonly hmacBase64Async: (
    algorithm: HashAlgorithm,
    key: string,
    data: string,
  ) => Promise<string>;
  readonly rsaSignBase64Async: (
    algorithm: HashAlgorithm,
    key: KeyLike,
    data: string,
  ) => Promise<string>;
  readonly rsaVerifyBase64Async: (
    algorithm: HashAlgorithm,
    key: KeyLike,
    data: string,
    signature: string,
  ) => Promise<boolean>;
}

/**
 * base64 of HMAC(`key` as UTF-8, `data`), for signature methods with a key of their own
 * (RFC 5849 §3.4.2 derives it from the secrets). `data` must be ASCII, as base strings are.
 */
export let hmacBase64: CryptoBackend['hmacBase64'] = portable.hmacBase64;
/** @internal */
export let digestBase64: CryptoBackend['digestBase64'] = portable.digestBase64;
/** @internal */
export let rsaSignBase64: CryptoBackend['rsaSignBase64'] = portable.rsaSignBase64;
/** @internal */
export let rsaVerifyBase64: CryptoBackend['rsaVerifyBase64'] = portable.rsaVerifyBase64;
/** @internal */
export let randomHex: CryptoBackend['randomHex'] = portable.randomHex;
/** {@link hmacBase64} through Web Crypto (node:crypto on Node). */
export let hmacBase64Async: CryptoBackend['hmacBase64Async'] = portable.hmacBase64Async;
/** @internal */
export let rsaSignBase64Async: CryptoBackend['rsaSignBase64Async'] = portable.rsaSignBase64Async;
/** @internal */
export let rsaVerifyBase64Async: CryptoBackend['rsaVerifyBase64Async'] =
  portable.rsaVerifyBase64Async;

/** @internal Replaces the implementation (node_crypto.ts does, once, at load). */
export function setCryptoBackend(backend: CryptoBackend): void {
  hmacBase64 = backend.hmacBase64;
  digestBase64 = backend.digestBase64;
  rsaSignBase64 = backend.rsaSignBase64;
  rsaVerifyBase64 = backend.rsaVerifyBase64;
  randomHex = backend.randomHex;
  hmacBase64Async = backend.hmacBase64Async;
  rsaSignBase64Async = backend.rsaSignBase64Async;
  rsaVerifyBase64Async = backend.rsaVerifyBase64Async;
  cryptoBackendName = 'node';
}

/**
 * Which implementation signs in this process: `'node'` (node:crypto, synchronous and
 * fastest) or `'web'` (Web Crypto for the asynchronous path, plain JavaScript hashes for the
 * synchronous one, and no synchronous RSA).
 */
export let cryptoBackendName: 'node' | 'web' = 'web';

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
