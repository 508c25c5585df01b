import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ProviderError } from './errors.js';

/** Where the provider keeps its data. */
export type DatabaseConfig =
  | {
      readonly kind: 'sqlite';
      /** Absolute path of the database file, or `:memory:`. */
      readonly path: string;
    }
  | {
      readonly kind: 'postgres';
      /** The `postgres://` URL as given. */
      readonly url: string;
    };

/** The provider's configuration, as read from the environment by {@link loadConfig}. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** External base URL without a trailing slash; signatures are checked against it. */
  readonly publicUrl: string;
  readonly database: DatabaseConfig;
  /** Where the generated secret key lives: the SQLite file's folder, or `./data`. */
  readonly dataDir: string;
  readonly redisUrl: string | undefined;
  /** `SIGNET_SECRET_KEY`, when set; otherwise a key file in {@link Config.dataDir} is used. */
  readonly secretKey: string | undefined;
  readonly openConsumers: boolean;
  readonly dynamicRegistration: boolean;
  readonly upstream: string | undefined;
  /** `SIGNET_UPSTREAM_TIMEOUT` in milliseconds: how long the gateway waits for the upstream. */
  readonly upstreamTimeoutMs: number;
  /** PLAINTEXT on the RFC 5849 endpoints and the API even when the public URL is http:. */
  readonly allowInsecurePlaintext: boolean;
  /** The API refuses non-form bodies without `oauth_body_hash`. */
  readonly requireBodyHash: boolean;
  /** How long a failing or slow dependency may hold a request; see {@link Timeouts}. */
  readonly timeouts: Timeouts;
  /**
   * `SIGNET_TRUST_PROXY`, as Fastify's `trustProxy`: which hops of `X-Forwarded-For` to
   * believe for the client's address. `false` (unset): the socket's address.
   */
  readonly trustProxy: boolean | number | readonly string[];
  /** `SIGNET_REGISTRATION_LIMIT`: dynamic registrations per client address; none if off. */
  readonly registrationLimit: RateLimit | undefined;
  /** `SIGNET_OPEN_CONSUMER_LIMIT`: new open consumers per client address; none if off. */
  readonly openConsumerLimit: RateLimit | undefined;
  /** `SIGNET_SQLITE_BUSY_TIMEOUT` in ms: how long a write waits for another process's lock. */
  readonly sqliteBusyTimeoutMs: number;
  /** `SIGNET_SHUTDOWN_GRACE` in ms: how long a stop waits for requests under way. */
  readonly shutdownGraceMs: number;
  /** `SIGNET_MAX_NONCES`: nonces kept in memory (SQLite) before new requests get 503. */
  readonly maxNonces: number;
}

/** So many per window. */
export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/** Time limits, in milliseconds; 0 turns one off. */
export interface Timeouts {
  /** `SIGNET_DB_STATEMENT_TIMEOUT_MS`: a PostgreSQL statement, lock waits included. */
  readonly statementMs: number;
  /** `SIGNET_DB_ACQUIRE_TIMEOUT_MS`: waiting for a PostgreSQL connection of the pool. */
  readonly acquireMs: number;
  /** `SIGNET_REDIS_TIMEOUT_MS`: a Redis command. */
  readonly redisMs: number;
  /** `SIGNET_REQUEST_TIMEOUT_MS`: a whole request (the gateway's upstream call excepted). */
  readonly requestMs: number;
}

/** The environment as `process.env` gives it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Folder that relative paths are resolved against; `process.cwd()` by default. */
  readonly cwd?: string;
}

/** Minimum length of `SIGNET_SECRET_KEY`: it is used as key material, not as a password. */
export const MIN_SECRET_KEY_LENGTH = 32;

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

const flag = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return fallback;
      const v = value.trim().toLowerCase();
      if (TRUE.has(v)) return true;
      if (FALSE.has(v)) return false;
      ctx.addIssue({
        code: 'custom',
        message: `expected true or false, got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    });

function httpUrl(value: string, ctx: z.RefinementCtx, what: string): URL | typeof z.NEVER {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `expected an absolute ${what} URL, got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({
      code: 'custom',
      message: `expected an http: or https: URL, got ${url.protocol}`,
    });
    return z.NEVER;
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    ctx.addIssue({ code: 'custom', message: 'must not carry a query, a fragment or credentials' });
    return z.NEVER;
  }
  return url;
}

