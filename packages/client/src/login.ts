import type { AccessToken, OAuth1Client, RequestToken } from './client.js';
import { ClientError } from './errors.js';
import { type WaitOptions, waitForAccessToken } from './launchpad_portable.js';
import type { ParamsInit } from './params.js';

/** Options of {@link login}. */
export interface LoginOptions {
  /** `oauth_callback`; default the client's, or `oob`. */
  readonly callback?: string;
  /** Extra parameters of the request-token step (`scope` ...). */
  readonly requestTokenParams?: ParamsInit;
  /** Extra parameters of the authorization URL (`lp.context`, `allow_permission` ...). */
  readonly authorizeParams?: ParamsInit;
  /**
   * Sends the user to the authorization URL and returns the verifier: a CLI prompts for it,
   * a desktop app opens a browser and listens on its callback. Returning nothing means "no
   * verifier": the helper then polls (with `poll`), as for Launchpad.
   */
  readonly getVerifier?: (
    authorizationUrl: string,
    requestToken: RequestToken,
    // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only shows the URL returns nothing.
  ) => Promise<string | undefined | void> | string | undefined | void;
  /** Poll the access-token endpoint when there is no verifier (Launchpad). */
  readonly poll?: boolean | WaitOptions;
  /** Abort. */
  readonly signal?: AbortSignal;
}

/** The outcome of {@link login}. */
export interface LoginResult {
  /** The temporary credentials used. */
  readonly requestToken: RequestToken;
  /** The token credentials obtained. */
  readonly accessToken: AccessToken;
  /** The authorization URL the user was sent to. */
  readonly authorizationUrl: string;
  /** A client that signs with the new token. */
  readonly client: OAuth1Client;
}

/**
 * Runs the whole redirection-based flow: request token, authorization (through the
 * `getVerifier` hook), access token.
 *
 * @see RFC 5849 §2
 * @throws {ClientError} `ERR_OAUTH_VERIFIER` when there is neither a verifier nor polling.
 * @example
 * ```ts
 * const { accessToken } = await login(client, {
 *   getVerifier: async (url) => { console.log('Open', url); return prompt('Verifier: ') },
 * })
 * ```
 */
export async function login(
  client: OAuth1Client,
  options: LoginOptions = {},
): Promise<LoginResult> {
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  const requestToken = await client.requestToken({
    ...(options.callback === undefined ? {} : { callback: options.callback }),
    ...(options.requestTokenParams === undefined ? {} : { params: options.requestTokenParams }),
    ...signal,
  });
  const authorizationUrl = client.authorizationUrl(requestToken, options.authorizeParams);
  const verifier = (await options.getVerifier?.(authorizationUrl, requestToken)) ?? undefined;
  let accessToken: AccessToken;
  if (typeof verifier === 'string' && verifier.trim() !== '') {
    accessToken = await client.accessToken(requestToken, verifier.trim(), signal);
  } else if (options.poll) {
    const wait = typeof options.poll === 'object' ? options.poll : {};
    accessToken = await waitForAccessToken(client, requestToken, { ...wait, ...signal });
  } else {
    throw new ClientError('ERR_OAUTH_VERIFIER', 'No verifier was given.');
  }
  return { requestToken, accessToken, authorizationUrl, client: client.withToken(accessToken) };
}
