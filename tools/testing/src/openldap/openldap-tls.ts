import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The name the server certificate carries (and only it: no IP address, so 127.0.0.1 does not verify). */
export const OPENLDAP_HOST_NAME = 'ldap.flotilla.test';

export interface OpenLdapTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A CA that signed nothing this server presents: a client trusting only it must refuse the server. */
  untrustedCaFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync('openssl', args, { cwd });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`openssl ${args[0]} failed: ${stderr ?? (error as Error).message}`);
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

async function selfSignedCa(dir: string, name: string, subject: string): Promise<void> {
  await openssl(
    [
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '7',
      '-subj',
      subject,
    ],
    dir,
  );
}

/**
 * A test CA, a server certificate it signs for OPENLDAP_HOST_NAME (serverAuth), and an unrelated
 * CA, all made with the openssl command in `dir`. P-256 keys: quick to make, and GnuTLS (Debian's
 * slapd) reads them.
 */
export async function createOpenLdapTls(dir: string): Promise<OpenLdapTlsFiles> {
  await selfSignedCa(dir, 'ca', '/CN=Flotilla OpenLDAP test CA');
  await selfSignedCa(dir, 'untrusted-ca', '/CN=Flotilla untrusted test CA');
  await openssl(
    ['req', ...EC_KEY, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${OPENLDAP_HOST_NAME}`],
    dir,
  );
  await writeFile(
    join(dir, 'server.ext'),
    [
      `subjectAltName=DNS:${OPENLDAP_HOST_NAME}`,
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '7',
      '-extfile',
      'server.ext',
    ],
    dir,
  );
  return {
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
    untrustedCaFile: join(dir, 'untrusted-ca.pem'),
  };
}
