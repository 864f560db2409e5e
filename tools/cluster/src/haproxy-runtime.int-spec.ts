import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, Server, TLSSocket } from 'node:tls';

import { freePorts } from '@flotilla/platform/net';
import {
  beginCaRotation,
  ensureClusterPki,
  haproxyCertificateNames,
  PkiLayout,
  reissueLeaves,
  swapHaproxyCertificate,
} from '@flotilla/platform/pki';

import { HaproxyProcess, startHaproxy } from './haproxy-process';
import { checkCertificateSwapOf } from './haproxy-runtime';

const serialOf = (pem: string): string => new X509Certificate(pem).serialNumber.toUpperCase();

/**
 * HAProxy's check certificate swapped in memory through its runtime API, against a real HAProxy
 * (the installed one, 2.6 in CI) whose server checks present `crt` to a TLS server that records the
 * certificate of every connection: after a CA rotation reissues the file, the checks present the
 * new certificate without a reload. The config is this spec's own, in the shape haproxy-config.ts
 * renders for the gRPC servers (check-ssl, crt <pki>/services/<node>/haproxy.crt, key beside it).
 */
describe('HAProxy runtime API: swapping the check certificate', () => {
  let dir: string;
  let pki: string;
  let haproxy: HaproxyProcess;
  let checked: Server;
  /** Serial of the client certificate of every handshake the checks made, in order. */
  const presented: string[] = [];
  let config: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-haproxy-runtime-'));
    pki = join(dir, 'pki');
    await ensureClusterPki(pki, ['load-balancer', 'n1'], ['haproxy', 'auth']);
    const layout = new PkiLayout(pki);
    const [serverPort, frontendPort, statsPort] = await freePorts(3);
    const auth = layout.leaf('n1', 'auth');
    checked = createServer(
      {
        cert: readFileSync(auth.certificate),
        key: readFileSync(auth.privateKey),
        requestCert: true,
        rejectUnauthorized: false,
      },
      (socket: TLSSocket) => {
        const certificate = socket.getPeerX509Certificate();
        if (certificate) presented.push(certificate.serialNumber.toUpperCase());
        socket.end();
      },
    );
    await new Promise<void>((resolve) => checked.listen(serverPort, '127.0.0.1', resolve));
    const checkCertificate = layout.leaf('load-balancer', 'haproxy').certificate;
    config = [
      'global',
      '    ssl-load-extra-del-ext',
      `    stats socket ${join(dir, 'admin.sock')} mode 600 level admin`,
      'defaults',
      '    mode tcp',
      '    timeout connect 2s',
      '    timeout client 10s',
      '    timeout server 10s',
      'listen stats',
      '    mode http',
      `    bind 127.0.0.1:${statsPort}`,
      '    stats enable',
      '    stats uri /stats',
      'frontend grpc_auth',
      `    bind 127.0.0.1:${frontendPort}`,
      '    default_backend grpc_auth_servers',
      'backend grpc_auth_servers',
      `    server n1 127.0.0.1:${serverPort} check inter 300ms check-ssl verify none crt ${checkCertificate} on-marked-down shutdown-sessions`,
      '',
    ].join('\n');
    haproxy = await startHaproxy(join(dir, 'haproxy.cfg'), config, statsPort, () => undefined);
  }, 30_000);

  afterAll(async () => {
    await haproxy?.stop();
    await new Promise((resolve) => checked?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const waitForChecksPresenting = async (serial: string): Promise<void> => {
    const from = presented.length;
    const deadline = Date.now() + 10_000;
    while (!presented.slice(from).includes(serial)) {
      if (Date.now() > deadline)
        throw new Error(
          `no check presented ${serial} in 10 s; they presented ${presented.slice(from).join(', ')}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('finds the admin socket and the check certificate in the config', () => {
    const layout = new PkiLayout(pki);
    expect(checkCertificateSwapOf(config)).toEqual({
      adminSocket: join(dir, 'admin.sock'),
      certificate: layout.leaf('load-balancer', 'haproxy').certificate,
      privateKey: layout.leaf('load-balancer', 'haproxy').privateKey,
    });
  });

  it('makes the checks present the reissued certificate, no reload', async () => {
    const layout = new PkiLayout(pki);
    const leaf = layout.leaf('load-balancer', 'haproxy');
    const before = serialOf(readFileSync(leaf.certificate, 'utf8'));
    await waitForChecksPresenting(before);

    await beginCaRotation(pki);
    await reissueLeaves(pki);
    const after = serialOf(readFileSync(leaf.certificate, 'utf8'));
    expect(after).not.toBe(before);
    // On disk only: HAProxy still presents what it read at start.
    await waitForChecksPresenting(before);

    const swapped = await haproxy.reloadCheckCertificate();
    expect(swapped).toMatchObject({ name: leaf.certificate, serial: after.replace(/^0+/, '') });
    await waitForChecksPresenting(after);
    // Once a check presented the new one, none presents the old one again.
    const from = presented.lastIndexOf(after);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(presented.slice(from).filter((serial) => serial !== after)).toEqual([]);
    // Committed: no transaction left open.
    expect(await haproxyCertificateNames(join(dir, 'admin.sock'))).toEqual([leaf.certificate]);
  });

  it('refuses a key that does not match the certificate and keeps the one in use', async () => {
    const layout = new PkiLayout(pki);
    const leaf = layout.leaf('load-balancer', 'haproxy');
    const inUse = serialOf(readFileSync(leaf.certificate, 'utf8'));
    await expect(
      swapHaproxyCertificate(
        join(dir, 'admin.sock'),
        leaf.certificate,
        readFileSync(leaf.certificate, 'utf8'),
        readFileSync(layout.leaf('n1', 'auth').privateKey, 'utf8'),
      ),
    ).rejects.toThrow(`kept its certificate ${leaf.certificate}`);
    await waitForChecksPresenting(inUse);
    expect(await haproxyCertificateNames(join(dir, 'admin.sock'))).toEqual([leaf.certificate]);
  });
});
