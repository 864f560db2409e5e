import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';

import type { FlotillaConfig } from '@flotilla/platform/config';

import { setUpOpenApi } from './docs/openapi';
import { GatewayModule } from './gateway.module';
import { resolvePortalDir, servePortal } from './portal/portal-static';
import { installSecurityHeaders } from './security/security-headers';

/** JSON bodies are small documents; packages stream past the parser on their own routes. */
export const JSON_BODY_LIMIT = '1mb';

export interface GatewayAppOptions {
  logger?: false | ('error' | 'warn' | 'log')[];
}

/**
 * Builds the gateway HTTP application (not yet listening): REST under /api, OpenAPI at /api/docs,
 * the portal everywhere else. main.ts and the integration tests both start it through here.
 */
export async function createGatewayApp(
  config: FlotillaConfig,
  options: GatewayAppOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forConfig(config), {
    bodyParser: false,
    logger: options.logger ?? ['error', 'warn', 'log'],
  });
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  app.setGlobalPrefix('api');
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.disable('x-powered-by');
  // First, so every answer carries them: portal files, Swagger UI, REST routes and their errors.
  installSecurityHeaders(app);
  servePortal(app, resolvePortalDir(config.portalDir));
  setUpOpenApi(app, config.version);
  await app.init();
  return app;
}
