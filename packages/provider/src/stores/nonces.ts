import { hash } from 'node:crypto';
import type { NonceUse } from './contract.js';

/**
 * Where nonces are recorded: the SQL store itself, or Redis when `SIGNET_REDIS_URL` is set.
 * Same semantics as `OAuthStore.useNonce`.
 */
export interface NonceStore {
  /** `true` the first time, `false` for a replay until at least `expiresAt`. Atomic. */
  useNonce(nonce: NonceUse, expiresAt: number): Promise<boolean>;
}

/**
 * A fixed-size key for a nonce: SHA-256 of the JSON-encoded tuple. Clients choose nonces and
 * token keys, so the raw values could be huge or ambiguous once joined; a hash is neither.
 * In hexadecimal by default; `binary` (latin1) gives the 32 bytes as 32 one-byte characters.
 *
 * @example nonceKey({ consumerKey: 'c', token: '', timestamp: '1', nonce: 'n' }) // 64 hex digits
 */
export function nonceKey(nonce: NonceUse, encoding: 'hex' | 'binary' = 'hex'): string {
  // crypto.hash: the same digest as createHash, without a Hash object per request.
  return hash(
    'sha256',
    JSON.stringify([nonce.consumerKey, nonce.token, nonce.timestamp, nonce.nonce]),
    encoding,
  );
}
