import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  ensurePublicTlsCertificate,
  PUBLIC_TLS_CERT_ENV,
  PUBLIC_TLS_NAMES_ENV,
} from './haproxy-config-public-certificate';

describe(ensurePublicTlsCertificate.name, () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'flotilla-public-tls-'));
  });

  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('makes a self-signed ECDSA P-256 server certificate for the loopback names and the configured ones, key 0600', async () => {
    const made = await ensurePublicTlsCertificate(join(folder, 'tls'), {
      [PUBLIC_TLS_NAMES_ENV]: 'deploy.example.com, 10.1.2.3',
    });
    expect(made).toMatchObject({ selfSigned: true, created: true });
    const certificate = new X509Certificate(made.certificatePem);
    expect(certificate.subjectAltName?.split(', ')).toEqual([
      'DNS:localhost',
      'IP Address:127.0.0.1',
      'IP Address:0:0:0:0:0:0:0:1',
      'DNS:deploy.example.com',
      'IP Address:10.1.2.3',
    ]);
    expect(certificate.issuer).toBe(certificate.subject);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.ca).toBe(false);
    expect(certificate.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    expect(made.certificatePem).not.toMatch(/PRIVATE KEY/);
    expect(readFileSync(made.bundlePath, 'utf8')).toMatch(/BEGIN CERTIFICATE[\s\S]+BEGIN PRIVATE KEY/);
    expect(statSync(made.bundlePath).mode & 0o777).toBe(0o600);
  });

  it('keeps the certificate across starts, and makes another when a configured name is new', async () => {
    const first = await ensurePublicTlsCertificate(folder, {});
    const again = await ensurePublicTlsCertificate(folder, {});
    expect(again).toMatchObject({ created: false, certificatePem: first.certificatePem });
    const renamed = await ensurePublicTlsCertificate(folder, {
      [PUBLIC_TLS_NAMES_ENV]: 'deploy.example.com',
    });
    expect(renamed.created).toBe(true);
    expect(new X509Certificate(renamed.certificatePem).checkHost('deploy.example.com')).toBe(
      'deploy.example.com',
    );
  });

  it('uses the configured certificate file as it is, handing out its certificates and never its key', async () => {
    const made = await ensurePublicTlsCertificate(join(folder, 'elsewhere'), {});
    const configured = join(folder, 'configured.pem');
    writeFileSync(configured, readFileSync(made.bundlePath));
    const used = await ensurePublicTlsCertificate(join(folder, 'unused'), {
      [PUBLIC_TLS_CERT_ENV]: configured,
    });
    expect(used).toEqual({
      bundlePath: configured,
      certificatePem: made.certificatePem,
      certificatePath: configured,
      selfSigned: false,
      created: false,
    });
  });

  it('refuses a configured file without a private key, naming the setting', async () => {
    const made = await ensurePublicTlsCertificate(join(folder, 'elsewhere'), {});
    const configured = join(folder, 'certificate-only.pem');
    writeFileSync(configured, made.certificatePem);
    await expect(
      ensurePublicTlsCertificate(join(folder, 'unused'), { [PUBLIC_TLS_CERT_ENV]: configured }),
    ).rejects.toThrow(`${PUBLIC_TLS_CERT_ENV}=${configured} must be one PEM file`);
  });
});
