// @signet/server's store contract suite, against the provider's store on both databases.
import { storeContract } from '@signet/server/testing';
import type { Dialect } from '../src/db/schema.js';
import { openTestStore, type TestStore } from './helpers.js';

for (const dialect of ['sqlite', 'postgres'] as const satisfies readonly Dialect[]) {
  let opened: TestStore | undefined;
  storeContract(
    `SqlStore (${dialect})`,
    async () => {
      opened = await openTestStore(dialect);
      return opened.store;
    },
    {
      async addConsumer(_store, consumer) {
        const sql = opened!.store;
        await sql.createConsumer({
          key: consumer.key,
          name: consumer.name,
          secret: consumer.secret,
          ...(consumer.callbackUrl !== undefined && { callbackUrl: consumer.callbackUrl }),
          ...(consumer.rsaPublicKey !== undefined && { rsaPublicKey: consumer.rsaPublicKey }),
        });
        if (consumer.disabled === true) await sql.disableConsumer(consumer.key);
      },
      async release() {
        await opened?.dispose();
      },
    },
  );
}
