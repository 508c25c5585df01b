// A client trickling its body must not hold a connection after it was answered (the attack
// review's slowloris on a body): an answer sent before the body was all in closes it.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Running, startProvider } from './http_harness.js';

describe('a body that never finishes', () => {
  let r: Running;
  before(async () => {
    r = await startProvider({ env: { SIGNET_REQUEST_TIMEOUT_MS: '1000' } });
  });
  after(() => r.close());

  it('gets the deadline 503, then its connection is closed though bytes keep coming', async () => {
    const socket = connect(r.port, '127.0.0.1');
    socket.on('error', () => {});
    let answer = '';
    let answeredAt = 0;
    const closed = new Promise<number>((resolve) =>
      socket.once('close', () => resolve(Date.now())),
    );
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answeredAt === 0) answeredAt = Date.now();
    });
    socket.write(
      'POST /api/client/register HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    // One byte every 200 ms: never idle long enough for an idle timeout, never finished.
    const drip = setInterval(() => socket.write(' '), 200);
    const guard = new Promise<number>((resolve) => setTimeout(() => resolve(-1), 8000));
    const closedAt = await Promise.race([closed, guard]);
    clearInterval(drip);
    socket.destroy();
    assert.match(answer, /^HTTP\/1\.1 503 /);
    assert.match(answer, /\r\nconnection: close\r\n/i);
    assert.ok(closedAt > 0, 'the connection was still open 8 s after the request started');
    assert.ok(closedAt - answeredAt < 2000, `closed ${closedAt - answeredAt} ms after the answer`);
  });
});
