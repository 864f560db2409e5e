import { INestApplication, Logger } from '@nestjs/common';
import type { Server } from 'node:http';

import { NodePingService } from '../health/node-ping.service';
import { GatewayTraffic } from './gateway-traffic';

/**
 * How long the gateway keeps serving after its ping turned 418, at the least. HAProxy checks every
 * second and needs two failed checks (`inter 1s fall 2`) to mark a server down: up to ~2 s after the
 * stop began, later still when the machine is busy. Closing connections before that would fail
 * requests HAProxy still sends here.
 */
export const MIN_STOP_GRACE_MS = 3000;
/** After the minimum, serving goes on until no request has arrived for this long. */
export const STOP_QUIET_MS = 1000;
/** Never serves longer than this after the stop began (a client that bypasses the balancer). */
export const MAX_STOP_GRACE_MS = 10_000;
/** Long requests (SSE log streams, big downloads) get this long before their sockets are cut. */
export const FORCE_CLOSE_AFTER_MS = 8000;

export interface GatewayStopOptions {
  minGraceMs?: number;
  quietMs?: number;
  maxGraceMs?: number;
  forceAfterMs?: number;
  /** How often the grace period checks the traffic. */
  pollMs?: number;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Whether the load balancer has let go of a stopping gateway: at least the minimum grace has passed
 * and requests have stopped coming, or the maximum grace is over.
 */
export function loadBalancerLetGo(
  elapsedMs: number,
  quietForMs: number,
  options: Pick<GatewayStopOptions, 'minGraceMs' | 'quietMs' | 'maxGraceMs'> = {},
): boolean {
  if (elapsedMs >= (options.maxGraceMs ?? MAX_STOP_GRACE_MS)) return true;
  return (
    elapsedMs >= (options.minGraceMs ?? MIN_STOP_GRACE_MS) && quietForMs >= (options.quietMs ?? STOP_QUIET_MS)
  );
}

/**
 * Stops the gateway politely: the ping answers 418 at once and every response closes its
 * connection; the gateway keeps serving until the load balancer has taken it out of the pool
 * (loadBalancerLetGo), then Nest closes (the listener stops accepting, idle connections close,
 * requests in flight finish). Returns when the app is closed.
 */
export async function stopGatewayGracefully(
  app: INestApplication,
  traffic: GatewayTraffic,
  options: GatewayStopOptions = {},
): Promise<void> {
  const logger = new Logger('flotilla-gateway');
  const startedAt = Date.now();
  app.get(NodePingService).beginStopping();
  traffic.beginStopping();
  logger.log('Stopping: the ping answers 418; serving on until the load balancer has taken this gateway out');
  while (!loadBalancerLetGo(Date.now() - startedAt, traffic.quietForMs(), options)) {
    await delay(options.pollMs ?? 100);
  }
  logger.log(
    `Served ${Date.now() - startedAt} ms after the stop began (${traffic.healthChecksAnswered} health checks ` +
      `answered 418, last request ${traffic.quietForMs()} ms ago); finishing the requests in flight`,
  );
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

/**
 * Watches the gateway's traffic and, on SIGTERM / SIGINT, stops it gracefully, then exits.
 * Replaces Nest's enableShutdownHooks for the gateway; call it before `listen`.
 */
export function stopGatewayOnSignals(app: INestApplication): void {
  const traffic = new GatewayTraffic();
  traffic.attach(app.getHttpServer() as Server);
  let stopping: Promise<void> | undefined;
  const onSignal = (): void => {
    stopping ??= stopGatewayGracefully(app, traffic).then(
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
