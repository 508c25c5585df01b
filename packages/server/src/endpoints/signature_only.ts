import type { OAuthRequest } from '../http.js';
import { resourceMessages } from '../messages.js';
import { type EndpointOptions, resolveConfig } from '../options.js';
import type { Consumer } from '../store.js';
import { authenticate, checkProtocol, prepare, recordNonce } from '../validate.js';
import { denied, type ResourceDenied } from './resource.js';

/**
 * Options of {@link createSignatureOnlyEndpoint}.
 *
 * @see RFC 5849 §3
 */
export interface SignatureOnlyEndpointOptions extends EndpointOptions {}

/**
 * The outcome of a two-legged check.
 *
 * @see RFC 5849 §3.2
 */
export type SignatureOnlyResult =
  | { readonly ok: true; readonly consumer: Consumer }
  | ResourceDenied;

/**
 * A two-legged check: never throws.
 *
 * @see RFC 5849 §3.2
 */
export type SignatureOnlyEndpoint = (request: OAuthRequest) => Promise<SignatureOnlyResult>;

/**
 * The signature-only (two-legged) check: a request signed with the consumer's credentials
 * alone, without a token (a non-empty `oauth_token` is a 400). Timestamp, nonce and
 * signature are checked as everywhere else.
 *
 * @see RFC 5849 §3.2
 * @example
 * ```ts
 * const twoLegged = createSignatureOnlyEndpoint({ store, publicUrl: 'https://api.example.com' });
 * const result = await twoLegged(request);
 * if (result.ok) console.log(result.consumer.name);
 * ```
 */
export function createSignatureOnlyEndpoint(
  options: SignatureOnlyEndpointOptions,
): SignatureOnlyEndpoint {
  const config = resolveConfig(options, resourceMessages);
  return async (request) => {
    let realm = config.realm ?? config.publicUrl ?? '';
    try {
      const p = prepare(config, request);
      realm = p.realm;
      const c = checkProtocol(config, p, { token: 'forbidden' });
      const { consumer } = await authenticate(config, p, c, {});
      await recordNonce(config, c);
      return { ok: true, consumer };
    } catch (error) {
      return denied(config, realm, error);
    }
  };
}
