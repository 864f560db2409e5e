import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** The load balancer's check (HAProxy `option httpchk GET /api/health/ping`). */
export const HEALTH_PATH_PREFIX = '/api/health/';

/**
 * Watches the gateway's HTTP traffic for a graceful stop: when the last request that was not a
 * health check arrived (the load balancer has let go once they stop coming), and, once stopping,
 * answers every request with `Connection: close`.
 *
 * Why close: HAProxy keeps idle keep-alive connections to each gateway and reuses them for later
 * requests. A connection the gateway closes at the moment HAProxy sends a POST on it fails that
 * POST (HAProxy replays only idempotent requests). Closing each connection right after a response
 * — which HAProxy sees — leaves only the connections that were idle before the stop, and those are
 * closed once HAProxy has marked the gateway down and picks none of them any more.
 */
export class GatewayTraffic {
  private stopping = false;
  private lastRequestAt: number;
  private healthChecksWhileStopping = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.lastRequestAt = now();
  }

  /** Sees every request first (before Express routes it). */
  attach(server: Server): void {
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) =>
      this.onRequest(request, response),
    );
  }

  onRequest(request: Pick<IncomingMessage, 'url'>, response: Pick<ServerResponse, 'setHeader'>): void {
    if (request.url?.startsWith(HEALTH_PATH_PREFIX)) {
      if (this.stopping) this.healthChecksWhileStopping += 1;
    } else {
      this.lastRequestAt = this.now();
    }
    if (this.stopping) response.setHeader('Connection', 'close');
  }

  beginStopping(): void {
    this.stopping = true;
  }

  /** How long ago the last request other than a health check arrived. */
  quietForMs(): number {
    return this.now() - this.lastRequestAt;
  }

  /** Health checks answered since the stop began (each answered 418). */
  get healthChecksAnswered(): number {
    return this.healthChecksWhileStopping;
  }
}
