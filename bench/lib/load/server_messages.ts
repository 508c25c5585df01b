// What a server under test started by the bench (node:http, Express) tells it over IPC.
import type { SigningCredentials } from './messages.js';

/** Child to parent, once listening on 127.0.0.1. */
export interface FromServer {
  readonly type: 'listening';
  readonly port: number;
}

/** Environment variable that hands the Express server its credentials (JSON). */
export const CREDENTIALS_ENV = 'SIGNET_BENCH_CREDENTIALS';

/** What the Express server knows: one consumer with one access token, of `userId`. */
export interface PeerCredentials extends SigningCredentials {
  readonly userId: string;
  readonly permission: string;
}
