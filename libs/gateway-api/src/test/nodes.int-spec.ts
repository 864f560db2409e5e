import { Permission } from '@flotilla/api-interfaces';

import { ADMIN_TOKEN, VIEWER_TOKEN } from './backend-doubles';
import { GatewayHarness, startGatewayHarness } from './gateway-harness';
import { call } from './http-client';

describe('gateway /api/nodes over gRPC doubles', () => {
  let sut: GatewayHarness;

  beforeAll(async () => {
    sut = await startGatewayHarness({ maxPackageBytes: 1024 * 1024 });
  });

  afterAll(async () => {
    await sut?.close();
  });

  it('lists the nodes with their licence state and status message', async () => {
    const response = await call(sut.baseUrl, 'GET', '/api/nodes', { token: ADMIN_TOKEN });
    expect(response).toMatchObject({
      status: 200,
      body: {
        items: [
          { name: 'node-a', state: 'Running', overLicenceLimit: false, statusMessage: '' },
          {
            name: 'node-over',
            overLicenceLimit: true,
            statusMessage: 'Node node-over is over the licence limit of 1 node',
          },
          { name: 'node-offline', state: 'Offline' },
        ],
      },
    });
  });

  it('gets one node by name and answers 404 for an unknown one', async () => {
    await expect(
      call(sut.baseUrl, 'GET', '/api/nodes/node-over', { token: ADMIN_TOKEN }),
    ).resolves.toMatchObject({ status: 200, body: { name: 'node-over', overLicenceLimit: true } });
    await expect(call(sut.baseUrl, 'GET', '/api/nodes/ghost', { token: ADMIN_TOKEN })).resolves.toMatchObject(
      { status: 404, body: { message: 'Node ghost was not found' } },
    );
  });

  it('passes only the fields given to UpdateNode', async () => {
    const drained = await call(sut.baseUrl, 'PUT', '/api/nodes/node-a', {
      token: ADMIN_TOKEN,
      json: { isDraining: true },
    });
    expect(drained).toMatchObject({ status: 200, body: { name: 'node-a', isDraining: true, taskCap: 5 } });
    const capped = await call(sut.baseUrl, 'PUT', '/api/nodes/node-a', {
      token: ADMIN_TOKEN,
      json: { taskCap: 0 },
    });
    expect(capped).toMatchObject({ status: 200, body: { taskCap: 0 } });
    expect(sut.backends.log.updates.slice(-2)).toEqual([
      { name: 'node-a', isDraining: true },
      { name: 'node-a', taskCap: 0 },
    ]);
  });

  it('refuses a task cap out of range with 400 without calling the orchestrator', async () => {
    const before = sut.backends.log.updates.length;
    await expect(
      call(sut.baseUrl, 'PUT', '/api/nodes/node-a', { token: ADMIN_TOKEN, json: { taskCap: 1001 } }),
    ).resolves.toMatchObject({ status: 400 });
    expect(sut.backends.log.updates).toHaveLength(before);
  });

  it('removes an Offline node with 204 and refuses a live one with 409', async () => {
    await expect(
      call(sut.baseUrl, 'DELETE', '/api/nodes/node-offline', { token: ADMIN_TOKEN }),
    ).resolves.toMatchObject({ status: 204 });
    await expect(
      call(sut.baseUrl, 'DELETE', '/api/nodes/node-a', { token: ADMIN_TOKEN }),
    ).resolves.toMatchObject({ status: 409, body: { message: 'Node node-a is still running' } });
    expect(sut.backends.log.removed).toEqual(['node-offline']);
  });

  it('requires AdministerSystem to change or remove a node', async () => {
    const update = await call(sut.baseUrl, 'PUT', '/api/nodes/node-a', {
      apiKey: VIEWER_TOKEN,
      json: { isDraining: true },
    });
    expect(update).toMatchObject({ status: 403 });
    expect((update.body as { message: string }).message).toContain(Permission.AdministerSystem);
    await expect(
      call(sut.baseUrl, 'DELETE', '/api/nodes/node-offline', { apiKey: VIEWER_TOKEN }),
    ).resolves.toMatchObject({ status: 403 });
  });
});
