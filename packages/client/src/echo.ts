import type { OAuth1Client } from './client.js';

/** Options of {@link oauthEcho}. */
export interface OAuthEchoOptions {
  /** `realm` of the delegated header; default the service provider's origin and `/`. */
  readonly realm?: string;
}

/** The two headers of an OAuth Echo delegation. */
export interface OAuthEchoHeaders {
  /** The service provider's credentials-verification URL. */
  readonly 'x-auth-service-provider': string;
  /** The Authorization header of a `GET` of that URL, signed with the client's token. */
  readonly 'x-verify-credentials-authorization': string;
}

/**
 * OAuth Echo: lets a third party (a media host, say) check who you are with the service
 * provider, without your secrets. Sign a `GET` of the provider's verify-credentials URL and
 * hand the header over; the third party replays it against the provider. As npm `oauth`'s
 * `OAuthEcho` and Twitter's documentation describe it.
 *
 * @example
 * ```ts
 * const headers = oauthEcho(client, 'https://api.x.com/1.1/account/verify_credentials.json')
 * await fetch('https://media.example/upload', { method: 'POST', headers, body })
 * ```
 */
export function oauthEcho(
  client: OAuth1Client,
  serviceProvider: string | URL,
  options: OAuthEchoOptions = {},
): OAuthEchoHeaders {
  const url = new URL(serviceProvider);
  const signed = client.sign(url, {
    method: 'GET',
    placement: 'header',
    realm: options.realm ?? `${url.origin}/`,
  });
  return {
    'x-auth-service-provider': url.href,
    'x-verify-credentials-authorization': signed.headers['authorization']!,
  };
}
