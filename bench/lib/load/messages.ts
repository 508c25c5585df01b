// What the bench process and its load-generator child say to each other over IPC.

/** Credentials the load generator signs with: the bench's consumer and access token. */
export interface SigningCredentials {
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly token: string;
  readonly tokenSecret: string;
}

/** One load run: a warm-up, then the timed part, against one URL. */
export interface LoadJob {
  readonly id: string;
  /** Absolute URL requested; with `signing`, also the URL the signature covers. */
  readonly url: string;
  readonly connections: number;
  readonly pipelining: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** A fixed request rate over all connections, instead of as fast as the server answers. */
  readonly rate?: number;
  /** When set, every request is signed (HMAC-SHA1, its own nonce, the current time). */
  readonly signing?: SigningCredentials;
  /**
   * Requests to pre-sign before the timed part (each used once); more are signed on the fly
   * if the pool runs dry. Ignored without `signing`.
   */
  readonly poolSize: number;
}

/** The timed part of a load run, as the load generator saw it. */
export interface LoadResult {
  readonly id: string;
  /** Responses per second (every status), over the timed part. */
  readonly requestsPerSec: number;
  readonly responses: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Count per HTTP status, warm-up included, so that no refusal goes unseen. */
  readonly statusCodes: Readonly<Record<string, number>>;
  /** Warm-up responses with a status outside 2xx, and warm-up errors. */
  readonly warmupFailures: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly seconds: number;
  /** Signed requests built during the timed part because the pre-signed pool ran dry. */
  readonly signedLive: number;
  /** Rate of the warm-up, which sizes the next pool. */
  readonly warmupPerSec: number;
  /** CPU time the load generator itself spent per response of the timed part, in µs. */
  readonly generatorCpuUsPerRequest: number;
}

/** Parent to child. */
export type ToLoader = { readonly type: 'run'; readonly job: LoadJob } | { readonly type: 'exit' };

/** Child to parent. */
export type FromLoader =
  | { readonly type: 'ready' }
  /** Sent just before the timed part starts, so that the bench can read the server's CPU. */
  | { readonly type: 'timed'; readonly id: string }
  | { readonly type: 'result'; readonly result: LoadResult }
  | { readonly type: 'error'; readonly id: string; readonly message: string };
