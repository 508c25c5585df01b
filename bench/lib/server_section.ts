// Section "server": the protected-resource endpoint of @signet/server over the in-memory
// reference store, in process: what a provider built on the toolkit pays per verified call
// (parse, checks, store look-ups, nonce, signature), beside @signet/core's verification of
// the same requests, which is the signature work alone.
import { collectParameters, signedParameters, signRequest, verifySignature } from '@signet/core';
import { createResourceEndpoint, MemoryStore, type OAuthRequest } from '@signet/server';
import type { Ratio, Row, RunOptions, Section, SectionResult } from './section.js';

const PUBLIC_URL = 'https://api.example.com';
const PATH = '/1.1/statuses/home_timeline.json?count=20&include_entities=true';
const CONSUMER = {
  key: 'xvz1evFS4wEEPTGEFPHBog',
  secret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
};
const TOKEN = {
  key: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
  secret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
};

/** Distinct signed requests: a replayed nonce would be (rightly) refused. */
function signedPool(count: number): OAuthRequest[] {
  const out: OAuthRequest[] = [];
  for (let i = 0; i < count; i++) {
    const { authorization } = signRequest({
      method: 'GET',
      url: PUBLIC_URL + PATH,
      consumerKey: CONSUMER.key,
      consumerSecret: CONSUMER.secret,
      token: TOKEN.key,
      tokenSecret: TOKEN.secret,
    });
    out.push({ method: 'GET', url: PATH, headers: { host: 'api.example.com', authorization } });
  }
  return out;
}

async function memoryStore(): Promise<MemoryStore> {
  const store = new MemoryStore();
  store.addConsumer({ key: CONSUMER.key, secret: CONSUMER.secret, name: 'bench' });
  const now = Date.now();
  await store.createRequestToken({
    token: 'rt',
    secret: 's',
    consumerKey: CONSUMER.key,
    callback: 'oob',
    createdAt: now,
    expiresAt: now + 3_600_000,
  });
  await store.reviewRequestToken('rt', {
    grant: { userId: 'alice', permission: 'READ_PUBLIC' },
    verifier: 'v',
    now,
  });
  const ok = await store.consumeRequestToken('rt', {
    token: TOKEN.key,
    secret: TOKEN.secret,
    consumerKey: CONSUMER.key,
    userId: 'alice',
    permission: 'READ_PUBLIC',
    createdAt: now,
  });
  if (!ok) throw new Error('bench: could not set up the access token');
  return store;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** The server section. */
export const serverSection: Section = {
  name: 'server',
  description: "@signet/server's protected-resource endpoint with MemoryStore, in process",
  async run(options: RunOptions): Promise<SectionResult> {
    const store = await memoryStore();
    const protect = createResourceEndpoint({ store, publicUrl: PUBLIC_URL });

    // Correctness first: the endpoint accepts a fresh request and refuses its replay.
    const first = signedPool(1)[0]!;
    const ok = await protect(first);
    if (!ok.ok || ok.userId !== 'alice')
      throw new Error('bench: the endpoint refused a valid request');
    if ((await protect(first)).ok) throw new Error('bench: the endpoint accepted a replay');

    const coreVerify = (r: OAuthRequest): boolean => {
      const params = signedParameters(
        collectParameters({
          method: r.method,
          url: PUBLIC_URL + r.url,
          authorization: r.headers['authorization'] as string,
        }),
      );
      let signature = '';
      for (const [n, v] of params) if (n === 'oauth_signature') signature = v;
      return verifySignature({
        method: r.method,
        url: PUBLIC_URL + r.url,
        params,
        signatureMethod: 'HMAC-SHA1',
        signature,
        keys: { consumerSecret: CONSUMER.secret, tokenSecret: TOKEN.secret },
      });
    };

    const cases: { id: string; run: (r: OAuthRequest) => Promise<boolean> | boolean }[] = [
      { id: 'server.resource.memory', run: async (r) => (await protect(r)).ok },
      { id: 'server.core-verify', run: coreVerify },
    ];
    const budgetNs = BigInt(options.roundMs) * 1_000_000n;
    // Each timed batch gets requests signed just before it, untimed: a pool for a whole run
    // would hold a million requests, and the GC of so large a heap would be what we measured.
    const BATCH = 256;
    const timeRound = async (
      run: (r: OAuthRequest) => Promise<boolean> | boolean,
      limitNs: bigint,
    ) => {
      let ops = 0;
      let elapsed = 0n;
      do {
        const batch = signedPool(BATCH);
        const start = process.hrtime.bigint();
        for (const r of batch) {
          if (!(await run(r))) throw new Error('bench: a valid request was refused');
        }
        elapsed += process.hrtime.bigint() - start;
        ops += BATCH;
      } while (elapsed < limitNs);
      return (ops * 1e9) / Number(elapsed);
    };
    for (const c of cases) await timeRound(c.run, (BigInt(options.warmupMs) * 1_000_000n) / 2n);
    const rounds = new Map<string, number[]>(cases.map((c) => [c.id, []]));
    for (let r = 0; r < options.rounds; r++) {
      const order = r % 2 === 0 ? cases : [...cases].reverse();
      for (const c of order) rounds.get(c.id)!.push(await timeRound(c.run, budgetNs));
      options.log(`  round ${r + 1}/${options.rounds} done`);
    }
    const rate = (id: string) => median(rounds.get(id)!);
    const rows: Row[] = [
      {
        id: 'server.resource.memory',
        subject: '@signet/server',
        task: 'resource',
        measures:
          'createResourceEndpoint on a plain request: header parse, duplicate/placement/version/timestamp checks, consumer and token look-ups (MemoryStore), HMAC-SHA1 verification, nonce recorded',
        opsPerSec: rate('server.resource.memory'),
        rounds: rounds.get('server.resource.memory')!,
      },
      {
        id: 'server.core-verify',
        subject: '@signet/core',
        task: 'verify',
        measures:
          'collectParameters + signedParameters + verifySignature of the same requests (signature work alone)',
        opsPerSec: rate('server.core-verify'),
        rounds: rounds.get('server.core-verify')!,
      },
    ];
    const ratios: Ratio[] = [
      {
        name: 'resource endpoint vs core verify alone',
        value: rate('server.resource.memory') / rate('server.core-verify'),
      },
    ];
    return {
      section: 'server',
      description: serverSection.description,
      rows,
      ratios,
      notes: [
        `request: GET ${PUBLIC_URL}${PATH}, HMAC-SHA1 in the Authorization header, a distinct request (own nonce) per call, signed untimed just before each batch of ${256}`,
      ],
    };
  },
};
