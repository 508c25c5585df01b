// The RSA stand-in for consumers without a key: generated at start, never written into the
// code (whoever held the private half of a compiled-in key could sign as any consumer that
// has no RSA key), and RSA from such a consumer refused after the same verification work a
// consumer with a key gets.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  HMAC_SHA1,
  RSA_SHA1,
  type SignatureKeys,
  type SignatureMethod,
  SignatureMethodRegistry,
} from '@signet/core';
import { createResourceEndpoint } from '../src/endpoints/resource.js';
import { createSignatureOnlyEndpoint } from '../src/endpoints/signature_only.js';
import {
  BASE,
  clock,
  issueAccessToken,
  RSA_PRIVATE,
  RSA_PUBLIC,
  seededStore,
  signed,
} from './helpers.js';

/** RSA-SHA1 that records the key it verified with, and says yes to every signature. */
function permissiveRsa(seen: (string | undefined)[]): SignatureMethod {
  return {
    ...RSA_SHA1,
    verify(baseString: string, signature: string, keys: SignatureKeys): boolean {
      const key = keys.publicKey;
      seen.push(typeof key === 'string' ? key : undefined);
      // The real work, so that a missing key would throw here as it does in production.
      RSA_SHA1.verify(baseString, signature, keys);
      return true;
    },
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('the RSA stand-in key', () => {
  it('is not compiled into @signet/server', () => {
    const src = fileURLToPath(new URL('../../src/', import.meta.url));
    const pem = filesUnder(src).filter((f) =>
      // A real key, not the contract suite's truncated placeholder.
      /-----BEGIN [A-Z ]*KEY-----[A-Za-z0-9+/=\s]{100,}-----END/.test(readFileSync(f, 'utf8')),
    );
    assert.deepEqual(pem, [], 'no PEM key in the sources');
  });

  it('refuses RSA from a consumer without a key even if the stand-in were to verify', async () => {
    const seen: (string | undefined)[] = [];
    const store = seededStore();
    const resource = createResourceEndpoint({
      store,
      publicUrl: BASE,
      clock,
      signatureMethods: new SignatureMethodRegistry([HMAC_SHA1, permissiveRsa(seen)]),
    });
    const plain = await issueAccessToken(store);
    const r = await resource(
      signed({
        path: '/x',
        token: plain.token,
        tokenSecret: plain.secret,
        signatureMethod: 'RSA-SHA1',
        privateKey: RSA_PRIVATE,
      }),
    );
    assert.equal(r.ok, false);
    assert.equal((r as { response: { status: number } }).response.status, 401);
    assert.equal((r as { response: { body: string } }).response.body, 'Invalid signature.');
    // The same work as for a consumer with a key: one verification, against an RSA public key.
    assert.equal(seen.length, 1);
    assert.match(seen[0] ?? '', /^-----BEGIN PUBLIC KEY-----/);
    assert.notEqual(seen[0], RSA_PUBLIC);

    // A consumer with a key of its own still gets through.
    const rsa = await issueAccessToken(store, { consumerKey: 'rsa-key' });
    const ok = await resource(
      signed({
        path: '/x',
        consumerKey: 'rsa-key',
        consumerSecret: '',
        token: rsa.token,
        tokenSecret: rsa.secret,
        signatureMethod: 'RSA-SHA1',
        privateKey: RSA_PRIVATE,
      }),
    );
    assert.equal(ok.ok, true);
    assert.equal(seen[1], RSA_PUBLIC);
  });

  it('is verified against for an unknown consumer too, two-legged included', async () => {
    const seen: (string | undefined)[] = [];
    const check = createSignatureOnlyEndpoint({
      store: seededStore(),
      publicUrl: BASE,
      clock,
      signatureMethods: new SignatureMethodRegistry([HMAC_SHA1, permissiveRsa(seen)]),
    });
    const r = await check(
      signed({
        path: '/x',
        consumerKey: 'nobody',
        consumerSecret: '',
        signatureMethod: 'RSA-SHA1',
        privateKey: RSA_PRIVATE,
      }),
    );
    assert.equal(r.ok, false);
    assert.equal(seen.length, 1);
    assert.match(seen[0] ?? '', /^-----BEGIN PUBLIC KEY-----/);
  });
});
