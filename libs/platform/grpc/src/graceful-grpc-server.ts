import type { Server } from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import { GrpcOptions, ServerGrpc } from '@nestjs/microservices';

/** How long calls in flight may take to finish once the server stops, before they are cut. */
export const GRPC_STOP_GRACE_MS = 10_000;

/**
 * Nest's gRPC server, stopping the way a server behind a load balancer should: grpc-js
 * `tryShutdown` closes the listener (the balancer's next connection is refused, so it tries another
 * replica and its check marks this one down) and sends GOAWAY on open connections, so no new call
 * starts here while the calls in flight run to completion. Nest's default `forceShutdown` reset
 * them, which the caller (a gateway, hence a user) saw as a failed request. Calls still running
 * after the grace period (say, a log stream that never ends) are cut then.
 */
export class GracefulGrpcServer extends ServerGrpc {
  private readonly stopLogger: Logger;

  constructor(
    options: GrpcOptions['options'],
    private readonly graceMs = GRPC_STOP_GRACE_MS,
    name = 'grpc',
  ) {
    super(options);
    this.stopLogger = new Logger(`flotilla-${name}`);
  }

  override async close(): Promise<void> {
    const server = this.grpcClient as Server | null;
    if (!server) return;
    const startedAt = Date.now();
    let forced = false;
    const force = setTimeout(() => {
      forced = true;
      this.stopLogger.warn(`gRPC calls still running after ${this.graceMs} ms: cutting them`);
      server.forceShutdown();
    }, this.graceMs);
    try {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    } finally {
      clearTimeout(force);
      // ServerGrpc types the field as non-null; null is what its own close() leaves behind.
      (this as unknown as { grpcClient: Server | null }).grpcClient = null;
    }
    if (!forced)
      this.stopLogger.log(`gRPC server stopped; calls in flight finished in ${Date.now() - startedAt} ms`);
  }
}
