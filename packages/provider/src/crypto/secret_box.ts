import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ProviderError } from '../errors.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Derives a 32-byte key for one purpose from the provider's master key (HKDF-SHA256), so that
 * secrets at rest, session cookies and anything later never share a key.
 *
 * @example deriveKey(master, 'signet secrets at rest v1')
 */
export function deriveKey(master: string | Uint8Array, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, 'signet', purpose, 32));
}

/**
 * Encrypts the secrets the provider stores (consumer, token and verifier secrets) with
 * AES-256-GCM. Every value is bound to where it is stored through the associated data (e.g.
 * `access_token:KEY`), so a ciphertext copied into another row does not decrypt.
 *
 * Stored form: `v1.` + base64url(iv ‖ tag ‖ ciphertext); a fresh random IV per value.
 *
 * @example
 * const box = SecretBox.fromMasterKey(key);
 * const sealed = box.seal('s3cret', 'consumer:abc');
 * box.open(sealed, 'consumer:abc'); // 's3cret'
 */
export class SecretBox {
  readonly #key: Buffer;

  /** @param key 32 bytes, used directly; see {@link SecretBox.fromMasterKey}. */
  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new TypeError('SecretBox needs a 32-byte key');
    this.#key = Buffer.from(key);
  }

  /** A box under the key derived from the master key for secrets at rest. */
  static fromMasterKey(master: string | Uint8Array): SecretBox {
    return new SecretBox(deriveKey(master, 'signet secrets at rest v1'));
  }

  /** Encrypts `plaintext`, bound to `context`. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** Decrypts a value from {@link SecretBox.seal}; throws `ERR_DECRYPT` if it does not verify. */
  open(sealed: string, context: string): string {
    const dot = sealed.indexOf('.');
    const raw = Buffer.from(sealed.slice(dot + 1), 'base64url');
    if (sealed.slice(0, dot) !== VERSION || raw.length < IV_BYTES + TAG_BYTES) {
      throw new ProviderError('ERR_DECRYPT', `A stored secret (${context}) is malformed.`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const body = raw.subarray(IV_BYTES + TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new ProviderError(
        'ERR_DECRYPT',
        `A stored secret (${context}) does not decrypt: is SIGNET_SECRET_KEY (or data/secret.key) the one it was written with?`,
        { cause },
      );
    }
  }
}
