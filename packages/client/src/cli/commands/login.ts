// signet login <server | user@host>: discover, register (once per server), authorize, save.
import type { Param } from '@signet/core';
import {
  type AccessToken,
  type Endpoints,
  OAuth1Client,
  type OAuth1ClientOptions,
} from '../../client.js';
import { discover, parseServerTarget } from '../../discovery.js';
import { ClientError, OAuthProtocolError } from '../../errors.js';
import { desktopConsumerName, launchpadClient, waitForAccessToken } from '../../launchpad.js';
import { registerClient, updateClient } from '../../registration.js';
import type { CredentialStore, StoredCredentials } from '../../store.js';
import {
  checkKeyFor,
  checkUrl,
  EXIT,
  parse,
  placementOf,
  readKey,
  signatureMethodOf,
  UsageError,
} from '../common.js';
import { openBrowser, prompt, startSpinner, stopReading } from '../terminal.js';

/** Tries at typing a verifier before giving up (the request token stays valid meanwhile). */
const VERIFIER_TRIES = 5;

export async function loginCommand(args: string[], store: CredentialStore): Promise<number> {
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
  // Every flag is checked before anything is sent: a mistyped option must not leave a
  // registered client or a request token behind.
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
  const signatureMethod = signatureMethodOf(values['signature-method']);
  const privateKeyFile = values['rsa-key'];
  checkKeyFor(signatureMethod, privateKeyFile);
  const privateKey = privateKeyFile === undefined ? undefined : readKey(privateKeyFile);
  const timeout = values.timeout === undefined ? 900 : Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new UsageError('--timeout is a number of seconds.');
  }
  let explicitEndpoints: Endpoints | undefined;
  if (explicit) {
    const urls = [values['request-token-url'], values['authorize-url'], values['access-token-url']];
    if (urls.some((u) => u === undefined)) {
      throw new UsageError(
        'Give all three of --request-token-url, --authorize-url and --access-token-url.',
      );
    }
    for (const u of urls) checkUrl(u!);
    explicitEndpoints = {
      requestToken: values['request-token-url']!,
      authorize: values['authorize-url']!,
      accessToken: values['access-token-url']!,
    };
  }
  for (const api of values.api ?? []) checkUrl(api);
  const appName = values['app-name'];
  let consumerKey = values['consumer-key'];
  let consumerSecret = values['consumer-secret'] ?? process.env['SIGNET_CONSUMER_SECRET'] ?? '';
  let registrationExpiresAt: number | undefined;
  // What the authorization page will call the application, for the messages.
  let shownName = appName ?? (consumerKey === undefined ? 'signet' : `consumer ${consumerKey}`);

  const clientOptions: Omit<OAuth1ClientOptions, 'consumerKey' | 'consumerSecret'> = {
    ...(signatureMethod === undefined ? {} : { signatureMethod }),
    ...(privateKey === undefined ? {} : { privateKey }),
    ...(placement === undefined ? {} : { placement }),
    ...(values.realm === undefined ? {} : { realm: values.realm }),
    ...(tokenMethod === undefined ? {} : { tokenRequestMethod: tokenMethod as 'GET' | 'POST' }),
  };
  let client: OAuth1Client;
  let endpoints: Endpoints;
  if (launchpad) {
    consumerKey ??= appName ?? desktopConsumerName();
    shownName = consumerKey;
    client = launchpadClient({
      server: target.origin,
      consumerKey,
      consumerSecret,
      ...clientOptions,
    });
    endpoints = client.options.endpoints!;
  } else {
    if (explicitEndpoints !== undefined) {
      endpoints = explicitEndpoints;
    } else {
      const found = await discoverOrExplain(positionals[0]!);
      endpoints = found.endpoints;
      if (consumerKey === undefined) {
        if (found.registrationEndpoint === undefined) {
          throw new UsageError(
            `${host} does not offer client registration: give --consumer-key (and --consumer-secret).`,
          );
        }
        const registered = await registeredClient(
          store,
          found.registrationEndpoint,
          appName ?? 'signet',
          host,
        );
        consumerKey = registered.clientId;
        consumerSecret = registered.clientSecret;
        if (registered.expiresAt > 0) registrationExpiresAt = registered.expiresAt;
        shownName = registered.applicationName;
      }
    }
    if (consumerKey === undefined) {
      throw new UsageError('Give --consumer-key (and --consumer-secret) for this server.');
    }
    client = new OAuth1Client({ consumerKey, consumerSecret, endpoints, ...clientOptions });
  }

  const authorizeParams: Param[] = [];
  for (const p of values.permission ?? []) authorizeParams.push(['allow_permission', p]);
  if (values.context !== undefined) authorizeParams.push(['lp.context', values.context]);

  const requestToken = await client.requestToken();
  const url = client.authorizationUrl(requestToken, authorizeParams);
  process.stderr.write(`Open this page to authorize ${shownName}:\n\n  ${url}\n\n`);
  if (values['no-browser'] !== true && openBrowser(url)) {
    process.stderr.write('(opened in your browser)\n');
  }
  let accessToken: AccessToken;
  if (launchpad) {
    const stop = startSpinner(`Waiting for you to authorize ${shownName}`);
    try {
      accessToken = await waitForAccessToken(client, requestToken, { timeout: timeout * 1000 });
    } finally {
      stop();
    }
  } else {
    try {
      accessToken = await exchangeTypedVerifier(client, requestToken);
    } finally {
      stopReading();
    }
  }

  const origins = new Set<string>([target.origin]);
  for (const u of Object.values(endpoints)) if (u) origins.add(new URL(u).origin);
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
    token: accessToken.token,
    tokenSecret: accessToken.tokenSecret,
    fields: publicFields(accessToken.fields),
    ...(registrationExpiresAt === undefined ? {} : { registrationExpiresAt }),
    savedAt: new Date().toISOString(),
  };
  await store.put(saved);
  process.stderr.write(`${loggedIn(server, accessToken.fields)} (profile ${profile}).\n`);
  return EXIT.ok;
}

