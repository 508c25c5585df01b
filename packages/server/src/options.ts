import {
  type Clock,
  defaultSignatureMethods,
  generateNonce,
  type SignatureMethodRegistry,
  systemClock,
} from '@signet/core';
import { dummyPublicKey } from './dummy_key.js';
import type { Messages } from './messages.js';
import type { OAuthStore } from './store.js';

/**
 * Which protocol an endpoint speaks.
 *
 * - `rfc5849`: OAuth 1.0a. `oauth_callback` is required at the request-token step and
 *   `oauth_verifier` at the exchange; timestamp and nonce are always checked.
 * - `launchpad`: OAuth 1.0 as Launchpad and launchpadlib speak it. No callback at the
 *   request-token step, no verifier at the exchange, PLAINTEXT accepted without timestamp
 *   and nonce checks, and `lp.context` in the access-token answer.
 *
 * @see RFC 5849 §2
 */
export type Flavour = 'rfc5849' | 'launchpad';

/**
 * Size limits on what an endpoint will read; beyond them the answer is a 400.
 *
 * @see RFC 5849 §3.2
 */
export interface Limits {
  /** Longest request target, in characters. Default 16384. */
  readonly maxUrlLength: number;
  /** Most bytes of header names and values together. Default 65536. */
  readonly maxHeaderBytes: number;
  /** Largest body, in bytes (or characters for a string body). Default 1 MiB. */
  readonly maxBodyBytes: number;
}

/**
 * How error answers are written.
 *
 * @see RFC 5849 §3.2
 */
export type ErrorFormat = 'text' | 'form';

/**
 * Options every endpoint takes.
 *
 * @see RFC 5849 §3.2
 */
export interface EndpointOptions {
  /** Where consumers, tokens and nonces live. */
  readonly store: OAuthStore;
  /**
   * The provider's external base URL (`https://api.example.com`). Signatures are checked
   * against it plus the request's path and query, so it must be right behind a proxy. A path
   * in it is put before the request's path (for apps mounted under a prefix the framework
   * strips). Without it, the URL is taken from the request (absolute `url`, or `http://` and
   * the `Host` header), which only suits direct connections.
   */
  readonly publicUrl?: string | undefined;
  /** `realm` of `WWW-Authenticate` challenges; the base URL's origin by default. */
  readonly realm?: string | undefined;
  /** Protocol flavour; `rfc5849` by default. */
  readonly flavour?: Flavour | undefined;
  /** Largest accepted distance between `oauth_timestamp` and now, in seconds. Default 600. */
  readonly timestampWindow?: number | undefined;
  /** The clock (epoch milliseconds). */
  readonly clock?: Clock | undefined;
  /** Where signature methods are looked up; core's default registry by default. */
  readonly signatureMethods?: SignatureMethodRegistry | undefined;
  /** The method names accepted; every method of the registry by default. */
  readonly allowedSignatureMethods?: readonly string[] | undefined;
  /** Messages to use instead of the defaults. */
  readonly messages?: Partial<Messages> | undefined;
  /**
   * `text` (default): 401/403 bodies are the bare message, as Launchpad answers, with
   * `oauth_problem` in `WWW-Authenticate`. `form`: every error body is form-encoded
   * `oauth_problem=...&oauth_problem_advice=...` as well.
   */
  readonly errorFormat?: ErrorFormat | undefined;
  /** Size limits. */
  readonly limits?: Partial<Limits> | undefined;
  /**
   * Called when something other than the request fails (the store, a hook), before the
   * endpoint answers 500. The error may hold secrets: log it, never show it.
   */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** @internal Endpoint options with every default applied. */
export interface Config {
  readonly store: OAuthStore;
  readonly publicUrl: string | undefined;
  readonly realm: string | undefined;
  /**
   * The challenges' realm when it does not depend on the request: `realm`, or the origin of
   * `publicUrl` (lower case, with `/`). Worked out once instead of on every request.
   */
  readonly fixedRealm: string | undefined;
  readonly flavour: Flavour;
  readonly windowMs: number;
  readonly clock: Clock;
  readonly registry: SignatureMethodRegistry;
  readonly allowed: ReadonlySet<string> | undefined;
  readonly messages: Messages;
  readonly errorFormat: ErrorFormat;
  readonly limits: Limits;
  readonly onError: ((error: unknown) => void) | undefined;
}

/** `scheme://authority` at the start of an absolute URL. @internal */
export const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * The realm challenges name when none is configured: the origin of the absolute `url`, in
 * lower case, with `/`.
 * @internal
 */
export function originRealm(url: string): string {
  return `${ABSOLUTE.exec(url)![0].toLowerCase()}/`;
}

const DEFAULT_LIMITS: Limits = {
  maxUrlLength: 16 * 1024,
  maxHeaderBytes: 64 * 1024,
  maxBodyBytes: 1024 * 1024,
};

/** @internal */
export function resolveConfig(options: EndpointOptions, defaults: Messages): Config {
  if (options === null || typeof options !== 'object' || options.store === undefined) {
    throw new TypeError('Endpoint options need a store.');
  }
  const window = options.timestampWindow ?? 600;
  if (!(window >= 0) || !Number.isFinite(window)) {
    throw new TypeError('timestampWindow must be a non-negative number of seconds.');
  }
  // Started now, so that it is ready before the first RSA request for an unknown key.
  void dummyPublicKey();
  let publicUrl = options.publicUrl;
  if (publicUrl !== undefined) {
    if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/i.test(publicUrl)) {
      throw new TypeError('publicUrl must be an absolute http(s) URL without query.');
    }
    publicUrl = publicUrl.replace(/\/+$/, '');
  }
  return {
    store: options.store,
    publicUrl,
    realm: options.realm,
    fixedRealm: options.realm ?? (publicUrl === undefined ? undefined : originRealm(publicUrl)),
    flavour: options.flavour ?? 'rfc5849',
    windowMs: window * 1000,
    clock: options.clock ?? systemClock,
    registry: options.signatureMethods ?? defaultSignatureMethods,
    allowed:
      options.allowedSignatureMethods === undefined
        ? undefined
        : new Set(options.allowedSignatureMethods),
    messages: { ...defaults, ...options.messages },
    errorFormat: options.errorFormat ?? 'text',
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    onError: options.onError,
  };
}

/**
 * Makes token keys, secrets and verifiers. The default draws 128 bits from the system
 * CSPRNG (core's `generateNonce`).
 *
 * @see RFC 5849 §2.1
 */
export type TokenGenerator = () => string;

/** @internal */
export const defaultTokenGenerator: TokenGenerator = generateNonce;
