import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { ProviderError } from '../src/errors.js';

const cwd = '/srv/signet';
const load = (env: Record<string, string>) => loadConfig(env, { cwd });

function configError(env: Record<string, string>, ...fragments: string[]): void {
  assert.throws(
    () => load(env),
    (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.code, 'ERR_CONFIG');
      for (const f of fragments)
        assert.ok(e.message.includes(f), `${JSON.stringify(e.message)} mentions ${f}`);
      return true;
    },
  );
}

describe('loadConfig', () => {
  it("gives DESIGN.md's defaults for an empty environment", () => {
    assert.deepEqual(load({}), {
      port: 8080,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:8080',
      database: { kind: 'sqlite', path: '/srv/signet/data/signet.db' },
      dataDir: '/srv/signet/data',
      redisUrl: undefined,
      secretKey: undefined,
      openConsumers: true,
      dynamicRegistration: true,
      upstream: undefined,
      timeouts: { statementMs: 5000, acquireMs: 2000, redisMs: 500, requestMs: 10_000 },
      upstreamTimeoutMs: 30_000,
      allowInsecurePlaintext: false,
      requireBodyHash: false,
      trustProxy: false,
      registrationLimit: { limit: 20, windowMs: 3_600_000 },
      openConsumerLimit: { limit: 60, windowMs: 3_600_000 },
      sqliteBusyTimeoutMs: 3000,
      shutdownGraceMs: 10_000,
      maxNonces: 2_000_000,
    });
  });

  it('reads every variable', () => {
    const key = 'k'.repeat(40);
    assert.deepEqual(
      load({
        PORT: '9000',
        HOST: '0.0.0.0',
        SIGNET_PUBLIC_URL: 'https://login.example.org/oauth/',
        SIGNET_DATABASE_URL: 'postgres://signet@db.example/signet',
        SIGNET_REDIS_URL: 'redis://cache:6379/2',
        SIGNET_SECRET_KEY: key,
        SIGNET_OPEN_CONSUMERS: 'false',
        SIGNET_DYNAMIC_REGISTRATION: 'no',
        SIGNET_UPSTREAM: 'http://127.0.0.1:3000',
        SIGNET_DB_STATEMENT_TIMEOUT_MS: '750',
        SIGNET_DB_ACQUIRE_TIMEOUT_MS: '0',
        SIGNET_REDIS_TIMEOUT_MS: '250',
        SIGNET_REQUEST_TIMEOUT_MS: '3000',
        SIGNET_UPSTREAM_TIMEOUT: '2.5',
        SIGNET_ALLOW_INSECURE_PLAINTEXT: 'true',
        SIGNET_REQUIRE_BODY_HASH: 'yes',
        SIGNET_TRUST_PROXY: '10.0.0.0/8, ::1',
        SIGNET_REGISTRATION_LIMIT: '5/minute',
        SIGNET_OPEN_CONSUMER_LIMIT: 'off',
        SIGNET_SQLITE_BUSY_TIMEOUT: '0.5',
        SIGNET_SHUTDOWN_GRACE: '30',
        SIGNET_MAX_NONCES: '100000',
      }),
      {
        port: 9000,
        host: '0.0.0.0',
        publicUrl: 'https://login.example.org/oauth',
        database: { kind: 'postgres', url: 'postgres://signet@db.example/signet' },
        dataDir: '/srv/signet/data',
        redisUrl: 'redis://cache:6379/2',
        secretKey: key,
        openConsumers: false,
        dynamicRegistration: false,
        upstream: 'http://127.0.0.1:3000',
        timeouts: { statementMs: 750, acquireMs: 0, redisMs: 250, requestMs: 3000 },
        upstreamTimeoutMs: 2500,
        allowInsecurePlaintext: true,
        requireBodyHash: true,
        trustProxy: ['10.0.0.0/8', '::1'],
        registrationLimit: { limit: 5, windowMs: 60_000 },
        openConsumerLimit: undefined,
        sqliteBusyTimeoutMs: 500,
        shutdownGraceMs: 30_000,
        maxNonces: 100_000,
      },
    );
  });

  it('reads SIGNET_TRUST_PROXY as Fastify does: true, a hop count, or addresses and CIDRs', () => {
    assert.equal(load({ SIGNET_TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(load({ SIGNET_TRUST_PROXY: 'false' }).trustProxy, false);
    assert.equal(load({ SIGNET_TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(load({ SIGNET_TRUST_PROXY: 'loopback,192.168.1.1' }).trustProxy, [
      'loopback',
      '192.168.1.1',
    ]);
    configError({ SIGNET_TRUST_PROXY: '10.0.0.0/33' }, 'SIGNET_TRUST_PROXY', '10.0.0.0/33');
    configError({ SIGNET_TRUST_PROXY: 'proxy.example' }, 'SIGNET_TRUST_PROXY');
  });

  it('reads rates as N/unit, N per hour, or off', () => {
    assert.deepEqual(load({ SIGNET_REGISTRATION_LIMIT: '100' }).registrationLimit, {
      limit: 100,
      windowMs: 3_600_000,
    });
    assert.deepEqual(load({ SIGNET_REGISTRATION_LIMIT: '3 / days' }).registrationLimit, {
      limit: 3,
      windowMs: 86_400_000,
    });
    assert.equal(load({ SIGNET_REGISTRATION_LIMIT: 'off' }).registrationLimit, undefined);
    configError({ SIGNET_REGISTRATION_LIMIT: '5/fortnight' }, 'SIGNET_REGISTRATION_LIMIT');
    configError({ SIGNET_OPEN_CONSUMER_LIMIT: 'lots' }, 'SIGNET_OPEN_CONSUMER_LIMIT');
  });

  it('refuses durations and nonce bounds that cannot work', () => {
    for (const [name, value] of [
      ['SIGNET_SQLITE_BUSY_TIMEOUT', '0'],
      ['SIGNET_SQLITE_BUSY_TIMEOUT', '-1'],
      ['SIGNET_SHUTDOWN_GRACE', 'soon'],
      ['SIGNET_MAX_NONCES', '0'],
      ['SIGNET_MAX_NONCES', '1e6'],
      ['SIGNET_MAX_NONCES', '20000000'],
    ] as const) {
      assert.throws(
        () => load({ [name]: value }),
        (e: unknown) => e instanceof ProviderError && e.message.includes(name),
        `${name}=${value}`,
      );
    }
  });

  it('derives the public URL from HOST and PORT, with brackets for IPv6', () => {
    assert.equal(load({ PORT: '81', HOST: 'example.org' }).publicUrl, 'http://example.org:81');
    assert.equal(load({ HOST: '::1' }).publicUrl, 'http://[::1]:8080');
  });

  it('resolves a relative SQLite path against cwd and keeps the key next to it', () => {
    const c = load({ SIGNET_DATABASE_URL: 'sqlite:var/db/x.sqlite' });
    assert.deepEqual(c.database, { kind: 'sqlite', path: '/srv/signet/var/db/x.sqlite' });
    assert.equal(c.dataDir, '/srv/signet/var/db');
    assert.deepEqual(load({ SIGNET_DATABASE_URL: 'sqlite:/abs/s.db' }).database, {
      kind: 'sqlite',
      path: '/abs/s.db',
    });
    assert.deepEqual(load({ SIGNET_DATABASE_URL: 'sqlite::memory:' }).database, {
      kind: 'sqlite',
      path: ':memory:',
    });
  });

  it('accepts the usual spellings of booleans and treats empty variables as unset', () => {
    for (const v of ['true', 'TRUE', '1', 'yes', 'on'])
      assert.equal(load({ SIGNET_OPEN_CONSUMERS: v }).openConsumers, true);
    for (const v of ['false', 'False', '0', 'no', 'off'])
      assert.equal(load({ SIGNET_OPEN_CONSUMERS: v }).openConsumers, false);
    assert.equal(load({ SIGNET_REDIS_URL: '', PORT: ' ' }).redisUrl, undefined);
    assert.equal(load({ PORT: '' }).port, 8080);
  });

  it('names each bad variable and why', () => {
    configError({ PORT: 'eighty' }, 'PORT', 'port number');
    configError({ PORT: '70000' }, 'PORT');
    configError({ PORT: '-1' }, 'PORT');
    configError(
      { SIGNET_OPEN_CONSUMERS: 'maybe' },
      'SIGNET_OPEN_CONSUMERS',
      'true or false',
      'maybe',
    );
    configError(
      { SIGNET_DATABASE_URL: 'mysql://x' },
      'SIGNET_DATABASE_URL',
      'sqlite:PATH or postgres://',
    );
    configError({ SIGNET_DATABASE_URL: 'sqlite:' }, 'SIGNET_DATABASE_URL', 'file path');
    configError({ SIGNET_PUBLIC_URL: 'example.org' }, 'SIGNET_PUBLIC_URL', 'absolute');
    configError({ SIGNET_PUBLIC_URL: 'ftp://example.org' }, 'SIGNET_PUBLIC_URL', 'http');
    configError({ SIGNET_PUBLIC_URL: 'https://example.org/?a=b' }, 'SIGNET_PUBLIC_URL', 'query');
    configError({ SIGNET_REDIS_URL: 'localhost:6379' }, 'SIGNET_REDIS_URL', 'redis://');
    configError({ SIGNET_SECRET_KEY: 'short' }, 'SIGNET_SECRET_KEY', '32 characters');
    configError({ SIGNET_UPSTREAM: 'not a url' }, 'SIGNET_UPSTREAM');
    configError(
      { SIGNET_DB_STATEMENT_TIMEOUT_MS: '5s' },
      'SIGNET_DB_STATEMENT_TIMEOUT_MS',
      'milliseconds',
    );
    configError({ SIGNET_REQUEST_TIMEOUT_MS: '-1' }, 'SIGNET_REQUEST_TIMEOUT_MS');
    for (const bad of ['0', '-1', 'ten', '1e3', '3601']) {
      configError({ SIGNET_UPSTREAM_TIMEOUT: bad }, 'SIGNET_UPSTREAM_TIMEOUT', 'seconds');
    }
    configError(
      { SIGNET_ALLOW_INSECURE_PLAINTEXT: 'sure' },
      'SIGNET_ALLOW_INSECURE_PLAINTEXT',
      'true or false',
    );
    configError({ SIGNET_REQUIRE_BODY_HASH: 'sure' }, 'SIGNET_REQUIRE_BODY_HASH');
  });

  it('reports every bad variable at once', () => {
    configError(
      { PORT: 'x', SIGNET_DYNAMIC_REGISTRATION: 'x' },
      'PORT',
      'SIGNET_DYNAMIC_REGISTRATION',
    );
  });

  it('never echoes the secret key in an error', () => {
    assert.throws(
      () => load({ SIGNET_SECRET_KEY: 'hunter2-secret' }),
      (e: unknown) => e instanceof Error && !e.message.includes('hunter2-secret'),
    );
  });
});
