import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateKey, generateSecret, generateVerifier, randomToken } from '../src/credentials.js';
import { KEY_FILE_NAME, loadMasterKey } from '../src/crypto/key_file.js';
import { hashPassword, verifyPassword } from '../src/crypto/password.js';
import { deriveKey, SecretBox } from '../src/crypto/secret_box.js';
import { ProviderError } from '../src/errors.js';
import { isPermission, PERMISSIONS, permissionTitle } from '../src/permissions.js';
import { tempDir } from './helpers.js';

const isCode = (code: string) => (e: unknown) => e instanceof ProviderError && e.code === code;

describe('SecretBox (AES-256-GCM)', () => {
  const box = SecretBox.fromMasterKey(randomBytes(32).toString('base64url'));
  it('round-trips, with a fresh IV each time', () => {
    const a = box.seal('s3cret ünïcode', 'consumer:k');
    const b = box.seal('s3cret ünïcode', 'consumer:k');
    assert.notEqual(a, b);
    assert.match(a, /^v1\.[A-Za-z0-9_-]+$/);
    assert.ok(!a.includes('s3cret'));
    assert.equal(box.open(a, 'consumer:k'), 's3cret ünïcode');
    assert.equal(box.open(box.seal('', 'x'), 'x'), '');
  });
  it('refuses a value moved to another row (associated data)', () => {
    const sealed = box.seal('s', 'access_token:A');
    assert.throws(() => box.open(sealed, 'access_token:B'), isCode('ERR_DECRYPT'));
  });
  it('refuses a tampered value, a malformed one, and another key', () => {
    const sealed = box.seal('secret', 'c');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[raw.length - 1]! ^= 1;
    assert.throws(() => box.open(`v1.${raw.toString('base64url')}`, 'c'), isCode('ERR_DECRYPT'));
    assert.throws(() => box.open('v1.AAAA', 'c'), isCode('ERR_DECRYPT'));
    assert.throws(() => box.open('v2.' + sealed.slice(3), 'c'), isCode('ERR_DECRYPT'));
    const other = SecretBox.fromMasterKey('another master key of enough length');
    assert.throws(() => other.open(sealed, 'c'), isCode('ERR_DECRYPT'));
  });
  it('derives different keys for different purposes', () => {
    const m = 'm'.repeat(32);
    assert.notDeepEqual(deriveKey(m, 'a'), deriveKey(m, 'b'));
    assert.deepEqual(deriveKey(m, 'a'), deriveKey(m, 'a'));
    assert.equal(deriveKey(m, 'a').length, 32);
  });
});

describe('loadMasterKey', () => {
  const tmp = tempDir('key');
  after(tmp.remove);

  it('uses SIGNET_SECRET_KEY when set, and writes no file', () => {
    const dir = join(tmp.dir, 'configured');
    assert.equal(loadMasterKey('k'.repeat(32), dir), 'k'.repeat(32));
    assert.throws(() => statSync(join(dir, KEY_FILE_NAME)));
  });
  it('generates a key file with mode 0600 on first use and reuses it', () => {
    const dir = join(tmp.dir, 'fresh', 'data');
    const first = loadMasterKey(undefined, dir);
    const file = join(dir, KEY_FILE_NAME);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(first.length >= 43);
    assert.equal(readFileSync(file, 'utf8').trim(), first);
    assert.equal(loadMasterKey(undefined, dir), first);
    // Every new folder gets its own key.
    assert.notEqual(loadMasterKey(undefined, join(tmp.dir, 'other')), first);
  });
  it('refuses a key file that others can read', () => {
    const dir = join(tmp.dir, 'loose');
    loadMasterKey(undefined, dir);
    chmodSync(join(dir, KEY_FILE_NAME), 0o644);
    assert.throws(
      () => loadMasterKey(undefined, dir),
      (e: unknown) => isCode('ERR_SECRET_KEY')(e) && String(e).includes('chmod 600'),
    );
  });
  it('refuses a key file without a usable key', () => {
    const dir = join(tmp.dir, 'short');
    loadMasterKey(undefined, dir);
    writeFileSync(join(dir, KEY_FILE_NAME), 'short\n', { mode: 0o600 });
    assert.throws(() => loadMasterKey(undefined, dir), isCode('ERR_SECRET_KEY'));
  });
});

describe('passwords (scrypt)', () => {
  it('hashes with a per-user salt and verifies', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    assert.notEqual(a, b, 'salted');
    assert.match(a, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await verifyPassword('correct horse', a), true);
    assert.equal(await verifyPassword('correct horsf', a), false);
    assert.equal(await verifyPassword('', a), false);
  });
  it('never matches a malformed or outrageous hash', async () => {
    assert.equal(await verifyPassword('x', 'plain'), false);
    assert.equal(await verifyPassword('x', '$scrypt$ln=30,r=8,p=1$AAAA$AAAA'), false);
  });
  it('treats canonically equivalent Unicode the same', async () => {
    const h = await hashPassword('caf\u00e9-password');
    assert.equal(await verifyPassword('cafe\u0301-password', h), true);
  });
});

describe('credentials', () => {
  it("uses Launchpad's lengths and an alphanumeric alphabet", () => {
    assert.match(generateKey(), /^[A-Za-z0-9]{20}$/);
    assert.match(generateSecret(), /^[A-Za-z0-9]{80}$/);
    assert.match(generateVerifier(), /^[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    assert.equal(randomToken(1).length, 1);
    assert.throws(() => randomToken(0), TypeError);
  });
  it('draws every character of the alphabet and repeats no key', () => {
    const keys = new Set(Array.from({ length: 2000 }, generateKey));
    assert.equal(keys.size, 2000);
    const seen = new Set([...keys].join(''));
    assert.equal(seen.size, 62);
  });
});

describe('permissions', () => {
  it("lists Launchpad's six levels with their titles, in order", () => {
    assert.deepEqual(
      PERMISSIONS.map((p) => [p.value, p.title]),
      [
        ['UNAUTHORIZED', 'No Access'],
        ['READ_PUBLIC', 'Read Non-Private Data'],
        ['WRITE_PUBLIC', 'Change Non-Private Data'],
        ['READ_PRIVATE', 'Read Anything'],
        ['WRITE_PRIVATE', 'Change Anything'],
        ['DESKTOP_INTEGRATION', 'Integrate an entire system'],
      ],
    );
    assert.equal(isPermission('WRITE_PRIVATE'), true);
    assert.equal(isPermission('write_private'), false);
    assert.equal(permissionTitle('DESKTOP_INTEGRATION'), 'Integrate an entire system');
  });
});
