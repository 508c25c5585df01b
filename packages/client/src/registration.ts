import type { FetchLike } from './client.js';
import { ClientError, OAuthProtocolError } from './errors.js';

/** What a client tells the server about itself when it registers. */
export interface ClientMetadata {
  /** `application_name`: shown to the user on the authorization page. */
  readonly applicationName?: string;
  /** `application_type`: `native` (default: desktop and command-line) or `web`. */
  readonly applicationType?: 'web' | 'native';
  /** `redirect_uris`. */
  readonly redirectUris?: readonly string[];
  /** `logo_url`. */
  readonly logoUrl?: string;
  /** `contacts` (e-mail addresses). */
  readonly contacts?: readonly string[];
}

/** The server's answer to a registration. */
export interface ClientRegistration {
  /** `client_id`: the consumer key. */
  readonly clientId: string;
  /** `client_secret`: the consumer secret. */
  readonly clientSecret: string;
  /** `expires_at`, seconds since the epoch; `0` when the registration does not expire. */
  readonly expiresAt: number;
  /** Every field of the answer. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Options of {@link registerClient} and {@link updateClient}. */
export interface RegistrationOptions {
  /** The `fetch` to call. */
  readonly fetch?: FetchLike;
  /** Send JSON (default) or a form, as older pump.io servers want. */
  readonly encoding?: 'json' | 'form';
  /** Abort the request. */
  readonly signal?: AbortSignal;
}

/**
 * Registers a new client (`type=client_associate`) at a pump.io-style registration
 * endpoint and returns its key and secret.
 *
 * @see https://github.com/pump-io/pump.io/blob/master/API.md (client registration)
 * @throws {OAuthProtocolError} with `error` set when the server refuses (400).
 * @example
 * ```ts
 * const { clientId, clientSecret } = await registerClient(registrationEndpoint, {
 *   applicationName: 'My notes app', applicationType: 'native',
 * })
 * ```
 */
export function registerClient(
  endpoint: string,
  metadata: ClientMetadata,
  options: RegistrationOptions = {},
): Promise<ClientRegistration> {
  return register(endpoint, { type: 'client_associate', ...wire(metadata) }, options);
}

/**
 * Updates a registered client's metadata (`type=client_update`), authenticated by its id
 * and secret.
 *
 * @throws {OAuthProtocolError} 403 for a wrong secret, 400 for a bad request.
 * @example
 * ```ts
 * await updateClient(endpoint, { clientId, clientSecret, applicationName: 'Renamed' })
 * ```
 */
export function updateClient(
  endpoint: string,
  metadata: ClientMetadata & { readonly clientId: string; readonly clientSecret: string },
  options: RegistrationOptions = {},
): Promise<ClientRegistration> {
  return register(
    endpoint,
    {
      type: 'client_update',
      client_id: metadata.clientId,
      client_secret: metadata.clientSecret,
      ...wire(metadata),
    },
    options,
  );
}

function wire(m: ClientMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  if (m.applicationName !== undefined) out['application_name'] = m.applicationName;
  out['application_type'] = m.applicationType ?? 'native';
  if (m.redirectUris !== undefined) out['redirect_uris'] = m.redirectUris.join(' ');
  if (m.logoUrl !== undefined) out['logo_url'] = m.logoUrl;
  if (m.contacts !== undefined) out['contacts'] = m.contacts.join(' ');
  return out;
}

async function register(
  endpoint: string,
  fields: Record<string, string>,
  options: RegistrationOptions,
): Promise<ClientRegistration> {
  const doFetch = options.fetch ?? ((u: string, i: RequestInit) => fetch(u, i));
  const form = options.encoding === 'form';
  let response: Response;
  try {
    response = await doFetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
        accept: 'application/json',
      },
      body: form ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (cause) {
    if (options.signal?.aborted) throw cause;
    throw new ClientError('ERR_NETWORK', `POST ${endpoint} failed.`, { cause });
  }
  if (!response.ok) throw await OAuthProtocolError.fromResponse(response, 'POST', endpoint);
  let json: unknown;
  try {
    json = await response.json();
  } catch (cause) {
    throw new ClientError('ERR_OAUTH_RESPONSE', 'The registration answer is not JSON.', {
      cause,
    });
  }
  const f = (json ?? {}) as Record<string, unknown>;
  if (typeof f['client_id'] !== 'string' || typeof f['client_secret'] !== 'string') {
    throw new ClientError(
      'ERR_OAUTH_RESPONSE',
      'The registration answer has no client_id and client_secret.',
    );
  }
  const expires = Number(f['expires_at'] ?? 0);
  return {
    clientId: f['client_id'],
    clientSecret: f['client_secret'],
    expiresAt: Number.isFinite(expires) ? expires : 0,
    fields: f,
  };
}
