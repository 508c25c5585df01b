// signet sign METHOD URL [ITEM ...]: print what a signed request sends, without sending it.
import { OAuth1Client, type OAuth1ClientOptions } from '../../client.js';
import type { CredentialStore } from '../../store.js';
import {
  checkKeyFor,
  checkUrl,
  EXIT,
  findCredentials,
  optionsOf,
  parse,
  placementOf,
  readKey,
  requestFlags,
  requestOptions,
  signatureMethodOf,
  splitMethod,
  UsageError,
} from '../common.js';
import { baseStringOf, keyShape } from '../debug.js';

export async function signCommand(args: string[], store: CredentialStore): Promise<number> {
  const { values, positionals } = parse(args, {
    ...requestFlags,
    curl: { type: 'boolean' },
    'consumer-key': { type: 'string' },
    'consumer-secret': { type: 'string' },
    token: { type: 'string' },
    'token-secret': { type: 'string' },
    'signature-method': { type: 'string' },
    'rsa-key': { type: 'string' },
    realm: { type: 'string' },
    placement: { type: 'string' },
    nonce: { type: 'string' },
    timestamp: { type: 'string' },
    callback: { type: 'string' },
    verifier: { type: 'string' },
    'base-string': { type: 'boolean' },
  });
  const { method, url, items } = splitMethod(positionals, true);
  const target = checkUrl(url);
  const placement = placementOf(values.placement);
  const signatureMethod = signatureMethodOf(values['signature-method']);
  const timestamp = values.timestamp;
  if (timestamp !== undefined && !/^\d{1,12}$/.test(timestamp)) {
    throw new UsageError('--timestamp is whole seconds since 1970 (for example 1318622958).');
  }
  if (values.nonce === '') throw new UsageError('--nonce cannot be empty.');
  const request = requestOptions(method, items, values);
  const options = await signingOptions(store, target, values, signatureMethod);
  const chosen = options.signatureMethod ?? 'HMAC-SHA1';
  if (chosen.startsWith('RSA-') && options.privateKey === undefined) {
    throw new UsageError(`${chosen} needs --rsa-key FILE.`);
  }
  checkKeyFor(chosen, values['rsa-key']);
  const nonce = values.nonce;
  const client = new OAuth1Client({
    ...options,
    ...(placement === undefined ? {} : { placement }),
    ...(values.realm === undefined ? {} : { realm: values.realm }),
    ...(timestamp === undefined ? {} : { clock: () => Number(timestamp) * 1000 }),
    ...(nonce === undefined ? {} : { nonce: () => nonce }),
  });
  const signed = client.sign(target, {
    ...request,
    ...(values.callback === undefined ? {} : { callback: values.callback }),
    ...(values.verifier === undefined ? {} : { verifier: values.verifier }),
  });
  if (values['base-string']) {
    const o = client.options;
    const methodName = o.signatureMethod ?? 'HMAC-SHA1';
    const base =
      methodName === 'PLAINTEXT' ? '(PLAINTEXT signs no base string)' : baseStringOf(signed);
    process.stderr.write(
      `Base string: ${base}\nSigning key: ${keyShape(methodName, o.consumerSecret ?? '', o.token?.tokenSecret ?? '')}\n`,
    );
  }
  if (values.curl) {
    const parts = ['curl', '-sS', '-X', signed.method];
    for (const [name, value] of Object.entries(signed.headers)) {
      parts.push('-H', shellQuote(`${name}: ${value}`));
    }
    if (signed.body !== undefined) {
      if (typeof signed.body === 'string') parts.push('--data-binary', shellQuote(signed.body));
      else if (values.data?.startsWith('@')) parts.push('--data-binary', shellQuote(values.data));
      else parts.push('--data-binary', shellQuote(new TextDecoder().decode(signed.body)));
    }
    parts.push(shellQuote(signed.url));
    process.stdout.write(parts.join(' ') + '\n');
    return EXIT.ok;
  }
  if (signed.headers['authorization'] !== undefined) {
    process.stdout.write(`Authorization: ${signed.headers['authorization']}\n`);
  }
  if (signed.url !== target.href && /[?&]oauth_signature=/.test(signed.url)) {
    process.stdout.write(`${signed.url}\n`);
  }
  if (typeof signed.body === 'string' && /(^|&)oauth_signature=/.test(signed.body)) {
    process.stdout.write(`${signed.body}\n`);
  }
  return EXIT.ok;
}

interface SignFlags {
  readonly profile?: string | undefined;
  readonly 'consumer-key'?: string | undefined;
  readonly 'consumer-secret'?: string | undefined;
  readonly token?: string | undefined;
  readonly 'token-secret'?: string | undefined;
  readonly 'rsa-key'?: string | undefined;
}

/**
 * Whom to sign as. Every flag given wins over the saved profile; combinations that cannot
 * mean anything are refused rather than half applied (a profile's token under another
 * consumer's key would only ever fail).
 */
async function signingOptions(
  store: CredentialStore,
  target: URL,
  values: SignFlags,
  signatureMethod: string | undefined,
): Promise<OAuth1ClientOptions> {
  const consumerKey = values['consumer-key'];
  const envConsumerSecret = process.env['SIGNET_CONSUMER_SECRET'];
  const tokenSecret = values['token-secret'] ?? process.env['SIGNET_TOKEN_SECRET'];
  if (values['token-secret'] !== undefined && values.token === undefined) {
    throw new UsageError('--token-secret needs --token.');
  }
  const key = values['rsa-key'] === undefined ? {} : { privateKey: readKey(values['rsa-key']) };
  const method = signatureMethod === undefined ? {} : { signatureMethod };
  if (consumerKey !== undefined) {
    if (values.profile !== undefined) {
      throw new UsageError('--consumer-key signs without a profile: drop --profile or it.');
    }
    return {
      consumerKey,
      consumerSecret: values['consumer-secret'] ?? envConsumerSecret ?? '',
      ...(values.token === undefined
        ? {}
        : { token: { token: values.token, tokenSecret: tokenSecret ?? '' } }),
      ...method,
      ...key,
    };
  }
  if (values['consumer-secret'] !== undefined) {
    throw new UsageError('--consumer-secret needs --consumer-key.');
  }
  const saved = optionsOf(await findCredentials(store, target, values.profile));
  return {
    ...saved,
    ...(values.token === undefined
      ? {}
      : // Another token's secret is not the profile's: take it from the flag or the
        // environment, or sign with an empty one, as asked.
        { token: { token: values.token, tokenSecret: tokenSecret ?? '' } }),
    ...method,
    ...key,
  };
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
