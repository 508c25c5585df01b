// Memory per remembered nonce in the provider's SQLite nonce store (DurableNonces), in a
// process of its own run with --expose-gc: the heap and external bytes after N nonces minus
// before, over N. Prints one JSON line: { n, bytesPerNonce }.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface NonceUse {
  consumerKey: string;
  token: string;
  timestamp: string;
  nonce: string;
}
interface Store {
  useNonce(n: NonceUse, expiresAt: number): Promise<boolean>;
  close(): Promise<void>;
}
interface StoreClass {
  open(
    table: { load(): Promise<never[]>; save(): Promise<void> },
    options?: { now?: () => number; max?: number },
  ): Promise<Store>;
}

const dist = process.argv[2];
const n = Number(process.argv[3] ?? 1_000_000);
if (dist === undefined) throw new Error('usage: nonce_memory.js <provider dist/src> [n]');
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const { DurableNonces } = (await import(pathToFileURL(join(dist, 'stores/cache.js')).href)) as {
  DurableNonces: StoreClass;
};
const used = (): number => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
};
const now = Date.now();
const store = await DurableNonces.open(
  { load: async () => [], save: async () => {} },
  { now: () => now, max: n + 1 },
);
const before = used();
// A window's traffic: expiries spread over the 601 s a nonce is kept, in chunks whose
// commits are awaited (as requests are answered).
for (let i = 0; i < n; i += 10_000) {
  const batch: Promise<boolean>[] = [];
  for (let j = i; j < Math.min(n, i + 10_000); j++) {
    batch.push(
      store.useNonce(
        {
          consumerKey: 'bench-consumer',
          token: 'bench-token',
          timestamp: String(now),
          nonce: `n${j}`,
        },
        now + 1000 + (j * 601_000) / n,
      ),
    );
  }
  await Promise.all(batch);
}
const after = used();
console.log(JSON.stringify({ n, bytesPerNonce: (after - before) / n }));
await store.close();
