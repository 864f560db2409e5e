import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

import { SECURITY_SCHEMES } from '../security/route-access';

export const OPENAPI_PATH = 'api/docs';

/** OpenAPI UI at /api/docs (JSON at /api/docs-json) with both ways to authenticate. */
export function setUpOpenApi(app: INestApplication, version: string): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Flotilla')
      .setDescription('The REST API of the Flotilla deployment server.')
      .setVersion(version)
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', description: 'Session token from POST /api/users/login' },
        SECURITY_SCHEMES.bearer,
      )
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Octopus-ApiKey' }, SECURITY_SCHEMES.apiKey)
      .build(),
  );
  SwaggerModule.setup(OPENAPI_PATH, app, document);
}
