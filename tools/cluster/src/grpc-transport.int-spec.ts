import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  ChannelCredentials,
  Client,
  credentials,
  Server,
  ServerUnaryCall,
  ServiceDefinition,
  ServiceError,
  status,
} from '@grpc/grpc-js';

import {
  clientCredentials,
  peerIdentityFromCertificate,
  PeerIdentity,
  serverCredentials,
  ServiceCertificate,
  serviceCertificate,
  targetNameOptions,
} from '@flotilla/platform/grpc';
import { freePorts } from '@flotilla/platform/net';
import {
  beginCaRotation,
  ensureClusterPki,
  finishCaRotation,
  PkiLayout,
  reissueLeaves,
} from '@flotilla/platform/pki';

import { ensurePublicTlsCertificate } from './haproxy-config-public-certificate';
import { GRPC_SERVICES, readHaproxyTemplate, renderHaproxyConfig } from './haproxy-config';
import { HaproxyProcess, startHaproxy } from './haproxy-process';

/**
 * The gRPC transport against hostile and mistaken peers, with real sockets: a grpc-js server set up
 * exactly as the services are (serverCredentials: mutual TLS, the trust bundle, files watched), and
 * clients that are plaintext, certificate-less, from another CA, or talking to the wrong service —
 * directly and through HAProxy as the cluster renders it (TCP pass-through). Each PKI is this
 * spec's own, so rotating its CA disturbs no other test.
 */
const same = (value: Buffer): Buffer => value;
const WHO: ServiceDefinition = {
  Who: {
    path: '/flotilla.test.Transport/Who',
    requestStream: false,
    responseStream: false,
    requestSerialize: same,
    requestDeserialize: same,
    responseSerialize: same,
    responseDeserialize: same,
  },
};

interface Outcome {
  peer?: PeerIdentity;
  code?: status;
}

/** A server whose one method answers with the caller identity its TLS session proved. */
async function serve(certificate: ServiceCertificate, port: number): Promise<Server> {
  const server = new Server();
  server.addService(WHO, {
    Who: (call: ServerUnaryCall<Buffer, Buffer>, callback: (error: null, value: Buffer) => void) => {
      const peer = peerIdentityFromCertificate(call.getAuthContext().sslPeerCertificate);
      callback(null, Buffer.from(JSON.stringify(peer ?? null)));
    },
  });
  await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, serverCredentials(certificate), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return server;
}

