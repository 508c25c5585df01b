#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isStoreUnavailable } from '@signet/server';
import { loadConfig } from './config.js';
import { randomToken } from './credentials.js';
import { ProviderError } from './errors.js';
import { isPermission, PERMISSIONS } from './permissions.js';
import { reviewToken } from './review.js';
import { openStore } from './stores/open.js';
import type { SqlStore } from './stores/sql.js';
import { describeCause } from './stores/unavailable.js';

const USAGE = `Usage: signet-provider <command> [options] [--json]

Commands:
  migrate
  user add <name> [--display-name N] [--password-stdin]
  user list
  consumer add <key-or-name> [--secret S] [--callback URL] [--rsa-public-key FILE]
  consumer list
  consumer disable <key>
  context add <name> [--title T]
  context list
  token review <request-token> --user <name> --permission <LEVEL> [--context C] [--expires SECONDS]
  token list [--user <name>]
  token revoke <key>

Permission levels: ${PERMISSIONS.map((p) => p.value).join(', ')}.
Configuration comes from the environment (SIGNET_DATABASE_URL, SIGNET_SECRET_KEY ...).
Every command takes --json for machine-readable output.`;

/** A mistake in the command line: exit status 2 and the usage. */
class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

interface Command {
  readonly positionals: readonly string[];
  readonly options: Options;
  run(ctx: Context): Promise<Output>;
}

interface Context {
  readonly store: SqlStore;
  readonly args: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly migrated: readonly string[];
}

/** What a command prints: the JSON value, and the same for people. */
interface Output {
  readonly json: unknown;
  readonly text: string;
}

const str = (ctx: Context, name: string): string | undefined => {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
};

