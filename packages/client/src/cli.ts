#!/usr/bin/env node
// The `signet` command: log in to OAuth 1.0a servers, then call and sign requests.
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Param } from '@signet/core';
import { OAuthError } from '@signet/core';
import {
  type Endpoints,
  OAuth1Client,
  type OAuth1ClientOptions,
  type Placement,
  type SignOptions,
} from './client.js';
import { discover, parseServerTarget } from './discovery.js';
import { ClientError, OAuthProtocolError } from './errors.js';
import { desktopConsumerName, launchpadClient } from './launchpad.js';
import { login } from './login.js';
import { registerClient } from './registration.js';
import { type CredentialStore, FileCredentialStore, type StoredCredentials } from './store.js';

/** Exit codes, for scripts. */
const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  network: 3,
  refused: 4,
  declined: 5,
  noCredentials: 6,
} as const;

const HELP = `signet: OAuth 1.0a from the command line

Usage:
  signet login <server | user@host> [options]   authorize signet and save the token
  signet call [METHOD] URL [ITEM ...] [options]  make a signed request, print the answer
  signet sign METHOD URL [ITEM ...] [options]    print the Authorization header (or --curl)
  signet profiles [--json]                       list saved credentials (never secrets)
  signet logout <profile | server> | --all       forget saved credentials
  signet help [command]

Items:
  name=value    a query parameter for GET and HEAD, a form field otherwise (a JSON
                string field with --json)
  name==value   always a query parameter
  name:=json    a raw JSON field (with --json)

Credentials live in $SIGNET_CONFIG_DIR/credentials.json (default
~/.config/signet/credentials.json), mode 0600.

Exit codes:
  0  success
  1  unexpected failure (a bug, an unreadable file)
  2  usage error
  3  network error: the server could not be reached
  4  the server refused: an HTTP error status or an OAuth problem
  5  authorization declined, expired or not given in time
  6  no saved credentials for that server or profile: run signet login first
`;

const COMMAND_HELP: Record<string, string> = {
  login: `Usage: signet login <server | user@host> [options]

Discovers the server's endpoints (host-meta, WebFinger), registers signet as a client when
no --consumer-key is given and the server allows it (pump.io), gets a request token, prints
the authorization URL (and opens a browser when there is one), then reads the verifier at
the prompt or, for Launchpad-style servers, waits until you have decided. Saves the token.

Options:
  --consumer-key KEY          use this consumer instead of registering one
  --consumer-secret SECRET    its secret (or set SIGNET_CONSUMER_SECRET)
  --signature-method NAME     HMAC-SHA1 (default), HMAC-SHA256, HMAC-SHA512, RSA-SHA1,
                              RSA-SHA256, RSA-SHA512 or PLAINTEXT
  --rsa-key FILE              PEM private key for the RSA methods
  --placement WHERE           header (default), query or body
  --realm REALM               realm of the Authorization header
  --request-token-url URL     skip discovery: the three endpoints
  --authorize-url URL
  --access-token-url URL
  --token-method GET|POST     HTTP method of the token requests (default POST)
  --launchpad                 Launchpad flavour (/+request-token, PLAINTEXT, polling)
  --permission LEVEL          Launchpad: offer only these levels (repeatable)
  --context NAME              Launchpad: limit the grant to this context
  --timeout SECONDS           how long to wait for a Launchpad decision (default 900)
  --app-name NAME             the name to register (default "signet")
  --api URL                   another origin these credentials sign for (repeatable)
  --profile NAME              save under this name (default: the server's host)
  --no-browser                do not open a browser
`,
  call: `Usage: signet call [METHOD] URL [ITEM ...] [options]

Signs the request with the saved credentials whose server matches the URL (or --profile),
sends it, follows redirects (signing each hop) and prints the body: JSON pretty-printed,
anything else as is.

Options:
  --profile NAME         the credentials to use
  --json                 send the items as a JSON object
  --data TEXT|@FILE      send this body (set its type with -H 'Content-Type: ...')
  -H, --header 'N: V'    add a header (repeatable)
  --raw                  print the body exactly as received
  -i, --include          print the status line and headers first
`,
  sign: `Usage: signet sign METHOD URL [ITEM ...] [options]

Prints the Authorization header for the request (the signed URL or body for query or body
placement), or with --curl a curl command that sends it. Prints secrets only as the
signature needs them (PLAINTEXT shows the secrets: that is what it signs with).

Options:
  --curl                 print a ready curl command
  --profile NAME         the credentials to use (default: the URL's server)
  --consumer-key KEY     sign with these instead of a profile
  --consumer-secret S    (or SIGNET_CONSUMER_SECRET)
  --token T              (optional)
  --token-secret S       (or SIGNET_TOKEN_SECRET)
  --signature-method M   --rsa-key FILE   --realm R
  --placement WHERE      header, query or body
  --json  --data TEXT|@FILE  -H 'N: V'   as for call
`,
  profiles: `Usage: signet profiles [--json]

Lists the saved credentials: profile, server, consumer key, signature method, when saved.
Secrets are never printed.
`,
  logout: `Usage: signet logout <profile | server> | --all

Forgets saved credentials. The token stays valid on the server until you revoke it there.
`,
};

