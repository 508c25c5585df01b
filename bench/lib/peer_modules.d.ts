// Minimal types for the peer packages that ship none, covering only what the bench calls.

declare module 'oauth-sign' {
  /** A parameter value; arrays are repeated names. */
  export type ParamValue = string | readonly string[];
  /** HMAC-SHA1 signature (base64) over the base string of the request. */
  export function hmacsign(
    httpMethod: string,
    baseUri: string,
    params: Readonly<Record<string, ParamValue>>,
    consumerSecret: string,
    tokenSecret?: string,
  ): string;
  /** RFC 3986 percent-encoding. */
  export function rfc3986(value: string): string;
}

declare module 'oauth' {
  /** Name/value pairs, sorted, `oauth_signature` last. */
  export type OrderedParameters = [string, string][];
  /** node-oauth's OAuth 1.0a client (version 0.10). */
  export class OAuth {
    constructor(
      requestUrl: string | null,
      accessUrl: string | null,
      consumerKey: string,
      consumerSecret: string,
      version: string,
      authorizeCallback: string | null,
      signatureMethod: 'PLAINTEXT' | 'HMAC-SHA1' | 'HMAC-SHA256' | 'RSA-SHA1',
      nonceSize?: number,
    );
    /** Authorization header for a request without body parameters. */
    authHeader(url: string, token: string, tokenSecret: string, method?: string): string;
    /** Protocol parameters plus `extraParams` and the URL query, signed. */
    _prepareParameters(
      token: string,
      tokenSecret: string,
      method: string,
      url: string,
      extraParams?: Readonly<Record<string, string>>,
    ): OrderedParameters;
    /** The header from `_prepareParameters`' result (oauth_* names only). */
    _buildAuthorizationHeaders(ordered: OrderedParameters): string;
    /** Signature over method, URL (query dropped) and normalised parameters. */
    _getSignature(method: string, url: string, normalized: string, tokenSecret?: string): string;
    /** Normalised parameter string (§3.4.1.3.2) of a name -> value(s) object. */
    _normaliseRequestParams(params: Readonly<Record<string, string | readonly string[]>>): string;
    _getTimestamp(): number;
    _getNonce(size: number): string;
  }
}