const date = (ms: number | undefined): string =>
  ms === undefined ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function table(rows: readonly (readonly string[])[]): string {
  if (rows.length <= 1) return rows.length === 1 ? '(none)' : '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const COMMANDS: Record<string, Command> = {
  migrate: {
    positionals: [],
    options: {},
    async run({ migrated }) {
      return {
        json: { migrated },
        text: migrated.length === 0 ? 'Database is up to date.' : `Applied: ${migrated.join(', ')}`,
      };
    },
  },

  'user add': {
    positionals: ['name'],
    options: { 'display-name': { type: 'string' }, 'password-stdin': { type: 'boolean' } },
    async run(ctx) {
      let password: string;
      let generated = false;
      if (ctx.values['password-stdin'] === true) {
        // One line, as `echo secret | ...` or a password manager sends it.
        password = (await readStdin()).replace(/\r?\n$/, '');
        if (password === '')
          throw new UsageError('--password-stdin: no password on standard input');
      } else {
        password = randomToken(20);
        generated = true;
      }
      const user = await ctx.store.createUser({
        name: ctx.args[0]!,
        displayName: str(ctx, 'display-name'),
        password,
      });
      return {
        json: {
          name: user.name,
          displayName: user.displayName,
          ...(generated && { password }),
        },
        text: `Created user ${user.name} (${user.displayName}).${generated ? `\nPassword: ${password}` : ''}`,
      };
    },
  },

  'user list': {
    positionals: [],
    options: {},
    async run({ store }) {
      const users = await store.listUsers();
      return {
        json: users,
        text: table([
          ['NAME', 'DISPLAY NAME', 'CAN LOG IN', 'CREATED'],
          ...users.map((u) => [
            u.name,
            u.displayName,
            u.hasPassword ? 'yes' : 'no',
            date(u.createdAt),
          ]),
        ]),
      };
    },
  },

  'consumer add': {
    positionals: ['key-or-name'],
    options: {
      secret: { type: 'string' },
      callback: { type: 'string' },
      'rsa-public-key': { type: 'string' },
    },
    async run(ctx) {
      const keyFile = str(ctx, 'rsa-public-key');
      let rsaPublicKey: string | undefined;
      if (keyFile !== undefined) {
        try {
          rsaPublicKey = readFileSync(keyFile, 'utf8');
        } catch (e) {
          throw new ProviderError('ERR_INVALID', `Cannot read ${keyFile}: ${(e as Error).message}`);
        }
        if (!rsaPublicKey.includes('-----BEGIN ')) {
          throw new ProviderError('ERR_INVALID', `${keyFile} is not a PEM key or certificate.`);
        }
      }
      const secret = str(ctx, 'secret');
      const callbackUrl = str(ctx, 'callback');
      const consumer = await ctx.store.createConsumer({
        key: ctx.args[0]!,
        ...(secret !== undefined && { secret }),
        ...(callbackUrl !== undefined && { callbackUrl }),
        ...(rsaPublicKey !== undefined && { rsaPublicKey }),
      });
      return {
        json: { key: consumer.key, secret: consumer.secret },
        text: `Key:    ${consumer.key}\nSecret: ${consumer.secret}`,
      };
    },
  },

  'consumer list': {
    positionals: [],
    options: {},
    async run({ store }) {
      const consumers = await store.listConsumers();
      return {
        json: consumers,
        text: table([
          ['KEY', 'NAME', 'ORIGIN', 'STATUS', 'CALLBACK', 'CREATED'],
          ...consumers.map((c) => [
            c.key,
            c.name,
            c.origin,
            c.disabledAt === undefined ? 'enabled' : 'disabled',
            c.callbackUrl ?? '-',
            date(c.createdAt),
          ]),
        ]),
      };
    },
  },

  'consumer disable': {
    positionals: ['key'],
    options: {},
    async run({ store, args }) {
      const key = args[0]!;
      if (!(await store.disableConsumer(key))) {
        const known = await store.getConsumerInfo(key);
        throw new ProviderError(
          known === undefined ? 'ERR_NOT_FOUND' : 'ERR_TOKEN_STATE',
          known === undefined ? `Unknown consumer ${key}.` : `Consumer ${key} is already disabled.`,
        );
      }
      return { json: { key, disabled: true }, text: `Disabled consumer ${key}.` };
    },
  },

  'context add': {
    positionals: ['name'],
    options: { title: { type: 'string' } },
    async run(ctx) {
      const context = await ctx.store.createContext({
        name: ctx.args[0]!,
        title: str(ctx, 'title'),
      });
      return {
        json: { name: context.name, title: context.title },
        text: `Created context ${context.name} (${context.title}).`,
      };
    },
  },

  'context list': {
    positionals: [],
    options: {},
    async run({ store }) {
      const contexts = await store.listContexts();
      return {
        json: contexts,
        text: table([['NAME', 'TITLE'], ...contexts.map((c) => [c.name, c.title])]),
      };
    },
  },

  'token review': {
    positionals: ['request-token'],
    options: {
      user: { type: 'string' },
      permission: { type: 'string' },
      context: { type: 'string' },
      expires: { type: 'string' },
    },
    async run(ctx) {
      const userId = str(ctx, 'user');
      const permission = str(ctx, 'permission');
      if (userId === undefined) throw new UsageError('token review needs --user <name>');
      if (permission === undefined) throw new UsageError('token review needs --permission <LEVEL>');
      if (!isPermission(permission)) {
        throw new UsageError(
          `unknown permission ${permission}; one of ${PERMISSIONS.map((p) => p.value).join(', ')}`,
        );
      }
      const expires = str(ctx, 'expires');
      if (expires !== undefined && !/^[1-9]\d*$/.test(expires)) {
        throw new UsageError('--expires takes a positive whole number of seconds');
      }
      const result = await reviewToken(ctx.store, {
        token: ctx.args[0]!,
        userId,
        permission,
        context: str(ctx, 'context'),
        expiresIn: expires === undefined ? undefined : Number(expires),
        now: Date.now(),
      });
      return {
        json: { verifier: result.verifier, redirect: result.redirect ?? null },
        text:
          `Verifier: ${result.verifier}` +
          (result.redirect === undefined ? '' : `\nRedirect: ${result.redirect}`),
      };
    },
  },

  'token list': {
    positionals: [],
    options: { user: { type: 'string' } },
    async run(ctx) {
      const userId = str(ctx, 'user');
      const now = Date.now();
      const access = await ctx.store.listAccessTokens({ userId });
      const pending = await ctx.store.listRequestTokens({ userId, live: now });
      const rows = [
        ...access.map((t) => ({
          type: 'access' as const,
          token: t.token,
          consumer: t.consumerKey,
          consumerName: t.consumerName,
          user: t.userId,
          permission: t.permission,
          context: t.context ?? null,
          createdAt: t.createdAt,
          expiresAt: t.expiresAt ?? null,
          status:
            t.revokedAt !== undefined
              ? 'revoked'
              : t.expiresAt !== undefined && t.expiresAt <= now
                ? 'expired'
                : 'active',
        })),
        ...pending.map((t) => ({
          type: 'request' as const,
          token: t.token,
          consumer: t.consumerKey,
          consumerName: t.consumerName,
          user: t.grant?.userId ?? null,
          permission: t.grant?.permission ?? null,
          context: t.grant?.context ?? null,
          createdAt: t.createdAt,
          expiresAt: t.expiresAt,
          status: t.grant === undefined ? 'pending' : 'reviewed',
        })),
      ];
      return {
        json: rows,
        text: table([
          ['TYPE', 'TOKEN', 'CONSUMER', 'USER', 'PERMISSION', 'CONTEXT', 'STATUS', 'EXPIRES'],
          ...rows.map((r) => [
            r.type,
            r.token,
            r.consumerName,
            r.user ?? '-',
            r.permission ?? '-',
            r.context ?? '-',
            r.status,
            r.expiresAt === null ? 'never' : date(r.expiresAt),
          ]),
        ]),
      };
    },
  },

  'token revoke': {
    positionals: ['key'],
    options: {},
    async run({ store, args }) {
      const key = args[0]!;
      const now = Date.now();
      const revoked =
        (await store.revokeAccessToken(key, now)) || (await store.revokeRequestToken(key, now));
      if (!revoked) {
        throw new ProviderError('ERR_NOT_FOUND', `No live token ${key}.`);
      }
      return { json: { token: key, revoked: true }, text: `Revoked ${key}.` };
    },
  },
};

