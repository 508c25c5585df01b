// Minimal types for the load-run packages that ship none, covering only what the bench calls.

declare module 'autocannon' {
  /** One request template; `setupRequest` rebuilds it before every send. */
  export interface RequestParams {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    setupRequest?: (request: RequestParams, context: Record<string, unknown>) => RequestParams;
  }
  export interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    /** Seconds before a request counts as a timeout. */
    timeout?: number;
    /** Requests per second over all connections (unlimited when absent). */
    overallRate?: number;
    requests?: RequestParams[];
  }
  /** Per-second samples (requests, throughput) or per-request ones (latency, ms). */
  export interface Histogram {
    readonly average: number;
    readonly mean: number;
    readonly stddev: number;
    readonly min: number;
    readonly max: number;
    readonly total: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
  }
  export interface Result {
    readonly requests: Histogram;
    readonly latency: Histogram;
    readonly throughput: Histogram;
    /** Seconds actually run. */
    readonly duration: number;
    readonly errors: number;
    readonly timeouts: number;
    readonly resets: number;
    readonly non2xx: number;
    readonly '2xx': number;
    readonly statusCodeStats: Readonly<Record<string, { readonly count: number }>>;
  }
  export default function autocannon(options: Options): Promise<Result>;
}

declare module 'passport' {
  import type { RequestHandler } from 'express';

  /** passport's default instance, as far as the bench uses it. */
  interface Passport {
    use(strategy: object): Passport;
    initialize(): RequestHandler;
    authenticate(name: string, options: { session: boolean }): RequestHandler;
  }
  const passport: Passport;
  export default passport;
}

declare module 'passport-http-oauth' {
  type Done<A extends unknown[]> = (error: Error | null, ...results: A) => void;
  /** passport-http-oauth's protected-resource strategy (strategy name `oauth`). */
  class TokenStrategy {
    constructor(
      consumer: (
        consumerKey: string,
        done: Done<[consumer: object | false, secret?: string]>,
      ) => void,
      verify: (
        accessToken: string,
        done: Done<[user: object | false, tokenSecret?: string, info?: object]>,
      ) => void,
      validate?: (timestamp: string, nonce: string, done: Done<[valid: boolean]>) => void,
    );
  }
  const pkg: { readonly TokenStrategy: typeof TokenStrategy };
  export default pkg;
}
