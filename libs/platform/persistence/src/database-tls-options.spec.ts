import { createDataSource } from './data-source.factory';
import {
  pgSslOptions,
  refuseLoginWithoutTls,
  tediousTlsOptions,
  withoutPgTlsParams,
} from './database-tls-options';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const parts = { entities: [], applicationName: 'spec' };

describe('database TLS options handed to the drivers', () => {
  it('pg: no TLS when off, unchecked TLS for require, and CA plus host name checks for verify', () => {
    expect(pgSslOptions({ mode: 'off' })).toBe(false);
    expect(pgSslOptions({ mode: 'require' })).toEqual({ rejectUnauthorized: false });
    expect(pgSslOptions({ mode: 'verify' })).toEqual({ rejectUnauthorized: true });
    const named = pgSslOptions({ mode: 'verify', ca: CA, serverName: 'db.internal' });
    expect(named).toMatchObject({ rejectUnauthorized: true, ca: CA, servername: 'db.internal' });
  });

  it('pg with a server name checks the certificate against that name, whatever host the socket reached', () => {
    const options = pgSslOptions({ mode: 'verify', serverName: 'db.internal' });
    if (!options || !options.checkServerIdentity) throw new Error('no identity check');
    const certificate = { subject: { CN: 'db.internal' }, subjectaltname: 'DNS:db.internal' };
    const other = { subject: { CN: 'other' }, subjectaltname: 'DNS:other.example' };
    type Peer = Parameters<typeof options.checkServerIdentity>[1];
    expect(options.checkServerIdentity('10.0.0.5', certificate as Peer)).toBeUndefined();
    expect(options.checkServerIdentity('10.0.0.5', other as Peer)?.message).toContain('db.internal');
  });

  it('tedious: encrypt, trustServerCertificate only short of verify, the CA and server name for verify', () => {
    expect(tediousTlsOptions({ mode: 'off' })).toEqual({ encrypt: false, trustServerCertificate: true });
    expect(tediousTlsOptions({ mode: 'require' })).toEqual({ encrypt: true, trustServerCertificate: true });
    expect(tediousTlsOptions({ mode: 'verify', ca: CA, serverName: 'sql.internal' })).toEqual({
      encrypt: true,
      trustServerCertificate: false,
      cryptoCredentialsDetails: { ca: CA },
      serverName: 'sql.internal',
    });
  });

  it('drops the TLS parameters pg would otherwise act on, keeping the rest of the URL', () => {
    expect(withoutPgTlsParams('postgres://u:p@h:5432/db?sslmode=verify-full&application_name=x')).toBe(
      'postgres://u:p@h:5432/db?application_name=x',
    );
  });

  it('the PostgreSQL DataSource carries the settings, not the URL, once config read them', () => {
    const sut = createDataSource(
      {
        dialect: 'postgres',
        url: 'postgres://u:p@db:5432/f?sslmode=verify-full',
        tls: { mode: 'verify', ca: CA },
      },
      parts,
    );
    expect(sut.options).toMatchObject({
      url: 'postgres://u:p@db:5432/f',
      ssl: { rejectUnauthorized: true, ca: CA },
    });
  });

  it('the SQL Server DataSource carries the settings and refuses a login the server would take in clear', () => {
    const sut = createDataSource(
      { dialect: 'mssql', url: 'mssql://sa:pw@sql:1433/F', tls: { mode: 'verify', ca: CA } },
      parts,
    );
    expect(sut.options).toMatchObject({
      options: { encrypt: true, trustServerCertificate: false, cryptoCredentialsDetails: { ca: CA } },
    });
    expect((sut.options as { extra?: { beforeConnect?: unknown } }).extra?.beforeConnect).toBe(
      refuseLoginWithoutTls,
    );
    const plain = createDataSource(
      { dialect: 'mssql', url: 'mssql://sa:pw@sql:1433/F', tls: { mode: 'off' } },
      parts,
    );
    expect(plain.options).toMatchObject({ options: { encrypt: false } });
    expect((plain.options as { extra?: unknown }).extra).toBeUndefined();
  });
});