/**
 * Runs the admin CLI with `argv` (without `node` and the script). Returns the exit status:
 * 0 done, 1 failed (a message on stderr), 2 bad command line.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const rest = [...argv];
  // --json and --help may come before the command words too.
  const leading = new Set<string>();
  while (rest[0] === '--json' || rest[0] === '--help' || rest[0] === '-h')
    leading.add(rest.shift()!);
  const json = leading.has('--json') || rest.includes('--json');
  const fail = (status: number, message: string): number => {
    if (json) process.stderr.write(`${JSON.stringify({ error: message })}\n`);
    else process.stderr.write(`signet-provider: ${message}\n${status === 2 ? `\n${USAGE}\n` : ''}`);
    return status;
  };
  if (leading.has('--help') || leading.has('-h') || rest.length === 0 || rest[0] === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return rest.length === 0 && !leading.has('--help') && !leading.has('-h') ? 2 : 0;
  }
  const name = rest[0] === 'migrate' ? 'migrate' : `${rest[0]} ${rest[1] ?? ''}`.trim();
  const command = COMMANDS[name];
  if (command === undefined) return fail(2, `unknown command "${name}"`);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest.slice(name.split(' ').length),
      options: {
        ...command.options,
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    return fail(2, (e as Error).message);
  }
  if (parsed.values['help'] === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.positionals.length !== command.positionals.length) {
    const expected = command.positionals.map((p) => `<${p}>`).join(' ');
    return fail(2, `${name} takes ${expected === '' ? 'no arguments' : expected}`);
  }

  let opened: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    const config = loadConfig(process.env);
    // Every command migrates first: an administrator's first `user add` on a fresh machine
    // must work without knowing about `migrate`.
    opened = await openStore(config);
    const output = await command.run({
      store: opened.store,
      args: parsed.positionals,
      values: parsed.values as Record<string, string | boolean | undefined>,
      migrated: opened.migrated,
    });
    process.stdout.write(json ? `${JSON.stringify(output.json, null, 2)}\n` : `${output.text}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) return fail(2, e.message);
    if (e instanceof ProviderError) return fail(1, e.message);
    // An administrator needs the driver's own words (refused, no such role ...).
    if (isStoreUnavailable(e)) return fail(1, `${e.message} (${describeCause(e.cause).cause})`);
    return fail(1, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  } finally {
    await opened?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
