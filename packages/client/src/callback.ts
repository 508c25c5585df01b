import { ClientError } from './errors.js';

/** What the callback URL carries after the user authorized the request token. */
export interface AuthorizationResponse {
  /** `oauth_token`: the request token that was authorized. */
  readonly token: string;
  /** `oauth_verifier`, for {@link OAuth1Client.accessToken}. */
  readonly verifier: string;
}

/**
 * Reads the callback the server redirected the user to (RFC 5849 §2.2): `oauth_token` and
 * `oauth_verifier` from its query. Works on any runtime (WHATWG URL only).
 *
 * @see RFC 5849 §2.2
 * @throws {ClientError} `ERR_OAUTH_DECLINED` when the server says the user refused
 *   (`denied=`, as Twitter sends, or `oauth_problem=user_refused`); `ERR_OAUTH_VERIFIER`
 *   when the token or the verifier is missing, or a parameter is repeated.
 * @example
 * ```ts
 * const { token, verifier } = parseAuthorizationResponse(location.href)
 * const at = await client.accessToken(requestToken, verifier)
 * ```
 */
export function parseAuthorizationResponse(url: string | URL): AuthorizationResponse {
  let query: URLSearchParams;
  try {
    query = (typeof url === 'string' ? new URL(url) : url).searchParams;
  } catch (cause) {
    throw new ClientError('ERR_OAUTH_VERIFIER', 'The callback is not an absolute URL.', { cause });
  }
  const problem = query.get('oauth_problem');
  if (query.has('denied') || problem === 'user_refused' || problem === 'permission_denied') {
    throw new ClientError('ERR_OAUTH_DECLINED', 'The user refused to authorize the request token.');
  }
  const one = (name: string): string => {
    const values = query.getAll(name);
    if (values.length !== 1 || values[0] === '') {
      throw new ClientError(
        'ERR_OAUTH_VERIFIER',
        values.length > 1
          ? `The callback repeats ${name}.`
          : `The callback has no ${name}${problem === null ? '' : ` (oauth_problem=${problem.slice(0, 40)})`}.`,
      );
    }
    return values[0]!;
  };
  return { token: one('oauth_token'), verifier: one('oauth_verifier') };
}
