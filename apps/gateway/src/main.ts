import 'reflect-metadata';

import { Logger } from '@nestjs/common';

import { createGatewayApp, stopGatewayOnSignals } from '@flotilla/gateway-api';
import { loadFlotillaConfig } from '@flotilla/platform/config';

async function main(): Promise<void> {
  const config = loadFlotillaConfig();
  const app = await createGatewayApp(config);
  // Not enableShutdownHooks: on SIGTERM the ping turns 418 first and the gateway serves ~2 s more.
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
