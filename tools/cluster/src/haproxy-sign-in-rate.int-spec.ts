import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePorts, waitForPort } from '@flotilla/platform/net';
import { ensureClusterPki, PkiLayout } from '@flotilla/platform/pki';

import { readHaproxyTemplate, renderHaproxyConfig } from './haproxy-config';
import { ensurePublicTlsCertificate } from './haproxy-config-public-certificate';

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/**
 * The rendered config's sign-in rate limit under the real haproxy: one "gateway" (a plain HTTP
 * server answering 401 to every sign-in, as a wrong password would be) behind users' HTTPS frontend.
 */
describe('HAProxy sign-in rate limit', () => {
  let dir: string;
  let gateway: Server;
  let haproxy: ChildProcess;
  let httpsPort: number;
  let ca: string;
  const reachedGateway: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-haproxy-sign-in-'));
    const pki = join(dir, 'pki');
    await ensureClusterPki(pki, ['lb'], ['haproxy']);
    const [gatewayPort, httpPort, https, statsPort, ...grpc] = await freePorts(9);
    httpsPort = https ?? 0;
    gateway = createServer((req, res) => {
      if (req.url !== '/api/health/ping') reachedGateway.push(`${req.method} ${req.url}`);
      res.statusCode = req.method === 'POST' ? 401 : 200;
      res.end('{}');
    });
    await new Promise<void>((resolve) => gateway.listen(gatewayPort, '127.0.0.1', resolve));
    const certificate = await ensurePublicTlsCertificate(join(dir, 'public-tls'), {});
    ca = certificate.certificatePem;
    const grpcPort = (index: number) => grpc[index] ?? 0;
    const grpcPorts = {
      auth: grpcPort(0),
      audit: grpcPort(1),
      orchestrator: grpcPort(2),
      executor: grpcPort(3),
      artifacts: grpcPort(4),
    };
    const config = renderHaproxyConfig(readHaproxyTemplate(), {
      publicBindHost: '127.0.0.1',
      internalBindHost: '127.0.0.2',
      httpPort: httpPort ?? 0,
      httpsPort,
      publicTlsCertificate: certificate.bundlePath,
      statsPort: statsPort ?? 0,
      stats: { username: 'admin', password: 'stats-password-1' },
      grpcPorts,
      nodes: [{ name: 'n1', host: '127.0.0.1', httpPort: gatewayPort ?? 0, grpcPorts }],
      checkCertificate: new PkiLayout(pki).leaf('lb', 'haproxy').certificate,
      adminSocket: join(dir, 'admin.sock'),
      signInRate: { requests: 3, periodSeconds: 10 },
    });
    const configPath = join(dir, 'haproxy.cfg');
    writeFileSync(configPath, config);
    haproxy = spawn('haproxy', ['-db', '-f', configPath], { stdio: 'ignore' });
    await waitForPort('127.0.0.1', httpsPort, 10_000);
  }, 30_000);

  afterAll(async () => {
    if (haproxy && haproxy.exitCode === null) {
      const exited = new Promise((resolve) => haproxy.once('exit', resolve));
      haproxy.kill('SIGTERM');
      await exited;
    }
    await new Promise((resolve) => gateway?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  function send(method: string, path: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: httpsPort, method, path, ca, servername: 'localhost', agent: false },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              retryAfter: res.headers['retry-after'],
              body,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(method === 'POST' ? '{}' : undefined);
    });
  }

  it('lets 3 sign-ins per 10 s from one address through, then answers 429 with Retry-After itself', async () => {
    const answers: Answer[] = [];
    for (const path of ['/api/users/login', '/API/Users/Login/', '/api/users/password', '/api/users/login'])
      answers.push(await send('POST', path));
    expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401, 429]);
    expect(answers[3]).toEqual({
      status: 429,
      retryAfter: '10',
      body: '{"statusCode":429,"error":"Too Many Requests","message":"Too many sign-in requests from this address; try again shortly"}',
    });
    expect(reachedGateway.filter((line) => line.startsWith('POST'))).toHaveLength(3);

    // Other routes are not limited, nor counted.
    expect((await send('GET', '/api/users/me')).status).toBe(200);
    expect((await send('POST', '/api/projects')).status).toBe(401);
  });
});
