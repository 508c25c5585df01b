// The RSA stand-in for consumers without a key of their own. Generated once per process and
// its private half dropped: a key written into the code would be a key someone may hold.
import { generateKeyPair } from 'node:crypto';

let pending: Promise<string> | undefined;

/**
 * The PEM public half of an RSA key (2048 bits, the common size) made for this process.
 * Verifying against it costs what verifying against a consumer's key costs, and nothing
 * signed can verify against it. The first call starts the generation (on libuv's thread
 * pool, off the event loop); endpoints make it when they are created.
 *
 * @internal
 */
export function dummyPublicKey(): Promise<string> {
  if (pending === undefined) {
    pending = new Promise((resolve, reject) => {
      generateKeyPair(
        'rsa',
        {
          modulusLength: 2048,
          publicKeyEncoding: { type: 'spki', format: 'pem' },
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        },
        (error, publicKey) => (error ? reject(error) : resolve(publicKey)),
      );
    });
    // Callers that need it see a failure; nobody else should hear of it.
    pending.catch(() => {});
  }
  return pending;
}
