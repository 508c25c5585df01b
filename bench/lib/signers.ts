// The signers under test, each able to sign the typical request into an Authorization header
// and to verify one. @signet/core has a verify API; the peers do not, so their verification
// is: parse the request with the same parser (@signet/core's collectParameters, which every
// row then shares), rebuild the peer's own input from it, re-sign with the peer, and compare
// in constant time. `measures` says exactly what one operation includes.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import {
  type CollectedParameters,
  collectParameters,
  signedParameters,
  signRequest,
  verifySignature,
} from '@signet/core';
import { OAuth as NodeOAuth } from 'oauth';
import OAuth1a from 'oauth-1.0a';
import { hmacsign, rfc3986 } from 'oauth-sign';
import { FORM, TYPICAL, TYPICAL_BODY, TYPICAL_SIGN } from './typical_request.js';

/** One implementation's sign and verify for the typical request. */
export interface Signer {
  /** Short id used in row ids. */
  readonly id: string;
  /** The package, as a reader knows it. */
  readonly subject: string;
  readonly signMeasures: string;
  readonly verifyMeasures: string;
  /** Signs with a fresh nonce and the current time; returns the Authorization header. */
  sign(): string;
  /** Signs with the fixed nonce and timestamp of {@link TYPICAL}, for the correctness check. */
  signFixed(): string;
  /** Verifies an Authorization header sent with the typical request. */
  verify(authorization: string): boolean;
}

/** The request as a server receives it, parsed the way every verifier row parses it. */
function receive(authorization: string): CollectedParameters {
  return collectParameters({
    method: TYPICAL.method,
    url: TYPICAL.url,
    authorization,
    contentType: FORM,
    body: TYPICAL_BODY,
  });
}

/** Protocol parameters of a parsed header, without `oauth_signature`, and the signature. */
function oauthParamsOf(collected: CollectedParameters): [Record<string, string>, string] {
  const params: Record<string, string> = {};
  let signature = '';
  for (const [name, value] of collected.header?.params ?? []) {
    if (name === 'oauth_signature') signature = value;
    else params[name] = value;
  }
  return [params, signature];
}

