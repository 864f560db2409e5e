import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ConfigError } from './env-reader';
import { loadFlotillaConfig } from './flotilla-config';

const PG = 'postgres://u:p@db.example:5432/flotilla';
const MSSQL = 'mssql://sa:pw@sql.example:1433/Flotilla';

function tlsOf(env: Record<string, string>) {
  return loadFlotillaConfig(env).database.tls;
}

function problemsOf(env: Record<string, string>): string {
  try {
    loadFlotillaConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('database TLS settings (FLOTILLA_DB_TLS, FLOTILLA_DB_TLS_CA_FILE, FLOTILLA_DB_TLS_SERVER_NAME)', () => {
  let dir: string;
  let caFile: string;
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-db-tls-'));
    caFile = join(dir, 'db-ca.pem');
    writeFileSync(caFile, pem);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('said nowhere: undefined, so pg and tedious keep their own defaults as before', () => {
    expect(tlsOf({ FLOTILLA_DB_URL: PG })).toBeUndefined();
    expect(tlsOf({ FLOTILLA_DB_DIALECT: 'mssql', FLOTILLA_DB_URL: MSSQL })).toBeUndefined();
  });

  it('a CA file alone means verify for SQL Server (its default) and is refused for PostgreSQL (off)', () => {
    expect(
      tlsOf({ FLOTILLA_DB_DIALECT: 'mssql', FLOTILLA_DB_URL: MSSQL, FLOTILLA_DB_TLS_CA_FILE: caFile }),
    ).toEqual({ mode: 'verify', ca: pem });
    expect(problemsOf({ FLOTILLA_DB_URL: PG, FLOTILLA_DB_TLS_CA_FILE: caFile })).toContain(
      'FLOTILLA_DB_TLS_CA_FILE is set but database TLS is off',
    );
  });

  it('verify reads the CA file and the server name', () => {
    expect(
      tlsOf({
        FLOTILLA_DB_URL: PG,
        FLOTILLA_DB_TLS: 'verify',
        FLOTILLA_DB_TLS_CA_FILE: caFile,
        FLOTILLA_DB_TLS_SERVER_NAME: 'db.internal',
      }),
    ).toEqual({ mode: 'verify', ca: pem, serverName: 'db.internal' });
  });

  it('takes the mode from the URL: sslmode for PostgreSQL, encrypt / trustServerCertificate for SQL Server', () => {
    expect(tlsOf({ FLOTILLA_DB_URL: `${PG}?sslmode=verify-full` })).toEqual({ mode: 'verify' });
    expect(tlsOf({ FLOTILLA_DB_URL: `${PG}?sslmode=require` })).toEqual({ mode: 'require' });
    expect(tlsOf({ FLOTILLA_DB_URL: `${PG}?sslmode=disable` })).toEqual({ mode: 'off' });
    const mssql = (query: string) =>
      tlsOf({ FLOTILLA_DB_DIALECT: 'mssql', FLOTILLA_DB_URL: `${MSSQL}?${query}` });
    expect(mssql('encrypt=false&trustServerCertificate=true')).toEqual({ mode: 'off' });
    expect(mssql('encrypt=true&trustServerCertificate=true')).toEqual({ mode: 'require' });
    expect(mssql('encrypt=true')).toEqual({ mode: 'verify' });
  });

  it('accepts the URL and the setting when they agree, and refuses a contradiction naming both', () => {
    expect(tlsOf({ FLOTILLA_DB_URL: `${PG}?sslmode=verify-full`, FLOTILLA_DB_TLS: 'verify' })).toEqual({
      mode: 'verify',
    });
    expect(problemsOf({ FLOTILLA_DB_URL: `${PG}?sslmode=disable`, FLOTILLA_DB_TLS: 'verify' })).toBe(
      'FLOTILLA_DB_TLS=verify contradicts FLOTILLA_DB_URL (sslmode=disable means off): make them agree or drop one',
    );
    expect(
      problemsOf({
        FLOTILLA_DB_DIALECT: 'mssql',
        FLOTILLA_DB_URL: `${MSSQL}?trustServerCertificate=true`,
        FLOTILLA_DB_TLS: 'verify',
      }),
    ).toContain(
      'FLOTILLA_DB_TLS=verify contradicts FLOTILLA_DB_URL (trustServerCertificate=true means require)',
    );
  });

  it('refuses the sslmodes Flotilla does not honour, and TLS parameters that have a setting instead', () => {
    expect(problemsOf({ FLOTILLA_DB_URL: `${PG}?sslmode=prefer` })).toContain(
      'never falls back to plain text',
    );
    expect(problemsOf({ FLOTILLA_DB_URL: `${PG}?sslmode=verify-ca` })).toContain(
      'always checks the host name',
    );
    expect(problemsOf({ FLOTILLA_DB_URL: `${PG}?sslmode=bogus` })).toContain('unknown sslmode "bogus"');
    expect(problemsOf({ FLOTILLA_DB_URL: `${PG}?sslrootcert=/etc/ca.pem` })).toContain(
      'use FLOTILLA_DB_TLS_CA_FILE',
    );
  });

  it('names an unknown mode, a missing or non-PEM CA file, and a CA or name that nothing would check', () => {
    expect(problemsOf({ FLOTILLA_DB_URL: PG, FLOTILLA_DB_TLS: 'on' })).toBe(
      'FLOTILLA_DB_TLS must be one of off, require, verify (got "on")',
    );
    expect(
      problemsOf({
        FLOTILLA_DB_URL: PG,
        FLOTILLA_DB_TLS: 'verify',
        FLOTILLA_DB_TLS_CA_FILE: join(dir, 'gone.pem'),
      }),
    ).toMatch(/^FLOTILLA_DB_TLS_CA_FILE cannot be read: ENOENT/);
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(
      problemsOf({ FLOTILLA_DB_URL: PG, FLOTILLA_DB_TLS: 'verify', FLOTILLA_DB_TLS_CA_FILE: notPem }),
    ).toBe(`FLOTILLA_DB_TLS_CA_FILE (${notPem}) holds no PEM certificate`);
    expect(
      problemsOf({ FLOTILLA_DB_URL: PG, FLOTILLA_DB_TLS: 'require', FLOTILLA_DB_TLS_CA_FILE: caFile }),
    ).toBe(
      'FLOTILLA_DB_TLS_CA_FILE is set but database TLS is require, which checks no certificate: use FLOTILLA_DB_TLS=verify',
    );
    expect(problemsOf({ FLOTILLA_DB_URL: PG, FLOTILLA_DB_TLS_SERVER_NAME: 'db.internal' })).toContain(
      'FLOTILLA_DB_TLS_SERVER_NAME is set but database TLS is off',
    );
  });
});
