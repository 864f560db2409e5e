import { INestApplication, Logger } from '@nestjs/common';
import type { Server } from 'node:http';

import { NodePingService } from '../health/node-ping.service';

/** How long the gateway keeps serving after its ping turned 418, so HAProxy notices first. */
export const STOP_GRACE_MS = 2000;
/** Long requests (SSE log streams, big downloads) get this long before their sockets are cut. */
export const FORCE_CLOSE_AFTER_MS = 8000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Stops the gateway politely: the ping answers 418 at once, the gateway keeps serving for
 * STOP_GRACE_MS while the load balancer takes it out of the pool, then Nest closes (the listener
 * stops accepting, in-flight requests finish). Returns when the app is closed.
 */
export async function stopGatewayGracefully(
  app: INestApplication,
  options: { graceMs?: number; forceAfterMs?: number } = {},
): Promise<void> {
  const logger = new Logger('flotilla-gateway');
  const graceMs = options.graceMs ?? STOP_GRACE_MS;
  app.get(NodePingService).beginStopping();
  logger.log(`Stopping: the ping answers 418; serving for ${graceMs} ms more while the load balancer reacts`);
  await delay(graceMs);
  const server = app.getHttpServer() as Server;
  const force = setTimeout(() => {
    logger.warn('Closing connections still open after the grace period');
    server.closeAllConnections();
  }, options.forceAfterMs ?? FORCE_CLOSE_AFTER_MS);
  force.unref();
  await app.close();
  clearTimeout(force);
  logger.log('Gateway stopped');
}

/** SIGTERM / SIGINT → stopGatewayGracefully, then exit. Replaces Nest's enableShutdownHooks for the gateway. */
export function stopGatewayOnSignals(app: INestApplication): void {
  let stopping: Promise<void> | undefined;
  const onSignal = (): void => {
    stopping ??= stopGatewayGracefully(app).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