/** Seconds, as a number of milliseconds: `0.5` is 500. */
const seconds = (fallback: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return fallback * 1000;
      const n = Number(value.trim());
      if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0) || n > max) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a number of seconds above 0 and at most ${max}, got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      return Math.round(n * 1000);
    });

/**
 * Above V8's limit on the entries of one `Set` (2^24), the nonce store would throw; the
 * bound keeps well below it.
 */
export const MAX_NONCES_LIMIT = 15_000_000;

const millis = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return fallback;
      const n = Number(value);
      if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n > 86_400_000) {
        ctx.addIssue({
          code: 'custom',
          message: `expected whole milliseconds (0 for no limit), got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      return n;
    });

const UNITS: Readonly<Record<string, number>> = {
  s: 1000,
  second: 1000,
  m: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
};

// `N/unit` (`20/hour`, `5/minute`), `N` (per hour), or `off`.
const rate = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx): RateLimit | undefined => {
      const v = (value ?? fallback).trim().toLowerCase();
      if (FALSE.has(v)) return undefined;
      const m = /^(\d{1,9})\s*(?:\/\s*([a-z]+?)s?)?$/.exec(v);
      const windowMs = m ? UNITS[m[2] ?? 'hour'] : undefined;
      if (!m || windowMs === undefined || Number(m[1]) < 1) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a rate like 20/hour or 5/minute, or off; got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      return { limit: Number(m[1]), windowMs };
    });

// proxy-addr's names for ranges, which Fastify accepts in the list.
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrCidr(v: string): boolean {
  if (RANGE_NAMES.has(v)) return true;
  const [address = '', bits, extra] = v.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

const schema = z.object({
  PORT: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return 8080;
      const n = Number(value);
      if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n > 65535) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a port number 0-65535, got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      return n;
    }),
  HOST: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const v = (value ?? '127.0.0.1').trim();
      if (v === '' || /[\s/]/.test(v)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a host name or address, got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      return v;
    }),
  SIGNET_PUBLIC_URL: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const url = httpUrl(value, ctx, 'http(s)');
      return url === z.NEVER ? z.NEVER : url.href.replace(/\/+$/, '');
    }),
  SIGNET_DATABASE_URL: z
    .string()
    .optional()
    .transform(
      (value, ctx): { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } => {
        const v = value ?? 'sqlite:./data/signet.db';
        if (v.startsWith('sqlite:')) {
          const path = v.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
          if (path === '') {
            ctx.addIssue({
              code: 'custom',
              message: 'sqlite: needs a file path, e.g. sqlite:./data/signet.db',
            });
            return z.NEVER;
          }
          return { kind: 'sqlite', path };
        }
        if (v.startsWith('postgres://') || v.startsWith('postgresql://')) {
          try {
            new URL(v);
          } catch {
            ctx.addIssue({ code: 'custom', message: 'is not a valid postgres:// URL' });
            return z.NEVER;
          }
          return { kind: 'postgres', url: v };
        }
        ctx.addIssue({
          code: 'custom',
          message: `expected sqlite:PATH or postgres://..., got ${JSON.stringify(v.split(':')[0] + ':...')}`,
        });
        return z.NEVER;
      },
    ),
  SIGNET_REDIS_URL: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || /^rediss?:\/\/[^\s]+$/.test(v),
      'expected a redis:// or rediss:// URL',
    ),
  SIGNET_SECRET_KEY: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || v.length >= MIN_SECRET_KEY_LENGTH,
      `must be at least ${MIN_SECRET_KEY_LENGTH} characters (e.g. \`openssl rand -base64 32\`), or unset to generate one`,
    ),
  SIGNET_OPEN_CONSUMERS: flag(true),
  SIGNET_DYNAMIC_REGISTRATION: flag(true),
  SIGNET_UPSTREAM: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const url = httpUrl(value, ctx, 'http(s)');
      return url === z.NEVER ? z.NEVER : url.href.replace(/\/+$/, '');
    }),
  SIGNET_DB_STATEMENT_TIMEOUT_MS: millis(5000),
  SIGNET_DB_ACQUIRE_TIMEOUT_MS: millis(2000),
  SIGNET_REDIS_TIMEOUT_MS: millis(500),
  SIGNET_REQUEST_TIMEOUT_MS: millis(10_000),
  SIGNET_UPSTREAM_TIMEOUT: seconds(30, 3600),
  SIGNET_ALLOW_INSECURE_PLAINTEXT: flag(false),
  SIGNET_REQUIRE_BODY_HASH: flag(false),
  SIGNET_TRUST_PROXY: z
    .string()
    .optional()
    .transform((value, ctx): boolean | number | string[] => {
      if (value === undefined) return false;
      const v = value.trim().toLowerCase();
      if (TRUE.has(v) && v !== '1') return true;
      if (FALSE.has(v) && v !== '0') return false;
      if (/^\d{1,3}$/.test(v)) return Number(v);
      const list = v.split(',').map((x) => x.trim());
      const bad = list.find((x) => !isAddressOrCidr(x));
      if (bad !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `expected true, a hop count, or a comma-separated list of addresses or CIDRs; ${JSON.stringify(bad)} is none of these`,
        });
        return z.NEVER;
      }
      return list;
    }),
  SIGNET_REGISTRATION_LIMIT: rate('20/hour'),
  SIGNET_OPEN_CONSUMER_LIMIT: rate('60/hour'),
  SIGNET_SQLITE_BUSY_TIMEOUT: seconds(3, 600),
  SIGNET_SHUTDOWN_GRACE: seconds(10, 3600),
  SIGNET_MAX_NONCES: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return 2_000_000;
      const n = Number(value.trim());
      if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_NONCES_LIMIT) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a whole number from 1 to ${MAX_NONCES_LIMIT}, got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      return n;
    }),
});

