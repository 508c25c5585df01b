// The request every signer signs and every verifier checks: Twitter's documented example
// (statuses/update, https://developer.twitter.com/en/docs/authentication/oauth-1-0a), with a
// verifier added so that it carries 8 oauth_* parameters.
import { formEncode, type Param, type SignRequestOptions } from '@signet/core';

export const FORM = 'application/x-www-form-urlencoded';

/** Everything a signer needs, and the wire form a verifier sees. */
export const TYPICAL = {
  method: 'POST',
  url: 'https://api.twitter.com/1.1/statuses/update.json?include_entities=true',
  /** The URL without its query, for peers that want it split. */
  baseUri: 'https://api.twitter.com/1.1/statuses/update.json',
  query: 'include_entities=true',
  bodyParams: [['status', 'Hello Ladies + Gentlemen, a signed OAuth request!']] as Param[],
  bodyObject: { status: 'Hello Ladies + Gentlemen, a signed OAuth request!' } as Record<
    string,
    string
  >,
  consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
  consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
  token: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
  tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
  verifier: 'pDNg57prOHapMbhv25RNf75lVRd6JDsni1AJJIDYoTY',
  /** For the correctness check: fixed so that every signer signs the same base string. */
  fixedNonce: 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg',
  fixedTimestamp: '1318622958',
} as const;

/** The form body on the wire. */
export const TYPICAL_BODY = formEncode(TYPICAL.bodyParams);

/** The typical request as @signet/core's signRequest takes it (fresh nonce and time). */
export const TYPICAL_SIGN: SignRequestOptions = {
  method: TYPICAL.method,
  url: TYPICAL.url,
  params: TYPICAL.bodyParams,
  consumerKey: TYPICAL.consumerKey,
  consumerSecret: TYPICAL.consumerSecret,
  token: TYPICAL.token,
  tokenSecret: TYPICAL.tokenSecret,
  verifier: TYPICAL.verifier,
};

/**
 * What is signed: 7 protocol parameters (consumer key, token, signature method, timestamp,
 * nonce, version, verifier) plus 2 request parameters (1 query, 1 form body); the header
 * carries 8 oauth_* parameters (those 7 and oauth_signature).
 */
export const TYPICAL_DESCRIPTION =
  'POST https://api.twitter.com/1.1/statuses/update.json?include_entities=true, form body ' +
  'status=...; header: 8 oauth_* params (consumer_key, token, signature_method=HMAC-SHA1, ' +
  'timestamp, nonce, version, verifier, signature); base string over 9 params (7 oauth + 1 ' +
  'query + 1 body)';