/**
 * Reads the verifier at the prompt and exchanges it; a mistyped one is asked for again
 * while the request token is still valid, rather than restarting the whole login.
 */
async function exchangeTypedVerifier(
  client: OAuth1Client,
  requestToken: Parameters<OAuth1Client['accessToken']>[0],
): Promise<AccessToken> {
  for (let attempt = 1; ; attempt++) {
    const answer = await prompt('Enter the verifier: ');
    if (answer === undefined) throw new ClientError('ERR_OAUTH_VERIFIER', 'No verifier was given.');
    const verifier = verifierOf(answer);
    if (verifier === '') {
      attempt--;
      continue;
    }
    try {
      return await client.accessToken(requestToken, verifier);
    } catch (e) {
      if (!(e instanceof OAuthProtocolError) || !isWrongVerifier(e) || attempt >= VERIFIER_TRIES) {
        throw e;
      }
      process.stderr.write('That verifier was not accepted; check it and type it again.\n');
    }
  }
}

function isWrongVerifier(e: OAuthProtocolError): boolean {
  return e.problem === 'verifier_invalid' || /invalid verifier/i.test(e.body);
}

/**
 * The client registered with this server before, updated if its name changed, or a new
 * one, kept at once so that a failed login does not register another next time.
 */
async function registeredClient(
  store: CredentialStore,
  endpoint: string,
  applicationName: string,
  host: string,
): Promise<{ clientId: string; clientSecret: string; expiresAt: number; applicationName: string }> {
  const kept = await store.getRegistration?.(endpoint);
  const live =
    kept !== undefined && (kept.expiresAt === 0 || kept.expiresAt > Date.now() / 1000 + 60);
  if (kept !== undefined && live) {
    if (kept.applicationName === applicationName) return kept;
    try {
      const updated = await updateClient(endpoint, {
        clientId: kept.clientId,
        clientSecret: kept.clientSecret,
        applicationName,
        applicationType: 'native',
      });
      const renamed = {
        ...kept,
        applicationName,
        expiresAt: updated.expiresAt,
        savedAt: new Date().toISOString(),
      };
      await store.putRegistration?.(renamed);
      process.stderr.write(`Renamed client ${kept.clientId} on ${host} to ${applicationName}.\n`);
      return renamed;
    } catch (e) {
      // The server forgot it (or refuses the update): register anew below.
      if (!(e instanceof OAuthProtocolError)) throw e;
    }
  }
  const reg = await registerClient(endpoint, { applicationName, applicationType: 'native' });
  const saved = {
    endpoint,
    clientId: reg.clientId,
    clientSecret: reg.clientSecret,
    applicationName,
    expiresAt: reg.expiresAt,
    savedAt: new Date().toISOString(),
  };
  await store.putRegistration?.(saved);
  process.stderr.write(`Registered ${applicationName} with ${host} as client ${reg.clientId}.\n`);
  return saved;
}

async function discoverOrExplain(target: string) {
  try {
    return await discover(target);
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
}

/** "Logged in to S as P with L", with what the access-token answer said of the grant. */
function loggedIn(server: string, fields: Readonly<Record<string, unknown>>): string {
  const pick = (names: readonly string[]) => {
    for (const n of names) {
      const v = fields[n];
      if (typeof v === 'string' && v !== '') return v;
    }
    return undefined;
  };
  const person = pick(['x_signet_person', 'screen_name', 'username', 'user_name', 'user_id']);
  const level = pick(['x_signet_permission', 'permission', 'access_level']);
  const context = pick(['lp.context']);
  let text = `Logged in to ${server}`;
  if (person !== undefined) text += ` as ${person}`;
  if (level !== undefined) text += ` with ${level}`;
  if (context !== undefined && context !== 'None') text += ` in ${context}`;
  return text;
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
