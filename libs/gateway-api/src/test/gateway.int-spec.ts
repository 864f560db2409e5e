import { Permission } from '@flotilla/api-interfaces';

import { ADMIN_TOKEN, VIEWER_TOKEN } from './backend-doubles';
import { GatewayHarness, startGatewayHarness } from './gateway-harness';
import { call } from './http-client';

describe('gateway REST over gRPC doubles', () => {
  let sut: GatewayHarness;

  beforeAll(async () => {
    sut = await startGatewayHarness({ maxPackageBytes: 1024 * 1024 });
  });

  afterAll(async () => {
    await sut?.close();
  });

  it('answers 401 without credentials and with bad ones', async () => {
    await expect(call(sut.baseUrl, 'GET', '/api/projects')).resolves.toMatchObject({
      status: 401,
      body: { statusCode: 401, error: 'Unauthorized' },
    });
    await expect(call(sut.baseUrl, 'GET', '/api/projects', { token: 'forged' })).resolves.toMatchObject({
      status: 401,
    });
    await expect(call(sut.baseUrl, 'GET', '/api/projects', { apiKey: 'forged' })).resolves.toMatchObject({
      status: 401,
    });
  });

  it('answers 403 naming the missing permission', async () => {
    const response = await call(sut.baseUrl, 'POST', '/api/projects', {
      apiKey: VIEWER_TOKEN,
      json: { name: 'X' },
    });
    expect(response).toMatchObject({ status: 403, body: { statusCode: 403, error: 'Forbidden' } });
    expect((response.body as { message: string }).message).toContain(Permission.ProjectCreate);
  });

  it('passes the caller, client IP and a request id of its own to the service', async () => {
    const response = await call(sut.baseUrl, 'GET', '/api/projects/p1', { apiKey: VIEWER_TOKEN });
    expect(response).toMatchObject({ status: 200, body: { id: 'p1', name: 'Web' } });
    const caller = sut.backends.log.orchestratorCallers.at(-1);
    expect(caller).toMatchObject({
      userId: 'u-view',
      username: 'viewer',
      clientIp: '127.0.0.1',
      permissions: [Permission.ProjectView],
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
    });
    await call(sut.baseUrl, 'GET', '/api/projects/p1', { apiKey: VIEWER_TOKEN });
    expect(sut.backends.log.orchestratorCallers.at(-1)?.requestId).not.toBe(caller?.requestId);
  });

  it('answers 400 for invalid bodies, unknown fields and malformed JSON', async () => {
    const invalid = await call(sut.baseUrl, 'POST', '/api/projects', {
      token: ADMIN_TOKEN,
      json: { name: 5 },
    });
    expect(invalid).toMatchObject({ status: 400, body: { error: 'Bad Request' } });
    const extra = await call(sut.baseUrl, 'POST', '/api/projects', {
      token: ADMIN_TOKEN,
      json: { name: 'A', owner: 'me' },
    });
    expect(extra).toMatchObject({ status: 400, body: { message: ['property owner should not exist'] } });
    const malformed = await call(sut.baseUrl, 'POST', '/api/projects', {
      token: ADMIN_TOKEN,
      rawBody: '{"name":',
    });
    expect(malformed).toMatchObject({ status: 400, body: { statusCode: 400 } });
  });

  it('refuses JSON bodies over 1 MB with 413', async () => {
    const big = { name: 'A', description: 'x'.repeat(1_100_000) };
    await expect(
      call(sut.baseUrl, 'POST', '/api/projects', { token: ADMIN_TOKEN, json: big }),
    ).resolves.toMatchObject({
      status: 413,
    });
  });

  it('maps NOT_FOUND to 404 and ALREADY_EXISTS to 409 with the service message', async () => {
    await expect(
      call(sut.baseUrl, 'GET', '/api/projects/nope', { token: ADMIN_TOKEN }),
    ).resolves.toMatchObject({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'Project nope was not found' },
    });
    await expect(
      call(sut.baseUrl, 'POST', '/api/projects', { token: ADMIN_TOKEN, json: { name: 'Taken' } }),
    ).resolves.toMatchObject({
      status: 409,
      body: { error: 'Conflict', message: 'A project named Taken already exists' },
    });
  });

  it('answers 503 when a backend service is down', async () => {
    const response = await call(sut.baseUrl, 'GET', '/api/events', { token: ADMIN_TOKEN });
    expect(response).toMatchObject({ status: 503, body: { statusCode: 503, error: 'Service Unavailable' } });
    expect(JSON.stringify(response.body)).not.toContain('127.0.0.1');
  });

  it('signs in with the client IP in metadata and maps a failed sign-in to 401', async () => {
    const failed = await call(sut.baseUrl, 'POST', '/api/users/login', {
      json: { username: 'admin', password: 'wrong' },
    });
    expect(failed).toMatchObject({ status: 401, body: { message: 'Invalid username or password' } });
    const good = await call(sut.baseUrl, 'POST', '/api/users/login', {
      json: { username: 'admin', password: 'secret' },
    });
    expect(good).toMatchObject({ status: 200, body: { token: ADMIN_TOKEN, user: { username: 'admin' } } });
    expect(sut.backends.log.loginClientIps).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('tells the caller who they are', async () => {
    await expect(call(sut.baseUrl, 'GET', '/api/users/me', { apiKey: VIEWER_TOKEN })).resolves.toMatchObject({
      status: 200,
      body: {
        userId: 'u-view',
        username: 'viewer',
        displayName: 'Viewer',
        permissions: [Permission.ProjectView],
      },
    });
  });

  it('caches good tokens briefly but asks auth again for every bad one', async () => {
    await call(sut.baseUrl, 'GET', '/api/projects', { token: ADMIN_TOKEN });
    const before = sut.backends.log.validateTokenCalls;
    await call(sut.baseUrl, 'GET', '/api/projects', { token: ADMIN_TOKEN });
    await call(sut.baseUrl, 'GET', '/api/projects', { token: 'bad' });
    await call(sut.baseUrl, 'GET', '/api/projects', { token: 'bad' });
    expect(sut.backends.log.validateTokenCalls - before).toBe(2);
  });

  it('answers the load balancer ping without credentials', async () => {
    await expect(call(sut.baseUrl, 'GET', '/api/health/ping')).resolves.toMatchObject({
      status: 200,
      body: { name: 'gateway-test-node', isDraining: false, state: 'Running' },
    });
  });

  it('answers the ping with 418 and the node while the node is draining', async () => {
    sut.backends.log.nodeDraining = true;
    try {
      // The gateway asks the orchestrator at most once a second.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await expect(call(sut.baseUrl, 'GET', '/api/health/ping')).resolves.toMatchObject({
        status: 418,
        body: {
          name: 'gateway-test-node',
          isDraining: true,
          statusMessage: 'Node gateway-test-node is draining',
        },
      });
    } finally {
      sut.backends.log.nodeDraining = false;
    }
  });

  it('serves the OpenAPI document with both security schemes', async () => {
    const document = await call(sut.baseUrl, 'GET', '/api/docs-json');
    expect(document.status).toBe(200);
    const body = document.body as {
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<string, unknown>;
    };
    expect(Object.keys(body.components.securitySchemes).sort()).toEqual(['api-key', 'bearer']);
    expect(body.paths).toHaveProperty('/api/packages/raw');
    await expect(call(sut.baseUrl, 'GET', '/api/docs')).resolves.toMatchObject({ status: 200 });
  });

  it('answers unknown API routes with a JSON 404', async () => {
    await expect(
      call(sut.baseUrl, 'GET', '/api/nothing-here', { token: ADMIN_TOKEN }),
    ).resolves.toMatchObject({
      status: 404,
      body: { statusCode: 404 },
    });
  });
});
