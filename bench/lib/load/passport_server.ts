// The peer of the load run: Express + passport-http-oauth serving the same signed
// `GET /api/1.0/whoami`. Like the provider it keeps consumers and tokens in memory, checks
// HMAC-SHA1 against their secrets, refuses timestamps outside ±600 s and remembers nonces
// in memory (per timestamp and nonce, the key passport-http-oauth's validate callback gets),
// answering 401 to a replay. Run as a child process; reports its port over IPC.
import type { AddressInfo } from 'node:net';
import express from 'express';
import passport from 'passport';
import oauth from 'passport-http-oauth';
import { CREDENTIALS_ENV, type FromServer, type PeerCredentials } from './server_messages.js';

const credentials = JSON.parse(process.env[CREDENTIALS_ENV] ?? 'null') as PeerCredentials | null;
if (credentials === null) throw new Error(`${CREDENTIALS_ENV} is not set`);

interface Person {
  readonly id: string;
}
interface Grant {
  readonly user: Person;
  readonly consumerKey: string;
  readonly secret: string;
  readonly permission: string;
}

const consumers = new Map([[credentials.consumerKey, { secret: credentials.consumerSecret }]]);
const tokens = new Map<string, Grant>([
  [
    credentials.token,
    {
      user: { id: credentials.userId },
      consumerKey: credentials.consumerKey,
      secret: credentials.tokenSecret,
      permission: credentials.permission,
    },
  ],
]);

const WINDOW_S = 600;
const seen = new Map<string, number>();
let lastSweep = 0;

function freshNonce(timestamp: string, nonce: string): boolean {
  const now = Date.now();
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(now / 1000 - ts) > WINDOW_S) return false;
  if (now - lastSweep > 5000) {
    lastSweep = now;
    for (const [k, expires] of seen) if (expires <= now) seen.delete(k);
  }
  const key = timestamp + ':' + nonce;
  if (seen.has(key)) return false;
  seen.set(key, (ts + WINDOW_S) * 1000);
  return true;
}

passport.use(
  new oauth.TokenStrategy(
    (consumerKey, done) => {
      const consumer = consumers.get(consumerKey);
      if (consumer === undefined) return done(null, false);
      return done(null, { key: consumerKey }, consumer.secret);
    },
    (accessToken, done) => {
      const grant = tokens.get(accessToken);
      if (grant === undefined) return done(null, false);
      return done(null, grant.user, grant.secret, { token: accessToken });
    },
    (timestamp, nonce, done) => done(null, freshNonce(timestamp, nonce)),
  ),
);

const app = express();
app.disable('x-powered-by');
app.use(passport.initialize());
app.get('/api/1.0/whoami', passport.authenticate('oauth', { session: false }), (req, res) => {
  const { user, authInfo } = req as { user?: Person; authInfo?: { token?: string } };
  const grant = tokens.get(authInfo?.token ?? '');
  if (user === undefined || grant === undefined) {
    res.status(500).send('passport let an unauthenticated request through');
    return;
  }
  res.set('cache-control', 'no-store').json({
    person: user.id,
    consumer: grant.consumerKey,
    permission: grant.permission,
    context: null,
    expires: null,
  });
});

const server = app.listen(0, '127.0.0.1', () => {
  const message: FromServer = { type: 'listening', port: (server.address() as AddressInfo).port };
  process.send?.(message);
});
server.keepAliveTimeout = 30_000;
process.on('disconnect', () => process.exit(0));
