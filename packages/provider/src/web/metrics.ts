import { Counter, collectDefaultMetrics, Registry } from 'prom-client';

/** The provider's Prometheus metrics, in a registry of their own (tests build many apps). */
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'signet_http_requests_total',
    help: 'HTTP requests by route and status.',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
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

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** The text format Prometheus scrapes. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
