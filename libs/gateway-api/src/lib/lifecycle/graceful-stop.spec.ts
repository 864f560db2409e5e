import { Agent, createServer, request as httpRequest, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { GatewayTraffic } from './gateway-traffic';
import { loadBalancerLetGo, MAX_STOP_GRACE_MS, MIN_STOP_GRACE_MS, STOP_QUIET_MS } from './graceful-stop';

describe(loadBalancerLetGo.name, () => {
  it('keeps serving for the minimum grace even when no request comes', () => {
    expect(loadBalancerLetGo(MIN_STOP_GRACE_MS - 1, 60_000)).toBe(false);
    expect(loadBalancerLetGo(MIN_STOP_GRACE_MS, STOP_QUIET_MS)).toBe(true);
  });

  it('keeps serving past the minimum while requests still arrive', () => {
    expect(loadBalancerLetGo(MIN_STOP_GRACE_MS + 2000, STOP_QUIET_MS - 1)).toBe(false);
  });

  it('stops at the maximum grace whatever the traffic', () => {
    expect(loadBalancerLetGo(MAX_STOP_GRACE_MS, 0)).toBe(true);
  });

  it('leaves "inter 1s fall 2" (up to ~2 s to mark a server down) a margin', () => {
    expect(MIN_STOP_GRACE_MS).toBeGreaterThanOrEqual(2 * 1000 + 1000);
  });
});

describe(GatewayTraffic.name, () => {
  it('counts health checks apart from requests and knows how long requests have stopped', () => {
    let now = 1000;
    const sut = new GatewayTraffic(() => now);
    const response = { setHeader: jest.fn() };
    sut.onRequest({ url: '/api/projects' }, response);
    now += 700;
    sut.beginStopping();
    sut.onRequest({ url: '/api/health/ping' }, response);
    now += 300;
    expect(sut.quietForMs()).toBe(1000);
    expect(sut.healthChecksAnswered).toBe(1);
  });

  describe('on a real HTTP server', () => {
    let server: Server;
    let traffic: GatewayTraffic;
    let port: number;
    // A keep-alive client, as HAProxy is to the gateway.
    const agent = new Agent({ keepAlive: true });

    beforeEach(async () => {
      traffic = new GatewayTraffic();
      server = createServer((_request, response) => response.end('ok'));
      traffic.attach(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });

    afterEach(async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    const connectionHeader = () =>
      new Promise<string | undefined>((resolve, reject) => {
        const request = httpRequest({ port, host: '127.0.0.1', path: '/api/tasks', agent }, (response) => {
          response.resume();
          resolve(response.headers.connection);
        });
        request.on('error', reject);
        request.end();
      });

    it('keeps connections alive while serving and closes each one after its response once stopping', async () => {
      expect(await connectionHeader()).not.toBe('close');
      traffic.beginStopping();
      expect(await connectionHeader()).toBe('close');
    });
  });
});
