import { Counter, collectDefaultMetrics, Registry } from 'prom-client';

/** The provider's Prometheus metrics, in a registry of their own (tests build many apps). */
export class Metrics {
  readonly registry = new Registry();
  // Requests counted since the last scrape, by route and status. prom-client hashes and
  // validates the label object on every `inc`, which cost more than the rest of the hook that
  // counts; plain maps here are handed to the counter when it is read.
  readonly #pending = new Map<string, Map<number, number>>();
  readonly requests = new Counter({
    name: 'signet_http_requests_total',
    help: 'HTTP requests by route and status.',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
    collect: () => this.#flushRequests(),
  });
  readonly signatureFailures = new Counter({
    name: 'signet_signature_failures_total',
    help: 'Requests refused because their OAuth signature did not verify.',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });
  readonly tokensIssued = new Counter({
    name: 'signet_tokens_issued_total',
    help: 'Tokens issued, by kind (request, access).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly oauthFailures = new Counter({
    name: 'signet_oauth_failures_total',
    help: 'OAuth requests refused, by oauth_problem.',
    labelNames: ['problem'] as const,
    registers: [this.registry],
  });
  readonly dependencyFailures = new Counter({
    name: 'signet_dependency_failures_total',
    help: 'Operations that failed because a dependency was unavailable, by dependency (database, redis) and kind (connection, timeout, busy, full, io).',
    labelNames: ['dependency', 'kind'] as const,
    registers: [this.registry],
  });
  readonly requestDeadlines = new Counter({
    name: 'signet_request_deadline_exceeded_total',
    help: 'Requests answered 503 because they ran past SIGNET_REQUEST_TIMEOUT_MS.',
    registers: [this.registry],
  });

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts a failure of a dependency (see {@link Metrics.dependencyFailures}). */
  countDependencyFailure(dependency: string, kind: string): void {
    this.dependencyFailures.inc({ dependency, kind });
  }

  /** Counts one answered request (see {@link Metrics.requests}). */
  countRequest(route: string, status: number): void {
    let byStatus = this.#pending.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.#pending.set(route, byStatus);
    }
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }

  #flushRequests(): void {
    // Routes and statuses are few and come back: counts go to zero, entries stay.
    for (const [route, byStatus] of this.#pending) {
      for (const [status, n] of byStatus) {
        if (n === 0) continue;
        this.requests.inc({ route, status: String(status) }, n);
        byStatus.set(status, 0);
      }
    }
  }

  /** The text format Prometheus scrapes. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
