// signet call [METHOD] URL [ITEM ...]: a signed request with saved credentials.
import { OAuth1Client, type SignedHttpRequest } from '../../client.js';
import type { CredentialStore } from '../../store.js';
import {
  checkUrl,
  EXIT,
  findCredentials,
  optionsOf,
  parse,
  requestFlags,
  requestOptions,
  splitMethod,
} from '../common.js';
import { baseStringOf, redactedAuthorization, redactedForm } from '../debug.js';

export async function callCommand(args: string[], store: CredentialStore): Promise<number> {
  const { values, positionals } = parse(args, {
    ...requestFlags,
    raw: { type: 'boolean' },
    include: { type: 'boolean', short: 'i' },
    verbose: { type: 'boolean', short: 'v' },
  });
  const { method, url, items } = splitMethod(positionals, false);
  const target = checkUrl(url);
  const options = requestOptions(method, items, values);
  const creds = await findCredentials(store, target, values.profile);
  const client = new (class extends OAuth1Client {
    // -v shows each signed hop (redirects are signed anew) as it goes out.
    override sign(u: string | URL, o: Parameters<OAuth1Client['sign']>[1]): SignedHttpRequest {
      const signed = super.sign(u, o);
      if (values.verbose) describe(signed);
      return signed;
    }
  })(optionsOf(creds));
  const response = await client.request(target, { ...options, throwHttpErrors: false });
  if (values.include) {
    let head = `HTTP ${response.status} ${response.statusText}\n`;
    response.headers.forEach((v, k) => {
      head += `${k}: ${v}\n`;
    });
    process.stdout.write(head + '\n');
  }
  const type = response.headers.get('content-type') ?? '';
  let last = '\n';
  const write = (chunk: string | Uint8Array) => {
    if (chunk.length === 0) return;
    process.stdout.write(chunk);
    const tail = chunk[chunk.length - 1]!;
    last = typeof tail === 'number' ? String.fromCharCode(tail) : tail;
  };
  if (!values.raw && /[/+]json\b/i.test(type)) {
    const text = await response.text();
    try {
      write(JSON.stringify(JSON.parse(text), null, 2) + '\n');
    } catch {
      write(text);
    }
  } else if (response.body !== null) {
    // Stream as it comes: downloads can be large.
    for await (const chunk of response.body) write(chunk);
  }
  // A body without a final newline would run into the shell's prompt; pipes get the bytes
  // exactly as they came.
  if (last !== '\n' && process.stdout.isTTY && !values.raw) process.stdout.write('\n');
  if (!response.ok && !(response.status >= 300 && response.status < 400)) {
    const problem = response.headers.get('www-authenticate');
    process.stderr.write(
      `signet: ${method} ${url.split('?')[0]} answered ${response.status} ${response.statusText}` +
        (problem ? ` (${problem})` : '') +
        '\n',
    );
    if (response.status === 401 && /token_(?:revoked|expired|rejected)/.test(problem ?? '')) {
      process.stderr.write(
        `signet: the saved token no longer works; run: signet login ${creds.server}\n`,
      );
    }
    return EXIT.refused;
  }
  return EXIT.ok;
}

function describe(signed: SignedHttpRequest): void {
  const lines = [`> ${signed.method} ${redactedForm(signed.url)}`];
  const authorization = signed.headers['authorization'];
  if (authorization !== undefined) {
    lines.push(`> Authorization: ${redactedAuthorization(authorization)}`);
  }
  lines.push(`> base string: ${baseStringOf(signed)}`);
  process.stderr.write(lines.join('\n') + '\n');
}
