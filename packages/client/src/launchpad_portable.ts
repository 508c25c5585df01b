import type { Clock } from '@signet/core';
import {
  type AccessToken,
  OAuth1Client,
  type OAuth1ClientOptions,
  type TokenCredentials,
} from './client.js';
import { ClientError, OAuthProtocolError } from './errors.js';
import { argError } from './params.js';

/** The realm launchpadlib sends with every API call. */
export const LAUNCHPAD_REALM = 'https://api.launchpad.net/';

/** Options of {@link desktopConsumerName}. */
export interface DesktopConsumerNameOptions {
  /** The desktop or system; default: the `NAME` of /etc/os-release, or the OS type. */
  readonly desktop?: string;
  /** The computer's name; default: the host name. */
  readonly computer?: string;
}

/**
 * The consumer key launchpadlib's system-wide consumers use,
 * `System-wide: <desktop> (<computer>)`. Launchpad shows such consumers the
 * desktop-integration variant of its authorization page.
 *
 * @example
 * ```ts
 * desktopConsumerName({ desktop: 'Ubuntu', computer: 'laptop' }) // 'System-wide: Ubuntu (laptop)'
 * ```
 */
export function desktopConsumerName(options: DesktopConsumerNameOptions = {}): string {
  const desktop = options.desktop ?? systemDefaults?.desktop() ?? missing('desktop');
  const computer = options.computer ?? systemDefaults?.computer() ?? missing('computer');
  return `System-wide: ${desktop} (${computer})`;
}

/**
 * Whether a consumer key is a system-wide (desktop integration) one.
 *
 * @example
 * ```ts
 * isDesktopConsumerName('System-wide: Ubuntu (laptop)') // true
 * ```
 */
export function isDesktopConsumerName(consumerKey: string): boolean {
  return /^System-wide: .+ \(.+\)$/.test(consumerKey);
}

// Where the defaults come from: on Node, the OS name and host name (launchpad.ts, behind
// @signet/client/node and the Node build of the main entry); elsewhere nothing, and the
// caller names them.
let systemDefaults: { desktop(): string; computer(): string } | undefined;

/** @internal Installs the Node defaults of {@link desktopConsumerName}. */
export function setDesktopDefaults(defaults: { desktop(): string; computer(): string }): void {
  systemDefaults = defaults;
}

function missing(what: string): never {
  throw argError(
    `desktopConsumerName: ${what} has no default on this runtime; pass it, or a consumerKey.`,
  );
}

/** Options of {@link launchpadClient}. */
export interface LaunchpadClientOptions
  extends Omit<OAuth1ClientOptions, 'endpoints' | 'consumerKey'> {
  /** The web root, where `/+request-token` lives (`https://launchpad.net`). */
  readonly server: string;
  /** Consumer key; default {@link desktopConsumerName}. */
  readonly consumerKey?: string;
}

/**
 * A client for the Launchpad flavour of OAuth 1.0, as launchpadlib speaks it: PLAINTEXT with
 * an empty consumer secret, token requests POSTed as forms to `/+request-token` and
 * `/+access-token` (asking for JSON), the user sent to `/+authorize-token`, and API calls
 * signed in the Authorization header with `realm="https://api.launchpad.net/"`.
 *
 * @example
 * ```ts
 * const lp = launchpadClient({ server: 'https://launchpad.net', consumerKey: 'my-app' })
 * const rt = await lp.requestToken()
 * console.log(lp.authorizationUrl(rt, { allow_permission: 'READ_PUBLIC' }))
 * const at = await waitForAccessToken(lp, rt)
 * ```
 */
export function launchpadClient(options: LaunchpadClientOptions): OAuth1Client {
  const { server, ...rest } = options;
  const root = server.replace(/\/+$/, '');
  return new OAuth1Client({
    signatureMethod: 'PLAINTEXT',
    consumerSecret: '',
    realm: LAUNCHPAD_REALM,
    tokenPlacement: 'body',
    tokenHeaders: { accept: 'application/json' },
    ...rest,
    consumerKey: options.consumerKey ?? desktopConsumerName(),
    endpoints: {
      requestToken: `${root}/+request-token`,
      authorize: `${root}/+authorize-token`,
      accessToken: `${root}/+access-token`,
    },
  });
}

/** Options of {@link waitForAccessToken}. */
export interface WaitOptions {
  /** Time between attempts, in ms. Default 1000, as launchpadlib. */
  readonly interval?: number;
  /** Give up after this many ms. Default 15 minutes. */
  readonly timeout?: number;
  /** Clock; inject one in tests. */
  readonly clock?: Clock;
  /** How to wait; inject one in tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Stop waiting. */
  readonly signal?: AbortSignal;
  /** Called before each attempt (1, 2, ...): drive a spinner with it. */
  readonly onPoll?: (attempt: number) => void;
}

// Launchpad answers these with 401 too, but waiting will not change them.
const FINAL_401 = [/no request token specified/i, /invalid oauth signature/i];

/**
 * Polls the access-token endpoint while the user decides, as launchpadlib does: every
 * second while it answers 401 ("not yet reviewed"), until it answers the token, refuses
 * with 403 (declined, or expired), or the time-out passes.
 *
 * @throws {OAuthProtocolError} `ERR_OAUTH_DECLINED` when the user refused,
 *   `ERR_OAUTH_EXPIRED` when the request token expired, or `ERR_OAUTH_PROTOCOL` for other
 *   refusals (an unknown token, a bad signature).
 * @throws {ClientError} `ERR_OAUTH_TIMEOUT` when the user did not decide in time.
 * @example
 * ```ts
 * const at = await waitForAccessToken(lp, rt, { timeout: 5 * 60_000 })
 * ```
 */
export async function waitForAccessToken(
  client: OAuth1Client,
  requestToken: TokenCredentials,
  options: WaitOptions = {},
): Promise<AccessToken> {
  const interval = options.interval ?? 1000;
  const timeout = options.timeout ?? 15 * 60_000;
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = clock() + timeout;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    options.onPoll?.(attempt);
    try {
      return await client.accessToken(
        requestToken,
        undefined,
        options.signal === undefined ? {} : { signal: options.signal },
      );
    } catch (e) {
      if (!(e instanceof OAuthProtocolError)) throw e;
      if (e.status === 403) {
        const expired = /expired/i.test(e.body);
        throw new OAuthProtocolError({
          code: expired ? 'ERR_OAUTH_EXPIRED' : 'ERR_OAUTH_DECLINED',
          method: e.method,
          url: e.url,
          status: e.status,
          headers: e.headers,
          body: e.body,
        });
      }
      if (e.status !== 401 || FINAL_401.some((re) => re.test(e.body))) throw e;
    }
    if (clock() + interval > deadline) {
      throw new ClientError(
        'ERR_OAUTH_TIMEOUT',
        `The request token was not authorized within ${Math.round(timeout / 1000)} s.`,
      );
    }
    await sleep(interval);
  }
}