class UsageError extends Error {}
class NoCredentialsError extends Error {}

const HTTP_METHODS = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|TRACE)$/;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    process.stdout.write(topic !== undefined && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version') {
    process.stdout.write('signet 0.1.0\n');
    return EXIT.ok;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(COMMAND_HELP[command] ?? HELP);
    return EXIT.ok;
  }
  const store = new FileCredentialStore();
  switch (command) {
    case 'login':
      return loginCommand(rest, store);
    case 'call':
      return callCommand(rest, store);
    case 'sign':
      return signCommand(rest, store);
    case 'profiles':
      return profilesCommand(rest, store);
    case 'logout':
      return logoutCommand(rest, store);
    default:
      throw new UsageError(`Unknown command "${command}". Run signet --help.`);
  }
}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

function parse<const O extends OptionsConfig>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

// ---------------------------------------------------------------------------------------
// login

async function loginCommand(args: string[], store: CredentialStore): Promise<number> {
  const { values, positionals } = parse(args, {
    'consumer-key': { type: 'string' },
    'consumer-secret': { type: 'string' },
    'signature-method': { type: 'string' },
    'rsa-key': { type: 'string' },
    placement: { type: 'string' },
    realm: { type: 'string' },
    'request-token-url': { type: 'string' },
    'authorize-url': { type: 'string' },
    'access-token-url': { type: 'string' },
    'token-method': { type: 'string' },
    launchpad: { type: 'boolean' },
    permission: { type: 'string', multiple: true },
    context: { type: 'string' },
    timeout: { type: 'string' },
    'app-name': { type: 'string' },
    api: { type: 'string', multiple: true },
    profile: { type: 'string' },
    'no-browser': { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError('login takes one server or user@host.');
  const target = parseServerTargetOrUsage(positionals[0]!);
  const server = target.account ?? target.origin;
  const host = new URL(target.origin).host;
  const explicit =
    values['request-token-url'] !== undefined ||
    values['authorize-url'] !== undefined ||
    values['access-token-url'] !== undefined;
  const launchpad = values.launchpad === true || (!explicit && /(^|\.)launchpad\.net$/i.test(host));
  const placement = placementOf(values.placement);
  const tokenMethod = values['token-method']?.toUpperCase();
  if (tokenMethod !== undefined && tokenMethod !== 'GET' && tokenMethod !== 'POST') {
    throw new UsageError('--token-method must be GET or POST.');
  }
  const signatureMethod = values['signature-method'];
  const privateKeyFile = values['rsa-key'];
  const privateKey = privateKeyFile === undefined ? undefined : readKey(privateKeyFile);
  let consumerKey = values['consumer-key'];
  let consumerSecret = values['consumer-secret'] ?? process.env['SIGNET_CONSUMER_SECRET'] ?? '';
  let registrationExpiresAt: number | undefined;

  let client: OAuth1Client;
  let endpoints: Endpoints;
  if (launchpad) {
    consumerKey ??= desktopConsumerName();
    client = launchpadClient({
      server: target.origin,
      consumerKey,
      consumerSecret,
      ...(signatureMethod === undefined ? {} : { signatureMethod }),
      ...(privateKey === undefined ? {} : { privateKey }),
      ...(placement === undefined ? {} : { placement }),
      ...(values.realm === undefined ? {} : { realm: values.realm }),
      ...(tokenMethod === undefined ? {} : { tokenRequestMethod: tokenMethod as 'GET' | 'POST' }),
    });
    endpoints = client.options.endpoints!;
  } else {
    if (explicit) {
      endpoints = {
        ...(values['request-token-url'] ? { requestToken: values['request-token-url'] } : {}),
        ...(values['authorize-url'] ? { authorize: values['authorize-url'] } : {}),
        ...(values['access-token-url'] ? { accessToken: values['access-token-url'] } : {}),
      };
      if (!endpoints.requestToken || !endpoints.authorize || !endpoints.accessToken) {
        throw new UsageError(
          'Give all three of --request-token-url, --authorize-url and --access-token-url.',
        );
      }
    } else {
      let found: Awaited<ReturnType<typeof discover>>;
      try {
        found = await discover(positionals[0]!);
      } catch (e) {
        if (e instanceof ClientError && e.code === 'ERR_DISCOVERY') {
          throw new ClientError(
            'ERR_DISCOVERY',
            `${e.message}\nFor servers without discovery, give --request-token-url, --authorize-url ` +
              'and --access-token-url, or --launchpad for Launchpad-style servers.',
          );
        }
        throw e;
      }
      endpoints = found.endpoints;
      if (consumerKey === undefined) {
        if (found.registrationEndpoint === undefined) {
          throw new UsageError(
            `${host} does not offer client registration: give --consumer-key (and --consumer-secret).`,
          );
        }
        const reg = await registerClient(found.registrationEndpoint, {
          applicationName: values['app-name'] ?? 'signet',
          applicationType: 'native',
        });
        consumerKey = reg.clientId;
        consumerSecret = reg.clientSecret;
        if (reg.expiresAt > 0) registrationExpiresAt = reg.expiresAt;
        process.stderr.write(`Registered signet with ${host} as client ${consumerKey}.\n`);
      }
    }
    if (consumerKey === undefined) {
      throw new UsageError('Give --consumer-key (and --consumer-secret) for this server.');
    }
    client = new OAuth1Client({
      consumerKey,
      consumerSecret,
      endpoints,
      ...(signatureMethod === undefined ? {} : { signatureMethod }),
      ...(privateKey === undefined ? {} : { privateKey }),
      ...(placement === undefined ? {} : { placement }),
      ...(values.realm === undefined ? {} : { realm: values.realm }),
      ...(tokenMethod === undefined ? {} : { tokenRequestMethod: tokenMethod as 'GET' | 'POST' }),
    });
  }

  const authorizeParams: Param[] = [];
  for (const p of values.permission ?? []) authorizeParams.push(['allow_permission', p]);
  if (values.context !== undefined) authorizeParams.push(['lp.context', values.context]);
  const timeout = values.timeout === undefined ? 900 : Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError('Bad --timeout.');

  let spinner: (() => void) | undefined;
  let result: Awaited<ReturnType<typeof login>>;
  try {
    result = await login(client, {
      authorizeParams,
      getVerifier: async (url) => {
        process.stderr.write(`Open this page to authorize signet:\n\n  ${url}\n\n`);
        if (values['no-browser'] !== true && openBrowser(url)) {
          process.stderr.write('(opened in your browser)\n');
        }
        if (launchpad) {
          spinner = startSpinner('Waiting for you to authorize signet');
          return undefined;
        }
        const answer = await prompt('Enter the verifier: ');
        return answer === undefined ? undefined : verifierOf(answer);
      },
      poll: launchpad ? { timeout: timeout * 1000 } : false,
    });
  } finally {
    spinner?.();
  }

  const origins = new Set<string>([target.origin]);
  for (const url of Object.values(endpoints)) if (url) origins.add(new URL(url).origin);
  // Launchpad's API lives on its own host: api.launchpad.net beside launchpad.net.
  if (launchpad && /(^|\.)launchpad\.net$/i.test(host)) origins.add(`https://api.${host}`);
  for (const api of values.api ?? []) origins.add(new URL(api).origin);
  const existing = await store.list();
  const profile = uniqueProfile(
    values.profile ?? target.account ?? host,
    server,
    consumerKey,
    existing,
  );
  const o = client.options;
  const saved: StoredCredentials = {
    profile,
    server,
    origins: [...origins],
    consumerKey,
    consumerSecret,
    ...(privateKeyFile === undefined ? {} : { privateKeyFile }),
    signatureMethod: o.signatureMethod ?? 'HMAC-SHA1',
    ...(o.placement === undefined ? {} : { placement: o.placement }),
    ...(o.realm === undefined ? {} : { realm: o.realm }),
    token: result.accessToken.token,
    tokenSecret: result.accessToken.tokenSecret,
    fields: publicFields(result.accessToken.fields),
    ...(registrationExpiresAt === undefined ? {} : { registrationExpiresAt }),
    savedAt: new Date().toISOString(),
  };
  await store.put(saved);
  process.stderr.write(`Logged in to ${server}; saved as profile "${profile}".\n`);
  return EXIT.ok;
}

function parseServerTargetOrUsage(target: string) {
  try {
    return parseServerTarget(target);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

// Extra answer fields worth keeping, never the secret.
function publicFields(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k !== 'oauth_token' && k !== 'oauth_token_secret') out[k] = v;
  }
  return out;
}

function uniqueProfile(
  wanted: string,
  server: string,
  consumerKey: string,
  existing: readonly StoredCredentials[],
): string {
  const taken = (name: string) =>
    existing.some(
      (c) => c.profile === name && !(c.server === server && c.consumerKey === consumerKey),
    );
  if (!taken(wanted)) return wanted;
  for (let i = 2; ; i++) if (!taken(`${wanted}-${i}`)) return `${wanted}-${i}`;
}

// People paste the verifier, or the whole callback URL it came back in.
function verifierOf(answer: string): string {
  const text = answer.trim();
  const m = /[?&]oauth_verifier=([^&#\s]+)/.exec(text);
  return m ? decodeURIComponent(m[1]!) : text;
}

function prompt(question: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    process.stderr.write(question);
    const rl = createInterface({ input: process.stdin, terminal: false });
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.once('close', () => {
      if (!answered) resolve(undefined);
      // Nothing more is read: let the process end when its work is done.
      process.stdin.pause();
      process.stdin.unref?.();
    });
  });
}

function startSpinner(text: string): () => void {
  if (!process.stderr.isTTY) return () => undefined;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  const timer = setInterval(() => {
    process.stderr.write(`\r${frames[i++ % frames.length]} ${text}...`);
  }, 100);
  return () => {
    clearInterval(timer);
    process.stderr.write('\r\x1b[K');
  };
}

function onPath(name: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

// Opening a browser is a convenience: any failure leaves the printed URL to the user.
function openBrowser(url: string): boolean {
  if (process.env['SIGNET_NO_BROWSER']) return false;
  let command: string | undefined;
  let args: string[] = [url];
  const browser = process.env['BROWSER'];
  if (browser) command = browser;
  else if (process.platform === 'darwin') command = 'open';
  else if (process.platform === 'win32') {
    command = 'cmd';
    args = ['/c', 'start', '""', url];
  } else if (
    // Without a display, xdg-open falls back to a text browser that would take the terminal.
    (process.env['DISPLAY'] || process.env['WAYLAND_DISPLAY']) &&
    onPath('xdg-open')
  ) {
    command = 'xdg-open';
  }
  if (command === undefined) return false;
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// call and sign

interface Items {
  query: Param[];
  fields: Param[];
  json: Record<string, unknown>;
}

function parseItems(items: readonly string[]): Items {
  const out: Items = { query: [], fields: [], json: {} };
  for (const item of items) {
    const m = /^([^=:]+)(==|:=|=)(.*)$/s.exec(item);
    if (!m) throw new UsageError(`Not a name=value item: ${item}`);
    const [, name, op, value] = m as unknown as [string, string, string, string];
    if (op === '==') out.query.push([name, value]);
    else if (op === ':=') {
      try {
        out.json[name] = JSON.parse(value);
      } catch {
        throw new UsageError(`Not JSON: ${item}`);
      }
    } else {
      out.fields.push([name, value]);
      out.json[name] = value;
    }
  }
  return out;
}

const requestFlags = {
  profile: { type: 'string' },
  json: { type: 'boolean' },
  data: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
} as const;

function requestOptions(
  method: string,
  items: readonly string[],
  values: { json?: boolean; data?: string; header?: string[] },
): SignOptions & { method: string } {
  const parsed = parseItems(items);
  const headers = new Headers();
  for (const h of values.header ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`Not a header: ${h}`);
    headers.append(h.slice(0, colon).trim(), h.slice(colon + 1).trim());
  }
  const bodyless = method === 'GET' || method === 'HEAD';
  const query = [...parsed.query];
  const out: { -readonly [K in keyof SignOptions]: SignOptions[K] } & { method: string } = {
    method,
    headers,
  };
  if (values.data !== undefined) {
    if (parsed.fields.length > 0 || values.json) {
      throw new UsageError('--data cannot be mixed with name=value items or --json.');
    }
    out.body = values.data.startsWith('@')
      ? new Uint8Array(readFileSync(values.data.slice(1)))
      : values.data;
    if (!headers.has('content-type')) headers.set('content-type', 'application/octet-stream');
  } else if (values.json) {
    if (bodyless) throw new UsageError(`--json needs a method with a body, not ${method}.`);
    out.json = parsed.json;
    if (!headers.has('accept')) headers.set('accept', 'application/json');
  } else if (Object.keys(parsed.json).length > parsed.fields.length) {
    throw new UsageError('name:=json items need --json.');
  } else if (bodyless) {
    query.push(...parsed.fields);
  } else if (parsed.fields.length > 0) {
    out.form = parsed.fields;
  }
  if (query.length > 0) out.query = query;
  return out;
}

function splitMethod(positionals: readonly string[], required: boolean) {
  const [first, ...rest] = positionals;
  if (first !== undefined && HTTP_METHODS.test(first.toUpperCase()) && rest.length > 0) {
    return { method: first.toUpperCase(), url: rest[0]!, items: rest.slice(1) };
  }
  if (required) throw new UsageError('Give a METHOD and a URL.');
  if (first === undefined) throw new UsageError('Give a URL.');
  return { method: 'GET', url: first, items: rest };
}

function checkUrl(url: string): URL {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    return u;
  } catch {
    throw new UsageError(`Not an http(s) URL: ${url}`);
  }
}

async function findCredentials(
  store: CredentialStore,
  url: URL,
  profile: string | undefined,
): Promise<StoredCredentials> {
  const all = await store.list();
  const newest = (list: StoredCredentials[]) =>
    list.sort((a, b) => b.savedAt.localeCompare(a.savedAt))[0];
  if (profile !== undefined) {
    const found = newest(all.filter((c) => c.profile === profile || c.server === profile));
    if (!found) throw new NoCredentialsError(`No saved profile "${profile}".`);
    return found;
  }
  const found = newest(all.filter((c) => c.origins.includes(url.origin)));
  if (!found) {
    throw new NoCredentialsError(
      `No saved credentials for ${url.origin}: run signet login ${url.origin} first, or give --profile.`,
    );
  }
  return found;
}

function clientOf(c: StoredCredentials): OAuth1Client {
  const options: OAuth1ClientOptions = {
    consumerKey: c.consumerKey,
    consumerSecret: c.consumerSecret,
    signatureMethod: c.signatureMethod,
    token: { token: c.token, tokenSecret: c.tokenSecret },
    ...(c.placement === undefined ? {} : { placement: c.placement }),
    ...(c.realm === undefined ? {} : { realm: c.realm }),
    ...(c.privateKeyFile === undefined ? {} : { privateKey: readKey(c.privateKeyFile) }),
  };
  return new OAuth1Client(options);
}

async function callCommand(args: string[], store: CredentialStore): Promise<number> {
  const { values, positionals } = parse(args, {
    ...requestFlags,
    raw: { type: 'boolean' },
    include: { type: 'boolean', short: 'i' },
  });
  const { method, url, items } = splitMethod(positionals, false);
  const target = checkUrl(url);
  const creds = await findCredentials(store, target, values.profile);
  const client = clientOf(creds);
  const response = await client.request(target, {
    ...requestOptions(method, items, values),
    throwHttpErrors: false,
  });
  if (values.include) {
    let head = `HTTP ${response.status} ${response.statusText}\n`;
    response.headers.forEach((v, k) => {
      head += `${k}: ${v}\n`;
    });
    process.stdout.write(head + '\n');
  }
  const type = response.headers.get('content-type') ?? '';
  if (!values.raw && /[/+]json\b/i.test(type)) {
    const text = await response.text();
    try {
      process.stdout.write(JSON.stringify(JSON.parse(text), null, 2) + '\n');
    } catch {
      process.stdout.write(text);
    }
  } else if (response.body !== null) {
    // Stream as it comes: downloads can be large.
    for await (const chunk of response.body) process.stdout.write(chunk);
  }
  if (!response.ok && !(response.status >= 300 && response.status < 400)) {
    const problem = response.headers.get('www-authenticate');
    process.stderr.write(
      `signet: ${method} ${url.split('?')[0]} answered ${response.status} ${response.statusText}` +
        (problem ? ` (${problem})` : '') +
        '\n',
    );
    return EXIT.refused;
  }
  return EXIT.ok;
}

async function signCommand(args: string[], store: CredentialStore): Promise<number> {
  const { values, positionals } = parse(args, {
    ...requestFlags,
    curl: { type: 'boolean' },
    'consumer-key': { type: 'string' },
    'consumer-secret': { type: 'string' },
    token: { type: 'string' },
    'token-secret': { type: 'string' },
    'signature-method': { type: 'string' },
    'rsa-key': { type: 'string' },
    realm: { type: 'string' },
    placement: { type: 'string' },
  });
  const { method, url, items } = splitMethod(positionals, true);
  const target = checkUrl(url);
  let client: OAuth1Client;
  if (values['consumer-key'] !== undefined) {
    const tokenSecret = values['token-secret'] ?? process.env['SIGNET_TOKEN_SECRET'] ?? '';
    client = new OAuth1Client({
      consumerKey: values['consumer-key'],
      consumerSecret: values['consumer-secret'] ?? process.env['SIGNET_CONSUMER_SECRET'] ?? '',
      ...(values.token === undefined ? {} : { token: { token: values.token, tokenSecret } }),
      ...(values['signature-method'] === undefined
        ? {}
        : { signatureMethod: values['signature-method'] }),
      ...(values['rsa-key'] === undefined ? {} : { privateKey: readKey(values['rsa-key']) }),
    });
  } else {
    client = clientOf(await findCredentials(store, target, values.profile));
  }
  const placement = placementOf(values.placement);
  const signed = client.sign(target, {
    ...requestOptions(method, items, values),
    ...(placement === undefined ? {} : { placement }),
    ...(values.realm === undefined ? {} : { realm: values.realm }),
  });
  if (values.curl) {
    const parts = ['curl', '-sS', '-X', signed.method];
    for (const [name, value] of Object.entries(signed.headers)) {
      parts.push('-H', shellQuote(`${name}: ${value}`));
    }
    if (signed.body !== undefined) {
      if (typeof signed.body === 'string') parts.push('--data-binary', shellQuote(signed.body));
      else if (values.data?.startsWith('@')) parts.push('--data-binary', shellQuote(values.data));
      else parts.push('--data-binary', shellQuote(Buffer.from(signed.body).toString('utf8')));
    }
    parts.push(shellQuote(signed.url));
    process.stdout.write(parts.join(' ') + '\n');
    return EXIT.ok;
  }
  if (signed.headers['authorization'] !== undefined) {
    process.stdout.write(`Authorization: ${signed.headers['authorization']}\n`);
  }
  if (
    signed.url !== target.href &&
    signed.oauthParams.length > 0 &&
    /oauth_signature=/.test(signed.url)
  ) {
    process.stdout.write(`${signed.url}\n`);
  }
  if (typeof signed.body === 'string' && /(^|&)oauth_signature=/.test(signed.body)) {
    process.stdout.write(`${signed.body}\n`);
  }
  return EXIT.ok;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------
// profiles and logout

async function profilesCommand(args: string[], store: CredentialStore): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  if (positionals.length > 0) throw new UsageError('profiles takes no arguments.');
  const all = await store.list();
  const rows = all.map((c) => ({
    profile: c.profile,
    server: c.server,
    consumerKey: c.consumerKey,
    signatureMethod: c.signatureMethod,
    origins: c.origins,
    savedAt: c.savedAt,
  }));
  if (values.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return EXIT.ok;
  }
  if (rows.length === 0) {
    process.stderr.write('No saved credentials. Run signet login <server> first.\n');
    return EXIT.ok;
  }
  const table = [
    ['PROFILE', 'SERVER', 'CONSUMER', 'METHOD', 'SAVED'],
    ...rows.map((r) => [r.profile, r.server, r.consumerKey, r.signatureMethod, r.savedAt]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const row of table) {
    process.stdout.write(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd() + '\n',
    );
  }
  return EXIT.ok;
}

async function logoutCommand(args: string[], store: CredentialStore): Promise<number> {
  const { values, positionals } = parse(args, { all: { type: 'boolean' } });
  if (values.all ? positionals.length > 0 : positionals.length !== 1) {
    throw new UsageError('logout takes one profile or server, or --all.');
  }
  const name = positionals[0];
  const all = await store.list();
  const gone = values.all
    ? all
    : all.filter((c) => c.profile === name || c.server === name || c.origins[0] === name);
  if (gone.length === 0) throw new NoCredentialsError(`No saved profile "${name}".`);
  for (const c of gone) {
    await store.delete(c.server, c.consumerKey);
    process.stderr.write(`Forgot profile "${c.profile}" (${c.server}).\n`);
  }
  process.stderr.write('The tokens stay valid on the server until you revoke them there.\n');
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------

function placementOf(value: string | undefined): Placement | undefined {
  if (value === undefined) return undefined;
  if (value === 'header' || value === 'query' || value === 'body') return value;
  throw new UsageError('--placement must be header, query or body.');
}

function readKey(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read the key file ${file}: ${(e as Error).message}`);
  }
}

function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError) return EXIT.usage;
  if (e instanceof NoCredentialsError) return EXIT.noCredentials;
  if (e instanceof ClientError) {
    switch (e.code) {
      case 'ERR_NETWORK':
        return EXIT.network;
      case 'ERR_OAUTH_DECLINED':
      case 'ERR_OAUTH_EXPIRED':
      case 'ERR_OAUTH_TIMEOUT':
      case 'ERR_OAUTH_VERIFIER':
        return EXIT.declined;
      case 'ERR_STORE':
        return EXIT.failure;
      default:
        return EXIT.refused;
    }
  }
  if (e instanceof TypeError && (e as { code?: string }).code === 'ERR_INVALID_ARG_VALUE') {
    return EXIT.usage;
  }
  if (e instanceof OAuthError) return EXIT.usage;
  return EXIT.failure;
}

function messageOf(e: unknown): string {
  if (e instanceof OAuthProtocolError && e.code === 'ERR_OAUTH_DECLINED') {
    return `Authorization was declined: ${e.body.trim() || 'the server refused the request token.'}`;
  }
  if (e instanceof OAuthProtocolError && e.code === 'ERR_OAUTH_EXPIRED') {
    return `The request token expired before it was authorized; run signet login again.`;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const code = exitCodeOf(e);
    process.stderr.write(`signet: ${messageOf(e)}\n`);
    if (code === EXIT.failure && process.env['SIGNET_DEBUG'] && e instanceof Error) {
      process.stderr.write(`${e.stack}\n`);
    }
    process.exitCode = code;
  },
);
