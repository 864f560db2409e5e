import { X509Certificate } from 'node:crypto';
import { connect as connectHttp2 } from 'node:http2';
import { connect as connectTcp, isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';

import {
  ApiClient,
  Deployer,
  eventually,
  FlotillaCluster,
  setDraining,
  startFlotillaCluster,
  trustingFetch,
} from '@flotilla/testing';

interface NodePing {
  name: string;
  state: string;
  isDraining: boolean;
  overLicenceLimit: boolean;
  statusMessage: string;
}

async function ping(baseUrl: string): Promise<{ status: number; body: NodePing }> {
  const response = await fetch(`${baseUrl}/api/health/ping`);
  return { status: response.status, body: (await response.json()) as NodePing };
}

/** Server status per backend/server from HAProxy's CSV stats (`;csv` after the stats URI). */
async function haproxyStatus(cluster: FlotillaCluster): Promise<Map<string, string>> {
  const response = await fetch(`${cluster.statsUrl};csv`, {
    headers: { authorization: cluster.statsAuthorization },
  });
  const csv = await response.text();
  const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
  const columns = header.split(',');
  const column = (name: string) => columns.indexOf(name);
  return new Map(
    rows.map((row) => {
      const cells = row.split(',');
      return [`${cells[column('pxname')]}/${cells[column('svname')]}`, cells[column('status')]];
    }),
  );
}

/** Whether a TCP connection is accepted, or the error code it failed with (ECONNREFUSED...). */
function tcpReach(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port });
    socket.setTimeout(5000, () => socket.destroy(new Error('ETIMEDOUT')));
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

interface Handshake {
  authorized: boolean;
  authorizationError?: string;
  protocol: string | null;
  alpn: string | false | null;
}

