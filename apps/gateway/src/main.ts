import 'reflect-metadata';

import { Logger } from '@nestjs/common';

import { createGatewayApp, stopGatewayOnSignals } from '@flotilla/gateway-api';
import { loadFlotillaConfig } from '@flotilla/platform/config';

/**
 * Idle keep-alive connections stay open this long. HAProxy pools idle connections to each gateway
 * and reuses them; Node's default (5 s) let the gateway close one just as HAProxy sent a request on
 * it, which fails a POST (HAProxy replays only idempotent requests). HAProxy purges its idle
 * connections well before this, so it is HAProxy that closes them.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

async function main(): Promise<void> {
  const config = loadFlotillaConfig();
  const app = await createGatewayApp(config);
  app.getHttpServer().keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Not enableShutdownHooks: on SIGTERM the ping turns 418 and the gateway serves on until the
  // load balancer has taken it out, then finishes the requests in flight.
  stopGatewayOnSignals(app);
  await app.listen(config.httpPort, config.httpHost);
  const host = config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost;
  new Logger('flotilla-gateway').log(
    `gateway listening on http://${host}:${config.httpPort}/ (node ${config.nodeName})`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
