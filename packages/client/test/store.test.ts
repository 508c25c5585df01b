import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  type CredentialStore,
  defaultConfigDir,
  FileCredentialStore,
  MemoryCredentialStore,
  type StoredCredentials,
} from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'signet-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

const entry = (server: string, consumerKey: string, token = 't'): StoredCredentials => ({
  profile: `${server}/${consumerKey}`,
  server,
  origins: [server],
  consumerKey,
  consumerSecret: 'cs',
  signatureMethod: 'HMAC-SHA1',
  token,
  tokenSecret: 'ts',
  savedAt: '2026-01-01T00:00:00.000Z',
});

async function contract(store: CredentialStore) {
  await store.put(entry('https://a.example', 'k1'));
  await store.put(entry('https://a.example', 'k2'));
  await store.put(entry('https://b.example', 'k1'));
  await store.put(entry('https://a.example', 'k1', 'newer'));
  const all = await store.list();
  assert.equal(all.length, 3, 'keyed by server and consumer: the same pair is replaced');
  assert.equal((await store.get('https://a.example', 'k1'))?.token, 'newer');
  assert.equal(await store.get('https://c.example', 'k1'), undefined);
  assert.equal(await store.delete('https://a.example', 'k2'), true);
  assert.equal(await store.delete('https://a.example', 'k2'), false);
  assert.deepEqual((await store.list()).map((c) => `${c.server} ${c.consumerKey}`).sort(), [
    'https://a.example k1',
    'https://b.example k1',
  ]);
}

test('memory store', () => contract(new MemoryCredentialStore()));

test('file store: same contract, file 0600 in a 0700 directory, no temp files left', async () => {
  const path = join(root, 'fresh', 'nested', 'credentials.json');
  await contract(new FileCredentialStore({ path }));
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(root, 'fresh', 'nested')).mode & 0o777, 0o700);
  assert.deepEqual(readdirSync(join(root, 'fresh', 'nested')), ['credentials.json']);
  const data = JSON.parse(readFileSync(path, 'utf8'));
  assert.equal(data.version, 1);
  // Another store on the same file sees the same entries.
  assert.equal((await new FileCredentialStore({ path }).list()).length, 2);
});

test('file store: concurrent writers through two instances lose nothing', async () => {
  const path = join(root, 'concurrent', 'credentials.json');
  const a = new FileCredentialStore({ path });
  const b = new FileCredentialStore({ path });
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).put(entry(`https://s${i}.example`, 'k'))),
  );
  assert.equal((await a.list()).length, 20);
  assert.deepEqual(readdirSync(join(root, 'concurrent')), ['credentials.json']);
});

test('file store: a stale lock left by a crash does not block the next write', async () => {
  const dir = join(root, 'locked');
  const path = join(dir, 'credentials.json');
  const store = new FileCredentialStore({ path });
  await store.put(entry('https://a.example', 'k'));
  // A lock file with an old mtime, as a killed process leaves.
  writeFileSync(`${path}.lock`, '');
  const { utimesSync } = await import('node:fs');
  utimesSync(`${path}.lock`, new Date(0), new Date(0));
  await store.put(entry('https://b.example', 'k'));
  assert.equal((await store.list()).length, 2);
});

test('file store: a file it cannot read is never overwritten', async () => {
  const path = join(root, 'corrupt.json');
  writeFileSync(path, '{"credentials": [oops');
  const store = new FileCredentialStore({ path });
  await assert.rejects(store.put(entry('https://a.example', 'k')), { code: 'ERR_STORE' });
  await assert.rejects(store.list(), { code: 'ERR_STORE' });
  assert.equal(readFileSync(path, 'utf8'), '{"credentials": [oops');
});

test('defaultConfigDir: SIGNET_CONFIG_DIR, then XDG_CONFIG_HOME, then ~/.config', () => {
  assert.equal(defaultConfigDir({ SIGNET_CONFIG_DIR: '/x' }), '/x');
  assert.equal(defaultConfigDir({ XDG_CONFIG_HOME: '/y' }), join('/y', 'signet'));
  assert.match(defaultConfigDir({}), /\.config[/\\]signet$/);
});