/** One TLS handshake with users' frontend; `ca` undefined = Node's usual trust store only. */
function tlsHandshake(
  baseUrl: string,
  options: { ca?: string; maxVersion?: 'TLSv1.1'; servername?: string },
) {
  const url = new URL(baseUrl);
  return new Promise<Handshake | { error: string }>((resolve) => {
    const socket = connectTls({
      host: url.hostname,
      port: Number(url.port),
      // SNI carries names only; for an address the host itself is what the certificate must name.
      ...(options.servername && isIP(options.servername) === 0 ? { servername: options.servername } : {}),
      ca: options.ca,
      ALPNProtocols: ['h2', 'http/1.1'],
      rejectUnauthorized: false,
      // Old versions offered for real (OpenSSL 3 would otherwise refuse them itself), so only the
      // server's alert can end the handshake.
      ...(options.maxVersion
        ? { minVersion: 'TLSv1', maxVersion: options.maxVersion, ciphers: 'DEFAULT:@SECLEVEL=0' }
        : {}),
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('ETIMEDOUT')));
    socket.once('secureConnect', () => {
      resolve({
        authorized: socket.authorized,
        ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}),
        protocol: socket.getProtocol(),
        alpn: socket.alpnProtocol,
      });
      socket.destroy();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

/**
 * Reads a task's live log (server-sent events) over HTTP/2 through HAProxy, as a browser would,
 * until `event: complete`; resolves to the event names in order and the lines' messages.
 */
function streamLogOverHttp2(
  cluster: FlotillaCluster,
  token: string,
  taskId: string,
): Promise<{ contentType: string; events: string[]; messages: string[] }> {
  return new Promise((resolve, reject) => {
    const session = connectHttp2(cluster.baseUrl, { ca: cluster.publicCertificatePem });
    session.once('error', reject);
    const stream = session.request({
      ':path': `/api/tasks/${taskId}/log/stream`,
      authorization: `Bearer ${token}`,
      accept: 'text/event-stream',
    });
    let contentType = '';
    let text = '';
    const events: string[] = [];
    const messages: string[] = [];
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no complete event in 60 s; got ${JSON.stringify(text.slice(0, 500))}`));
    }, 60_000);
    stream.on('response', (headers) => (contentType = String(headers['content-type'])));
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      for (;;) {
        const end = text.indexOf('\n\n');
        if (end < 0) break;
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event) continue;
        events.push(event);
        if (event === 'line' && data) messages.push((JSON.parse(data) as { message: string }).message);
        if (event === 'complete') {
          clearTimeout(timer);
          session.close();
          resolve({ contentType, events, messages });
        }
      }
    });
    stream.once('error', reject);
  });
}

describe('local cluster behind real HAProxy', () => {
  let cluster: FlotillaCluster;
  let api: ApiClient;

  beforeAll(async () => {
    cluster = await startFlotillaCluster({
      nodes: 2,
      env: { FLOTILLA_HEARTBEAT_INTERVAL_MS: '1000', FLOTILLA_HEARTBEAT_TIMEOUT_MS: '6000' },
    });
    api = new ApiClient(cluster.baseUrl);
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('signs in and creates a project through HAProxy', async () => {
    await expect(api.login(cluster.adminUsername, cluster.adminPassword)).resolves.toMatchObject({
      status: 200,
    });
    await expect(api.post('/api/projects', { name: 'Through HAProxy' })).resolves.toMatchObject({
      status: 201,
    });
  });

  it('has every node answer its ping: 200, or 418 only when the licence keeps it out', async () => {
    const pings = await Promise.all(cluster.nodes.map((node) => ping(node.baseUrl)));
    expect(pings.filter((answer) => answer.status === 200).length).toBeGreaterThanOrEqual(1);
    for (const [index, answer] of pings.entries()) {
      expect(answer.body.name).toBe(cluster.nodes[index].name);
      if (answer.status !== 200) {
        expect(answer).toMatchObject({ status: 418, body: { overLicenceLimit: true } });
        expect(answer.body.statusMessage).toMatch(/licen/i);
      }
    }
  });

  it('drains a node: its ping turns 418, HAProxy takes it out, users are still served', async () => {
    const pings = await Promise.all(cluster.nodes.map((node) => ping(node.baseUrl)));
    // Without a licence only one node may serve; drain the other so users keep a gateway.
    const serving = pings.findIndex((answer) => answer.status === 200);
    const target = cluster.nodes[serving === 0 ? 1 : 0];
    const other = cluster.nodes[serving === 0 ? 0 : 1];
    await setDraining(cluster, target.name, true);
    try {
      await eventually(
        async () => {
          const answer = await ping(target.baseUrl);
          return answer.status === 418 && answer.body.isDraining ? answer : undefined;
        },
        5000,
        `${target.name} ping 418 draining`,
      );
      await eventually(
        async () => {
          const status = await haproxyStatus(cluster);
          return status.get(`gateways/${target.name}`)?.startsWith('DOWN') &&
            status.get(`gateways/${other.name}`) === 'UP'
            ? status
            : undefined;
        },
        10_000,
        `HAProxy marking ${target.name} DOWN`,
      );
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const projects = await api.get<{ items: { name: string }[] }>('/api/projects');
        expect(projects.status).toBe(200);
        expect(projects.body.items.map((project) => project.name)).toContain('Through HAProxy');
      }
    } finally {
      await setDraining(cluster, target.name, false);
    }
    await eventually(
      async () => ((await ping(target.baseUrl)).body.isDraining ? undefined : true),
      5000,
      `${target.name} no longer draining`,
    );
  });

  describe("users' transport", () => {
    it('serves HTTPS with a self-signed certificate for the loopback names, not one from the cluster CA', async () => {
      expect(cluster.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const certificate = new X509Certificate(cluster.publicCertificatePem);
      expect(certificate.issuer).toBe(certificate.subject);
      expect(certificate.verify(certificate.publicKey)).toBe(true);
      expect(certificate.subjectAltName).toMatch(/DNS:localhost.*IP Address:127\.0\.0\.1/);
      for (const servername of ['localhost', '127.0.0.1'])
        await expect(
          tlsHandshake(cluster.baseUrl, { ca: cluster.publicCertificatePem, servername }),
        ).resolves.toEqual({
          authorized: true,
          protocol: 'TLSv1.3',
          alpn: 'h2',
        });
      const answer = await trustingFetch(`${cluster.baseUrl}/api/health/ping`);
      expect(answer.status).toBe(200);
    });

    it('is refused by a client that does not trust the certificate', async () => {
      await expect(tlsHandshake(cluster.baseUrl, {})).resolves.toMatchObject({
        authorized: false,
        authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      });
      const refused = await fetch(`${cluster.baseUrl}/api/health/ping`).then(
        (response) => `HTTP ${response.status}`,
        (error: Error) => String((error.cause as NodeJS.ErrnoException | undefined)?.code ?? error.message),
      );
      expect(refused).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    });

    it('refuses TLS older than 1.2', async () => {
      const handshake = await tlsHandshake(cluster.baseUrl, {
        ca: cluster.publicCertificatePem,
        maxVersion: 'TLSv1.1',
      });
      // The server's "protocol version" alert, not a client-side refusal.
      expect(handshake).toEqual({ error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    });

    it("sends HSTS on HTTPS answers, its own and the gateways'", async () => {
      for (const path of ['/api/health/ping', '/api/projects']) {
        const answer = await trustingFetch(`${cluster.baseUrl}${path}`);
        await answer.arrayBuffer();
        expect({ path, hsts: answer.headers.get('strict-transport-security') }).toEqual({
          path,
          hsts: 'max-age=31536000',
        });
      }
    });

    it('answers plain HTTP with a 308 to the same path and query over HTTPS, for a POST too', async () => {
      expect(cluster.httpRedirectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      for (const method of ['GET', 'POST']) {
        const answer = await fetch(`${cluster.httpRedirectUrl}/api/users/login?from=plain&x=1`, {
          method,
          redirect: 'manual',
          ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
        });
        expect({ method, status: answer.status, location: answer.headers.get('location') }).toEqual({
          method,
          status: 308,
          location: `${cluster.baseUrl}/api/users/login?from=plain&x=1`,
        });
      }
    });

    it('binds the gRPC frontends and the stats page on the internal address only', async () => {
      const internal = [
        ...Object.values(cluster.grpcUrls).map((hostPort) => new URL(`tcp://${hostPort}`)),
        new URL(cluster.statsUrl),
      ];
      for (const url of internal) {
        expect(url.hostname).toBe('127.0.0.2');
        const port = Number(url.port);
        expect({
          port,
          internal: await tcpReach('127.0.0.2', port),
          public: await tcpReach('127.0.0.1', port),
        }).toEqual({
          port,
          internal: 'accepted',
          public: 'ECONNREFUSED',
        });
      }
    });

    it('serves the stats page only with its password', async () => {
      const basic = (user: string, password: string) =>
        `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      const statusWith = async (headers: Record<string, string>) => {
        const answer = await fetch(`${cluster.statsUrl};csv`, { headers });
        await answer.arrayBuffer();
        return answer.status;
      };
      expect(await statusWith({})).toBe(401);
      expect(await statusWith({ authorization: basic(cluster.statsUsername, 'not-the-password') })).toBe(401);
      expect(await statusWith({ authorization: cluster.statsAuthorization })).toBe(200);
      expect(cluster.statsPassword.length).toBeGreaterThanOrEqual(20);
    });

    it("streams a task's live log (server-sent events) to an HTTP/2 client through HAProxy", async () => {
      const deployer = new Deployer(api);
      const [environment] = await deployer.environments(1, `SSE ${Date.now()}`);
      const release = await deployer.release(
        'echo "first line over h2"; sleep 2; echo "second line over h2"',
        false,
      );
      const taskId = await deployer.deploy(release, environment);
      const login = await api.login(cluster.adminUsername, cluster.adminPassword);
      const streamed = await streamLogOverHttp2(cluster, login.body.token, taskId);
      expect(streamed.contentType).toMatch(/^text\/event-stream/);
      expect(streamed.messages).toEqual(
        expect.arrayContaining(['first line over h2', 'second line over h2']),
      );
      expect(streamed.events.at(-1)).toBe('complete');
    }, 90_000);
  });
});