async function callWho(url: string, channel: ChannelCredentials, target = 'auth'): Promise<Outcome> {
  const client = new Client(url, channel, {
    ...targetNameOptions(target),
    // A fresh connection per attempt, so one case's session never serves the next.
    'grpc.use_local_subchannel_pool': 1,
  });
  try {
    return await new Promise<Outcome>((resolve) =>
      client.makeUnaryRequest(
        '/flotilla.test.Transport/Who',
        same,
        same,
        Buffer.from('who'),
        { deadline: Date.now() + 5000 },
        (error: ServiceError | null, value?: Buffer) =>
          resolve(error ? { code: error.code } : { peer: JSON.parse(String(value)) as PeerIdentity }),
      ),
    );
  } finally {
    client.close();
  }
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('gRPC transport: mutual TLS against hostile and mistaken peers', () => {
  let dir: string;
  let pki: string;
  let strangerPki: string;
  let server: Server;
  let wrongService: Server;
  let haproxy: HaproxyProcess;
  let direct: string;
  let wrongServiceUrl: string;
  let throughHaproxy: string;
  const certificate = (identity: string, options: { node?: string; pkiDir?: string } = {}) =>
    serviceCertificate(identity, { node: 'n1', pkiDir: pki, ...options });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-transport-'));
    pki = join(dir, 'pki');
    strangerPki = join(dir, 'stranger-pki');
    await ensureClusterPki(pki, ['n1'], ['auth', 'audit', 'gateway', 'haproxy']);
    // A complete, valid PKI of its own (the same names, another CA), whose client trusts the real
    // CA (its certificate is public), so only the server can be the one refusing.
    await ensureClusterPki(strangerPki, ['n1'], ['gateway']);
    copyFileSync(new PkiLayout(pki).trustBundle, new PkiLayout(strangerPki).trustBundle);
    const [serverPort, wrongPort, httpPort, httpsPort, statsPort, ...grpcPorts] = await freePorts(
      5 + GRPC_SERVICES.length,
    );
    server = await serve(certificate('auth'), serverPort);
    wrongService = await serve(certificate('audit'), wrongPort);
    direct = `127.0.0.1:${serverPort}`;
    wrongServiceUrl = `127.0.0.1:${wrongPort}`;
    const frontends = Object.fromEntries(GRPC_SERVICES.map((service, index) => [service, grpcPorts[index]]));
    const backends = Object.fromEntries(GRPC_SERVICES.map((service) => [service, serverPort]));
    const config = renderHaproxyConfig(readHaproxyTemplate(), {
      publicBindHost: '127.0.0.1',
      internalBindHost: '127.0.0.2',
      httpPort: httpPort,
      httpsPort,
      publicTlsCertificate: (await ensurePublicTlsCertificate(join(dir, 'public-tls'), {})).bundlePath,
      statsPort: statsPort,
      stats: { username: 'admin', password: 'transport-spec-stats' },
      grpcPorts: frontends as Record<(typeof GRPC_SERVICES)[number], number>,
      nodes: [
        {
          name: 'n1',
          host: '127.0.0.1',
          httpPort: httpPort,
          grpcPorts: backends as Record<(typeof GRPC_SERVICES)[number], number>,
        },
      ],
      checkCertificate: new PkiLayout(pki).leaf('n1', 'haproxy').certificate,
      adminSocket: join(dir, 'haproxy.sock'),
    });
    // startHaproxy waits for a port on 127.0.0.1, users' address: the plain HTTP frontend's.
    haproxy = await startHaproxy(join(dir, 'haproxy.cfg'), config, httpPort, () => undefined);
    throughHaproxy = `127.0.0.2:${frontends['auth']}`;
    // HAProxy starts its servers UP and checks them every second; wait for a call to pass.
    await eventually(
      async () =>
        (await callWho(throughHaproxy, clientCredentials(certificate('gateway')))).peer !== undefined,
    );
  }, 30_000);

  afterAll(async () => {
    await haproxy?.stop();
    server?.forceShutdown();
    wrongService?.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  describe.each([
    ['directly', () => direct],
    ['through HAProxy', () => throughHaproxy],
  ])('%s', (_how, url) => {
    it('serves a client holding a certificate of the cluster CA, and sees that client (not HAProxy) as the caller', async () => {
      await expect(callWho(url(), clientCredentials(certificate('gateway')))).resolves.toEqual({
        peer: { service: 'gateway', node: 'n1' },
      });
    });

    it('refuses a plaintext client', async () => {
      await expect(callWho(url(), credentials.createInsecure())).resolves.toEqual({
        code: status.UNAVAILABLE,
      });
    });

    it('refuses a TLS client that presents no certificate', async () => {
      const layout = new PkiLayout(pki);
      const { readFileSync } = await import('node:fs');
      const anonymous = credentials.createSsl(readFileSync(layout.trustBundle));
      await expect(callWho(url(), anonymous)).resolves.toEqual({ code: status.UNAVAILABLE });
    });

    it('refuses a client certificate from another CA, names and all', async () => {
      const stranger = clientCredentials(certificate('gateway', { pkiDir: strangerPki }));
      await expect(callWho(url(), stranger)).resolves.toEqual({ code: status.UNAVAILABLE });
    });
  });

  it('a client refuses a server holding the certificate of another service', async () => {
    await expect(
      callWho(wrongServiceUrl, clientCredentials(certificate('gateway')), 'auth'),
    ).resolves.toEqual({
      code: status.UNAVAILABLE,
    });
    // The same server is fine for a client that wants that service.
    await expect(
      callWho(wrongServiceUrl, clientCredentials(certificate('gateway')), 'audit'),
    ).resolves.toMatchObject({
      peer: { service: 'gateway' },
    });
  });

  it('follows a CA rotation without a restart: new certificates are trusted at once, old ones refused once it ends', async () => {
    // Before: a certificate of the old CA, kept aside to try again after the rotation.
    const { readFileSync, writeFileSync, mkdirSync } = await import('node:fs');
    const layout = new PkiLayout(pki);
    const oldClient = join(dir, 'old-client');
    mkdirSync(join(oldClient, 'services', 'n1'), { recursive: true });
    for (const file of ['gateway.crt', 'gateway.key'])
      writeFileSync(
        join(oldClient, 'services', 'n1', file),
        readFileSync(join(layout.nodeFolder('n1'), file)),
      );

    await beginCaRotation(pki);
    // It trusts both CAs, as every process does during the rollover: after it, only the server refuses.
    writeFileSync(join(oldClient, 'trust-bundle.pem'), readFileSync(layout.trustBundle));
    await reissueLeaves(pki);
    // The server reloads its trust bundle and certificate (FLOTILLA_PKI_REFRESH_MS in tests): the
    // new client certificate passes, and so does the old one while both CAs are trusted.
    const newClientPki = join(dir, 'new-client');
    mkdirSync(join(newClientPki, 'services', 'n1'), { recursive: true });
    for (const file of ['gateway.crt', 'gateway.key'])
      writeFileSync(
        join(newClientPki, 'services', 'n1', file),
        readFileSync(join(layout.nodeFolder('n1'), file)),
      );
    writeFileSync(join(newClientPki, 'trust-bundle.pem'), readFileSync(layout.trustBundle));
    await eventually(
      async () =>
        (await callWho(direct, clientCredentials(certificate('gateway', { pkiDir: newClientPki })))).peer !==
        undefined,
    );
    await expect(
      callWho(direct, clientCredentials(certificate('gateway', { pkiDir: oldClient }))),
    ).resolves.toMatchObject({
      peer: { service: 'gateway' },
    });

    await finishCaRotation(pki);
    await eventually(
      async () =>
        (await callWho(direct, clientCredentials(certificate('gateway', { pkiDir: oldClient })))).code ===
        status.UNAVAILABLE,
    );
    await expect(
      callWho(direct, clientCredentials(certificate('gateway', { pkiDir: newClientPki }))),
    ).resolves.toMatchObject({
      peer: { service: 'gateway' },
    });
  }, 30_000);
});
