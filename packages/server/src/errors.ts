/**
 * A store (or anything else an endpoint depends on) cannot answer right now: the database is
 * unreachable, locked, full or too slow, or Redis is down. Stores throw it; endpoints answer
 * 503 with `Retry-After` instead of the 500 that any other failure gets, because the request
 * was fine and may succeed when retried.
 *
 * `message` is shown to the client: keep it to one line that names what is down, never a
 * connection string or a query. The original error goes in `cause`, for the logs.
 *
 * @example throw new StoreUnavailableError('The database is unavailable.', { cause: e });
 */
export class StoreUnavailableError extends Error {
  /** Seconds the client should wait before trying again. */
  readonly retryAfter: number;
  /** What failed, for metrics: `database`, `redis`, `disk`, `timeout`... */
  readonly dependency: string;

  constructor(
    message: string,
    options: {
      readonly cause?: unknown;
      readonly retryAfter?: number | undefined;
      readonly dependency?: string | undefined;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreUnavailableError';
    this.retryAfter = options.retryAfter ?? 1;
    this.dependency = options.dependency ?? 'store';
  }
}

/** Whether `error` is a {@link StoreUnavailableError}, also across copies of this package. */
export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return (
    error instanceof StoreUnavailableError ||
    (error instanceof Error && error.name === 'StoreUnavailableError' && 'retryAfter' in error)
  );
}
