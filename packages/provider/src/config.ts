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
  /** `SIGNET_SQLITE_BUSY_TIMEOUT` in ms: how long a write waits for another process's lock. */
  readonly sqliteBusyTimeoutMs: number;
  /** `SIGNET_SHUTDOWN_GRACE` in ms: how long a stop waits for requests under way. */
  readonly shutdownGraceMs: number;
  /** `SIGNET_MAX_NONCES`: nonces kept in memory (SQLite) before new requests get 503. */
  readonly maxNonces: number;
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
    sqliteBusyTimeoutMs: c.SIGNET_SQLITE_BUSY_TIMEOUT,
    shutdownGraceMs: c.SIGNET_SHUTDOWN_GRACE,
    maxNonces: c.SIGNET_MAX_NONCES,
  };
}