const VARIABLES = Object.keys(schema.shape) as (keyof typeof schema.shape)[];

/**
 * Reads the configuration from an environment object: a pure function of `env` (and of
 * `options.cwd`, against which relative paths are resolved). Empty variables count as unset.
 * Throws a {@link ProviderError} `ERR_CONFIG` naming every bad variable.
 *
 * @example
 * const config = loadConfig(process.env);
 * config.database // { kind: 'sqlite', path: '/srv/signet/data/signet.db' }
 */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const input: Record<string, string> = {};
  for (const name of VARIABLES) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') input[name] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ProviderError('ERR_CONFIG', `Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const database: DatabaseConfig =
    c.SIGNET_DATABASE_URL.kind === 'sqlite' && c.SIGNET_DATABASE_URL.path !== ':memory:'
      ? { kind: 'sqlite', path: resolve(cwd, c.SIGNET_DATABASE_URL.path) }
      : c.SIGNET_DATABASE_URL;
  const dataDir =
    database.kind === 'sqlite' && database.path !== ':memory:'
      ? dirname(database.path)
      : resolve(cwd, 'data');
  // An IPv6 literal needs brackets inside a URL.
  const urlHost = c.HOST.includes(':') ? `[${c.HOST}]` : c.HOST;
  return {
    port: c.PORT,
    host: c.HOST,
    publicUrl: c.SIGNET_PUBLIC_URL ?? `http://${urlHost}:${c.PORT}`,
    database,
    dataDir,
    redisUrl: c.SIGNET_REDIS_URL,
    secretKey: c.SIGNET_SECRET_KEY,
    openConsumers: c.SIGNET_OPEN_CONSUMERS,
    dynamicRegistration: c.SIGNET_DYNAMIC_REGISTRATION,
    upstream: c.SIGNET_UPSTREAM,
    timeouts: {
      statementMs: c.SIGNET_DB_STATEMENT_TIMEOUT_MS,
      acquireMs: c.SIGNET_DB_ACQUIRE_TIMEOUT_MS,
      redisMs: c.SIGNET_REDIS_TIMEOUT_MS,
      requestMs: c.SIGNET_REQUEST_TIMEOUT_MS,
    },
    upstreamTimeoutMs: c.SIGNET_UPSTREAM_TIMEOUT,
    allowInsecurePlaintext: c.SIGNET_ALLOW_INSECURE_PLAINTEXT,
    requireBodyHash: c.SIGNET_REQUIRE_BODY_HASH,
    trustProxy: c.SIGNET_TRUST_PROXY,
    registrationLimit: c.SIGNET_REGISTRATION_LIMIT,
    openConsumerLimit: c.SIGNET_OPEN_CONSUMER_LIMIT,
    sqliteBusyTimeoutMs: c.SIGNET_SQLITE_BUSY_TIMEOUT,
    shutdownGraceMs: c.SIGNET_SHUTDOWN_GRACE,
    maxNonces: c.SIGNET_MAX_NONCES,
  };
}
