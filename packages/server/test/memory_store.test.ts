// The reference store runs the same contract suite as every other store, plus its own sweep.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../src/stores/memory.js';
import { storeContract } from '../src/testing/store_contract.js';

storeContract('MemoryStore', () => new MemoryStore(), {
  addConsumer: (store, consumer) => (store as MemoryStore).addConsumer(consumer),
});

describe('MemoryStore nonce expiry', () => {
  const use = (store: MemoryStore, nonce: string, expiresAt: number) =>
    store.useNonce({ consumerKey: 'c', token: '', timestamp: '1', nonce }, expiresAt);

  it('forgets expired nonces when it sweeps', async () => {
    let now = 1000;
    const store = new MemoryStore({ clock: () => now, sweepEvery: 1_000_000 });
    for (let i = 0; i < 50; i++) await use(store, `n${i}`, 2000);
    await use(store, 'long', 10_000);
    assert.equal(store.nonceCount, 51);
    now = 2000;
    store.sweep();
    assert.equal(store.nonceCount, 1);
  });
  it('sweeps by itself every sweepEvery calls', async () => {
    let now = 0;
    const store = new MemoryStore({ clock: () => now, sweepEvery: 10 });
    for (let i = 0; i < 9; i++) await use(store, `a${i}`, 100);
    now = 200;
    await use(store, 'b', 300);
    assert.equal(store.nonceCount, 1);
  });
  it('refuses a replay until the nonce expires, then accepts it again', async () => {
    let now = 0;
    const store = new MemoryStore({ clock: () => now });
    assert.equal(await use(store, 'x', 100), true);
    now = 99;
    assert.equal(await use(store, 'x', 100), false);
    now = 100;
    assert.equal(await use(store, 'x', 200), true);
  });
  it('drops request tokens once expired for longer than the retention', async () => {
    let now = 0;
    const store = new MemoryStore({ clock: () => now, requestTokenRetention: 50 });
    const base = { secret: 's', consumerKey: 'c', createdAt: 0 };
    await store.createRequestToken({ ...base, token: 'old', expiresAt: 100 });
    await store.createRequestToken({ ...base, token: 'young', expiresAt: 1000 });
    now = 149;
    store.sweep();
    assert.ok(await store.getRequestToken('old'), 'still within the retention');
    now = 150;
    store.sweep();
    assert.equal(await store.getRequestToken('old'), undefined);
    assert.ok(await store.getRequestToken('young'));
  });
  it('hands out copies, so callers cannot change what it stores', async () => {
    const store = new MemoryStore();
    store.addConsumer({ key: 'k', secret: 's', name: 'n' });
    const c = (await store.getConsumer('k')) as { name: string };
    c.name = 'changed';
    assert.equal((await store.getConsumer('k'))?.name, 'n');
  });
});
