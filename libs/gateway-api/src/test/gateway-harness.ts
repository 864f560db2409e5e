import type { NestExpressApplication } from '@nestjs/platform-express';

import { loadFlotillaConfig } from '@flotilla/platform/config';

import { createGatewayApp } from '../lib/create-gateway-app';
import { BackendDoubles, startBackendDoubles } from './backend-doubles';

export interface GatewayHarness {
  baseUrl: string;
  port: number;
  backends: BackendDoubles;
  close(): Promise<void>;
}

/** The real gateway HTTP app on a free loopback port, talking gRPC to scripted backend doubles. */
export async function startGatewayHarness(options: {
  maxPackageBytes: number;
  /** Configuration that replaces the defaults below (e.g. a real artifact store's URL). */
  env?: Record<string, string>;
}): Promise<GatewayHarness> {
  const backends = await startBackendDoubles();
  const config = loadFlotillaConfig({
    FLOTILLA_NODE_NAME: 'gateway-test-node',
    // The gateway never opens the database; the shared config still insists on a URL.
    FLOTILLA_DB_URL: 'postgres://unused@127.0.0.1:1/unused',
    FLOTILLA_AUTH_GRPC_URL: backends.urls.auth,
    FLOTILLA_ORCHESTRATOR_GRPC_URL: backends.urls.orchestrator,
    FLOTILLA_EXECUTOR_GRPC_URL: backends.urls.executor,
    FLOTILLA_ARTIFACTS_GRPC_URL: backends.urls.artifacts,
    FLOTILLA_AUDIT_GRPC_URL: backends.urls.audit,
    FLOTILLA_MAX_PACKAGE_BYTES: String(options.maxPackageBytes),
    FLOTILLA_PORTAL_DIR: '',
    ...options.env,
  });
  const app: NestExpressApplication = await createGatewayApp(
    { ...config, portalDir: undefined },
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    port: address.port,
    backends,
    close: async () => {
      await app.close();
      await backends.close();
    },
  };
}
