// "Last used" is recorded off the signed path: noted in memory, written in batches, each
// token at most once per gap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LastUseRecorder } from '../src/stores/last_use.js';

describe('LastUseRecorder', () => {
  it('writes each token at most once per gap, in one batch per flush', async () => {
    let now = 1_000_000;
    const writes: [string[], number][] = [];
    const recorder = new LastUseRecorder({
      write: async (tokens, at) => {
        writes.push([[...tokens].sort(), at]);
      },
      now: () => now,
      onError: (e) => assert.fail(String(e)),
      flushEveryMs: 3_600_000,
    });
    for (let i = 0; i < 1000; i++) recorder.note(i % 2 === 0 ? 'a' : 'b');
    await recorder.flush();
    assert.deepEqual(writes, [[['a', 'b'], now]]);
    now += 30_000;
    recorder.note('a');
    await recorder.flush();
    assert.equal(writes.length, 1, 'within the gap: nothing written');
    now += 31_000;
    recorder.note('a');
    await recorder.close();
    assert.deepEqual(writes[1], [['a'], now]);
  });

  it('reports a failed write and goes on', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const written: string[] = [];
    const recorder = new LastUseRecorder({
      write: async (tokens) => {
        if (fail) throw new Error('database down');
        written.push(...tokens);
      },
      now: () => 0,
      onError: (e) => errors.push(e),
      flushEveryMs: 3_600_000,
      minGapMs: 0,
    });
    recorder.note('a');
    await recorder.flush();
    assert.equal(errors.length, 1);
    fail = false;
    recorder.note('b');
    await recorder.close();
    assert.deepEqual(written, ['b']);
  });
});