function equalConstantTime(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const nowSeconds = (): string => Math.floor(Date.now() / 1000).toString();

// ---------------------------------------------------------------------------------------

function signetSign(nonce?: string, timestamp?: string): string {
  const options =
    nonce === undefined || timestamp === undefined
      ? TYPICAL_SIGN
      : { ...TYPICAL_SIGN, nonce, timestamp };
  return signRequest(options).authorization;
}

/** @signet/core. */
export const signet: Signer = {
  id: 'signet',
  subject: '@signet/core',
  signMeasures:
    'signRequest (nonce from the pooled CSPRNG, clock, query parse, base string, HMAC-SHA1, the Authorization header it returns)',
  verifyMeasures:
    'collectParameters (header, query and form body parsed) + signedParameters + verifySignature (base string, HMAC-SHA1, constant-time compare)',
  sign: () => signetSign(),
  signFixed: () => signetSign(TYPICAL.fixedNonce, TYPICAL.fixedTimestamp),
  verify(authorization) {
    const collected = receive(authorization);
    let signatureMethod = '';
    let signature = '';
    for (const [name, value] of collected.header?.params ?? []) {
      if (name === 'oauth_signature_method') signatureMethod = value;
      else if (name === 'oauth_signature') signature = value;
    }
    return verifySignature({
      method: TYPICAL.method,
      url: TYPICAL.url,
      params: signedParameters(collected),
      signatureMethod,
      signature,
      keys: { consumerSecret: TYPICAL.consumerSecret, tokenSecret: TYPICAL.tokenSecret },
    });
  },
};

// ---------------------------------------------------------------------------------------
// oauth-sign 0.9 (what the `request` package signs with). It computes a signature only; the
// header glue is request@2's (lib/oauth.js), done here without its stringify-and-reparse.

function oauthSignHeader(nonce: string, timestamp: string): string {
  const oa: Record<string, string> = {
    oauth_consumer_key: TYPICAL.consumerKey,
    oauth_nonce: nonce,
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: timestamp,
    oauth_token: TYPICAL.token,
    oauth_verifier: TYPICAL.verifier,
    oauth_version: '1.0',
  };
  const q = TYPICAL.url.indexOf('?');
  const params = {
    ...parseQuery(TYPICAL.url.slice(q + 1)),
    ...TYPICAL.bodyObject,
    ...oa,
  } as Record<string, string | string[]>;
  oa['oauth_signature'] = hmacsign(
    TYPICAL.method,
    TYPICAL.url.slice(0, q),
    params,
    TYPICAL.consumerSecret,
    TYPICAL.tokenSecret,
  );
  // request@2's concatParams: names sorted, oauth_signature last, values rfc3986-encoded.
  const names = Object.keys(oa)
    .filter((n) => n !== 'oauth_signature')
    .sort();
  names.push('oauth_signature');
  return 'OAuth ' + names.map((n) => `${n}="${rfc3986(oa[n]!)}"`).join(',');
}

export const oauthSign: Signer = {
  id: 'oauth-sign',
  subject: 'oauth-sign 0.9',
  signMeasures:
    'nonce (randomUUID, as request@2) + querystring.parse of the query + params object + hmacsign + header joined as request@2 does',
  verifyMeasures:
    'collectParameters (as @signet/core) + params object (oauth + query + body) + hmacsign + constant-time compare',
  sign: () => oauthSignHeader(randomUUID().replaceAll('-', ''), nowSeconds()),
  signFixed: () => oauthSignHeader(TYPICAL.fixedNonce, TYPICAL.fixedTimestamp),
  verify(authorization) {
    const collected = receive(authorization);
    const [oa, signature] = oauthParamsOf(collected);
    const params: Record<string, string | string[]> = { ...oa };
    for (const [n, v] of collected.query) params[n] = v;
    for (const [n, v] of collected.body) params[n] = v;
    const q = TYPICAL.url.indexOf('?');
    const expected = hmacsign(
      TYPICAL.method,
      TYPICAL.url.slice(0, q),
      params,
      TYPICAL.consumerSecret,
      TYPICAL.tokenSecret,
    );
    return equalConstantTime(expected, signature);
  },
};

// ---------------------------------------------------------------------------------------
// oauth-1.0a 2.2, with node:crypto HMAC-SHA1 as its hash function.

const hmacSha1 = (base: string, key: string): string =>
  createHmac('sha1', key).update(base).digest('base64');

function makeOAuth1a(): OAuth1a {
  return new OAuth1a({
    consumer: { key: TYPICAL.consumerKey, secret: TYPICAL.consumerSecret },
    signature_method: 'HMAC-SHA1',
    hash_function: hmacSha1,
  });
}

const oauth1a = makeOAuth1a();
const oauth1aFixed = Object.assign(makeOAuth1a(), {
  getNonce: () => TYPICAL.fixedNonce,
  getTimeStamp: () => Number(TYPICAL.fixedTimestamp),
});
const oauth1aToken = { key: TYPICAL.token, secret: TYPICAL.tokenSecret };

function oauth1aHeader(client: OAuth1a): string {
  // authorize() merges into request.data: a fresh object per request, as callers make.
  const data = client.authorize(
    {
      url: TYPICAL.url,
      method: TYPICAL.method,
      data: { ...TYPICAL.bodyObject, oauth_verifier: TYPICAL.verifier },
    },
    oauth1aToken,
  );
  return client.toHeader(data).Authorization;
}

export const oauth10a: Signer = {
  id: 'oauth-1.0a',
  subject: 'oauth-1.0a 2.2',
  signMeasures:
    'authorize (nonce from Math.random, timestamp, query and data merged, base string, node:crypto HMAC-SHA1) + toHeader',
  verifyMeasures:
    'collectParameters (as @signet/core) + oauth data object + getSignature (base string, HMAC-SHA1) + constant-time compare',
  sign: () => oauth1aHeader(oauth1a),
  signFixed: () => oauth1aHeader(oauth1aFixed),
  verify(authorization) {
    const collected = receive(authorization);
    const [oa, signature] = oauthParamsOf(collected);
    const data: Record<string, string> = {};
    for (const [n, v] of collected.body) data[n] = v;
    const oauthData: OAuth1a.Data = {
      oauth_consumer_key: '',
      oauth_nonce: '',
      oauth_signature_method: '',
      oauth_timestamp: 0,
      oauth_version: '',
    };
    // The header's values as they came (the timestamp is only ever concatenated).
    Object.assign(oauthData, oa);
    // getSignature parses the URL's query itself.
    const expected = oauth1a.getSignature(
      { url: TYPICAL.url, method: TYPICAL.method, data },
      TYPICAL.tokenSecret,
      oauthData,
    );
    return equalConstantTime(expected, signature);
  },
};

// ---------------------------------------------------------------------------------------
// oauth (node-oauth) 0.10: the path its _performSecureRequest takes to build the header,
// without sending: _prepareParameters (with the body as extra params) + _buildAuthorizationHeaders.

const makeNodeOAuth = (): NodeOAuth =>
  new NodeOAuth(null, null, TYPICAL.consumerKey, TYPICAL.consumerSecret, '1.0', null, 'HMAC-SHA1');
const nodeOAuth = makeNodeOAuth();
const nodeOAuthFixed = Object.assign(makeNodeOAuth(), {
  _getNonce: () => TYPICAL.fixedNonce,
  _getTimestamp: () => Number(TYPICAL.fixedTimestamp),
});
const nodeOAuthExtra = { ...TYPICAL.bodyObject, oauth_verifier: TYPICAL.verifier };

function nodeOAuthHeader(client: NodeOAuth): string {
  return client._buildAuthorizationHeaders(
    client._prepareParameters(
      TYPICAL.token,
      TYPICAL.tokenSecret,
      TYPICAL.method,
      TYPICAL.url,
      nodeOAuthExtra,
    ),
  );
}

export const nodeOauth: Signer = {
  id: 'oauth',
  subject: 'oauth 0.10',
  signMeasures:
    '_prepareParameters (nonce from Math.random, url.parse + querystring.parse of the query, base string, HMAC-SHA1) + _buildAuthorizationHeaders',
  verifyMeasures:
    'collectParameters (as @signet/core) + params object (oauth + query + body) + _normaliseRequestParams + _getSignature (url.parse, base string, HMAC-SHA1) + constant-time compare',
  sign: () => nodeOAuthHeader(nodeOAuth),
  signFixed: () => nodeOAuthHeader(nodeOAuthFixed),
  verify(authorization) {
    const collected = receive(authorization);
    const [oa, signature] = oauthParamsOf(collected);
    const params: Record<string, string> = { ...oa };
    for (const [n, v] of collected.query) params[n] = v;
    for (const [n, v] of collected.body) params[n] = v;
    const expected = nodeOAuth._getSignature(
      TYPICAL.method,
      TYPICAL.url,
      nodeOAuth._normaliseRequestParams(params),
      TYPICAL.tokenSecret,
    );
    return equalConstantTime(expected, signature);
  },
};

/** Every signer, @signet/core first. */
export const SIGNERS: readonly Signer[] = [signet, oauthSign, oauth10a, nodeOauth];
