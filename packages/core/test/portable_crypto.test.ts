// The portable crypto (web_crypto.ts, sha.ts) against node:crypto on Node, over random
// inputs around every block boundary: the synchronous SHA and HMAC in plain JavaScript, the
// Web Crypto HMAC and RSA, PEM import of each format, and what must be refused.
import assert from 'node:assert/strict';
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
} from 'node:crypto';
import { describe, it } from 'node:test';
import { OAuthError } from '../src/errors.js';
import * as web from '../src/web_crypto.js';

const ALGORITHMS = ['sha1', 'sha256', 'sha512'] as const;
// Lengths on both sides of the padding limits of 64- and 128-byte blocks.
const LENGTHS = [0, 1, 55, 56, 57, 63, 64, 65, 111, 112, 113, 127, 128, 129, 255, 256, 1000];

describe('portable SHA and HMAC (plain JavaScript)', () => {
  it('digests as node:crypto does, at every block boundary', () => {
    for (const algorithm of ALGORITHMS) {
      for (const length of LENGTHS) {
        const data = randomBytes(length);
        assert.equal(
          web.digestBase64(algorithm, data),
          createHash(algorithm).update(data).digest('base64'),
          `${algorithm} of ${length} bytes`,
        );
      }
    }
  });

  it('HMACs as node:crypto does, keys shorter and longer than a block, UTF-8 keys', () => {
    for (const algorithm of ALGORITHMS) {
      for (const keyLength of [0, 1, 20, 64, 65, 128, 129, 300]) {
        const key = `${randomBytes(keyLength).toString('base64').slice(0, keyLength)}é`;
        const data = `GET&${randomBytes(keyLength + 10).toString('hex')}`;
        const want = createHmac(algorithm, key).update(data).digest('base64');
        assert.equal(web.hmacBase64(algorithm, key, data), want, `${algorithm}, key ${keyLength}`);
      }
    }
  });

  it('Web Crypto HMAC agrees, and an empty key (which Web Crypto refuses) still signs', async () => {
    for (const algorithm of ALGORITHMS) {
      for (const key of ['', '&', 'kd94hf93k423kf44&pfkkdhi9sl3r4s00', 'x'.repeat(200)]) {
        const want = createHmac(algorithm, key).update('base string').digest('base64');
        assert.equal(await web.hmacBase64Async(algorithm, key, 'base string'), want);
      }
    }
  });

  it('hashes a 4 MiB body with SHA-512 within 2 s (a body hash on a worker is no lever)', () => {
    const body = randomBytes(4 * 1024 * 1024);
    const started = performance.now();
    const got = web.digestBase64('sha512', body);
    const elapsed = performance.now() - started;
    assert.equal(got, createHash('sha512').update(body).digest('base64'));
    assert.ok(elapsed < 2000, `took ${Math.round(elapsed)} ms`);
  });

  it('nonces are hex of the asked size, also past the pool', () => {
    assert.match(web.randomHex(16), /^[0-9a-f]{32}$/);
    assert.match(web.randomHex(5000), /^[0-9a-f]{10000}$/);
  });
});

describe('portable RSA (Web Crypto) and PEM import', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = {
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    pkcs1: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    spki: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    pkcs1Public: publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  };

  it('signs as node:crypto does with PKCS#8 and PKCS#1 keys', async () => {
    for (const algorithm of ALGORITHMS) {
      const want = sign(algorithm, Buffer.from('base'), privateKey).toString('base64');
      assert.equal(await web.rsaSignBase64Async(algorithm, pem.pkcs8, 'base'), want);
      assert.equal(await web.rsaSignBase64Async(algorithm, pem.pkcs1, 'base'), want);
    }
  });

  it('verifies with SPKI, PKCS#1 public and private keys; refuses other data', async () => {
    for (const algorithm of ALGORITHMS) {
      const signature = sign(algorithm, Buffer.from('base'), privateKey).toString('base64');
      for (const key of [pem.spki, pem.pkcs1Public, pem.pkcs8, pem.pkcs1]) {
        assert.equal(await web.rsaVerifyBase64Async(algorithm, key, 'base', signature), true);
        assert.equal(await web.rsaVerifyBase64Async(algorithm, key, 'basf', signature), false);
      }
    }
  });

  it('refuses non-canonical base64 signatures, as the node path does', async () => {
    const signature = sign('sha256', Buffer.from('base'), privateKey).toString('base64');
    for (const bad of [`${signature}=`, ` ${signature}`, signature.replace(/=+$/, ''), '']) {
      assert.equal(await web.rsaVerifyBase64Async('sha256', pem.spki, 'base', bad), false, bad);
    }
  });

  it('an unreadable, encrypted or wrong-kind key is ERR_OAUTH_KEY, for sign and verify', async () => {
    const encrypted = privateKey
      .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'p' })
      .toString();
    const isKeyError = (e: unknown) => e instanceof OAuthError && e.code === 'ERR_OAUTH_KEY';
    for (const key of [
      'not a key',
      encrypted,
      pem.spki,
      '-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n',
    ]) {
      await assert.rejects(
        web.rsaSignBase64Async('sha256', key, 'x'),
        isKeyError,
        key.slice(0, 40),
      );
    }
    for (const key of [
      'not a key',
      '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n',
    ]) {
      await assert.rejects(web.rsaVerifyBase64Async('sha256', key, 'x', 'AAAA'), isKeyError);
    }
    // A key object is Node's; the portable path takes PEM text.
    await assert.rejects(
      web.rsaSignBase64Async('sha256', createPrivateKey(pem.pkcs8), 'x'),
      isKeyError,
    );
    assert.ok(createPublicKey(pem.spki));
  });

  it('has no synchronous RSA, and says so with ERR_OAUTH_KEY', () => {
    assert.throws(
      () => web.rsaSignBase64('sha256', pem.pkcs8, 'x'),
      (e: unknown) =>
        e instanceof OAuthError && e.code === 'ERR_OAUTH_KEY' && /Async/.test(e.message),
    );
  });
});
