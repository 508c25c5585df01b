// The RSA stand-in for consumers without a key of their own. Generated once per process and
// its private half dropped: a key written into the code would be a key someone may hold.
// Web Crypto, so that the endpoints run wherever the portable core does.

let pending: Promise<string> | undefined;

/**
 * The PEM public half of an RSA key (2048 bits, the common size) made for this process.
 * Verifying against it costs what verifying against a consumer's key costs, and nothing
 * signed can verify against it. The first call starts the generation (off the event loop
 * on Node, whose Web Crypto runs it on libuv's thread pool); endpoints make it when they
 * are created.
 *
 * @internal
 */
export function dummyPublicKey(): Promise<string> {
  if (pending === undefined) {
    pending = generate();
    // Callers that need it see a failure; nobody else should hear of it.
    pending.catch(() => {});
  }
  return pending;
}

async function generate(): Promise<string> {
  const pair = await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    // Only the public half is ever exported; the private one is never used and is dropped
    // with `pair` when this returns.
    true,
    ['sign', 'verify'],
  );
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  let binary = '';
  for (const byte of spki) binary += String.fromCharCode(byte);
  const body = btoa(binary).replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----\n`;
}
