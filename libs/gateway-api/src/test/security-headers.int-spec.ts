import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';

import { loadFlotillaConfig } from '@flotilla/platform/config';

import { createGatewayApp } from '../lib/create-gateway-app';
import { ADMIN_TOKEN, BackendDoubles, startBackendDoubles } from './backend-doubles';
import { call } from './http-client';

/** Directive name -> its sources, from a Content-Security-Policy header. */
function directives(header: string | null): Map<string, string[]> {
  return new Map(
    (header ?? '')
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name, sources]),
  );
}

/** The real gateway app serving a stand-in portal folder, over scripted gRPC backends. */
describe('gateway security headers', () => {
  let backends: BackendDoubles;
  let app: NestExpressApplication;
  let portalDir: string;
  let baseUrl: string;

  beforeAll(async () => {
    backends = await startBackendDoubles();
    portalDir = await mkdtemp(join(tmpdir(), 'flotilla-portal-'));
    await writeFile(
      join(portalDir, 'index.html'),
      '<!doctype html><html><body><flotilla-root ngCspNonce="FLOTILLA_CSP_NONCE"></flotilla-root></body></html>',
    );
    await writeFile(join(portalDir, 'main.js'), 'console.log(1);');
    const config = loadFlotillaConfig({
      FLOTILLA_NODE_NAME: 'headers-test-node',
      FLOTILLA_AUTH_GRPC_URL: backends.urls.auth,
      FLOTILLA_ORCHESTRATOR_GRPC_URL: backends.urls.orchestrator,
      FLOTILLA_EXECUTOR_GRPC_URL: backends.urls.executor,
      FLOTILLA_ARTIFACTS_GRPC_URL: backends.urls.artifacts,
      FLOTILLA_AUDIT_GRPC_URL: backends.urls.audit,
      FLOTILLA_PORTAL_DIR: portalDir,
    });
    app = await createGatewayApp(config, { logger: false });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await app?.close();
    await backends?.close();
    await rm(portalDir, { recursive: true, force: true });
  });

  const common = (headers: Headers): void => {
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('cross-origin-opener-policy')).toBe('same-origin');
    // HSTS is HAProxy's (it terminates TLS for users); a plain-HTTP gateway must not pin HTTPS.
    expect(headers.get('strict-transport-security')).toBeNull();
    expect(headers.get('x-powered-by')).toBeNull();
    expect(directives(headers.get('content-security-policy')).get('frame-ancestors')).toEqual(["'none'"]);
  };

  it('serves portal pages under a strict policy whose nonce is the one written into the page', async () => {
    const nonces = new Set<string>();
    for (const path of ['/', '/projects/p1', '/index.html']) {
      const response = await fetch(`${baseUrl}${path}`);
      expect(response.status).toBe(200);
      common(response.headers);
      const policy = directives(response.headers.get('content-security-policy'));
      expect(policy.get('script-src')).toEqual(["'self'"]);
      expect(policy.get('object-src')).toEqual(["'none'"]);
      expect(policy.get('style-src-attr')).toEqual(["'none'"]);
      const [self, nonce, ...rest] = policy.get('style-src') ?? [];
      expect([self, rest]).toEqual(["'self'", []]);
      expect(nonce).toMatch(/^'nonce-[A-Za-z0-9+/]{22}=='$/);
      const html = await response.text();
      expect(html).not.toContain('FLOTILLA_CSP_NONCE');
      expect(html).toContain(`ngCspNonce="${nonce.slice(7, -1)}"`);
      nonces.add(nonce);
    }
    expect(nonces.size).toBe(3);
    const script = await fetch(`${baseUrl}/main.js`);
    expect(script.status).toBe(200);
    common(script.headers);
  });

  it('answers the API with a data-only policy, and its JSON still works', async () => {
    const listed = await call(baseUrl, 'GET', '/api/projects', { token: ADMIN_TOKEN });
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ items: [expect.objectContaining({ id: 'p1' })] });
    common(listed.headers);
    expect(directives(listed.headers.get('content-security-policy')).get('default-src')).toEqual(["'none'"]);
    const refused = await call(baseUrl, 'GET', '/api/projects');
    expect(refused.status).toBe(401);
    common(refused.headers);
    const ping = await fetch(`${baseUrl}/api/health/ping`);
    common(ping.headers);
  });

  it('relaxes styles for Swagger UI on its own route only', async () => {
    const page = await fetch(`${baseUrl}/api/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
    common(page.headers);
    const policy = directives(page.headers.get('content-security-policy'));
    expect(policy.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    const json = await call(baseUrl, 'GET', '/api/docs-json');
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ info: { title: 'Flotilla' } });
  });
});
