// @signet/server's store contract suite, against the provider's stores: SqlStore on both
// databases, and the caches with durable nonces that the protocol endpoints read on SQLite.

import type { Consumer } from '@signet/server';
import { storeContract } from '@signet/server/testing';
import type { Dialect } from '../src/db/schema.js';
import { CachedStore, DurableNonces } from '../src/stores/cache.js';
import { noChanges } from '../src/stores/change_feed.js';
import type { SqlStore } from '../src/stores/sql.js';
import { openTestStore, type TestStore } from './helpers.js';

async function addTo(sql: SqlStore, consumer: Consumer): Promise<void> {
  await sql.createConsumer({
    key: consumer.key,
    name: consumer.name,
    secret: consumer.secret,
    ...(consumer.callbackUrl !== undefined && { callbackUrl: consumer.callbackUrl }),
    ...(consumer.rsaPublicKey !== undefined && { rsaPublicKey: consumer.rsaPublicKey }),
  });
  if (consumer.disabled === true) await sql.disableConsumer(consumer.key);
}

for (const dialect of ['sqlite', 'postgres'] as const satisfies readonly Dialect[]) {
  let opened: TestStore | undefined;
  storeContract(
    `SqlStore (${dialect})`,
    async () => {
      opened = await openTestStore(dialect);
      return opened.store;
    },
    {
      addConsumer: (_store, consumer) => addTo(opened!.store, consumer),
      async release() {
        await opened?.dispose();
      },
    },
  );
}

// What the protocol endpoints read on SQLite (see openProvider): the caches over the SQL
// store, with nonces checked in memory and committed (to a table in memory here;
// cache.test.ts restarts a provider on the real one).
{
  let opened: TestStore | undefined;
  let nonces: DurableNonces | undefined;
  storeContract(
    'CachedStore with durable nonces (sqlite)',
    async () => {
      opened = await openTestStore('sqlite');
      nonces = await DurableNonces.open({ load: async () => [], save: async () => {} });
      return new CachedStore(opened.store, noChanges, nonces);
    },
    {
      addConsumer: (_store, consumer) => addTo(opened!.store, consumer),
      async release() {
        await nonces?.close();
        await opened?.dispose();
      },
    },
  );
}
