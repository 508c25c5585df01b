/**
 * Remembers when access tokens were last used, cheaply: the signed API path only adds the
 * token to a set; a timer writes the set in one statement, and a token is written at most
 * once per `minGapMs`. What /account/applications shows is therefore up to a minute old.
 */
export class LastUseRecorder {
  readonly #write: (tokens: readonly string[], at: number) => Promise<void>;
  readonly #now: () => number;
  readonly #minGapMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #pending = new Set<string>();
  // Token -> when it was last queued; bounded, since it only saves writes.
  readonly #queued = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> | undefined;

  constructor(options: {
    readonly write: (tokens: readonly string[], at: number) => Promise<void>;
    readonly now: () => number;
    readonly onError: (error: unknown) => void;
    /** How often the set is written. Default 2 s. */
    readonly flushEveryMs?: number;
    /** The least time between two writes for one token. Default one minute. */
    readonly minGapMs?: number;
  }) {
    this.#write = options.write;
    this.#now = options.now;
    this.#onError = options.onError;
    this.#minGapMs = options.minGapMs ?? 60_000;
    this.#timer = setInterval(() => void this.flush(), options.flushEveryMs ?? 2000);
    this.#timer.unref();
  }

  /** Notes a use of `token`; no I/O. */
  note(token: string): void {
    const now = this.#now();
    const last = this.#queued.get(token);
    if (last !== undefined && now - last < this.#minGapMs) return;
    if (this.#queued.size >= 100_000) this.#queued.clear();
    this.#queued.set(token, now);
    this.#pending.add(token);
  }

  /** Writes what was noted since the last flush. Never throws: a failed write is reported. */
  async flush(): Promise<void> {
    await this.#flushing;
    if (this.#pending.size === 0) return;
    const tokens = [...this.#pending];
    this.#pending.clear();
    this.#flushing = this.#write(tokens, this.#now()).catch(this.#onError);
    await this.#flushing;
    this.#flushing = undefined;
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
