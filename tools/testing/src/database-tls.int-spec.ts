import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';

import {
  DatabaseConfig,
  FlotillaConfigModule,
  loadFlotillaConfig,
  SqlDialect,
} from '@flotilla/platform/config';
import { createDataSource, DatabaseModule } from '@flotilla/platform/persistence';

import { findBabelfishTarball, startBabelfish, StartedBabelfish } from './babelfish-server';

import {
  createDatabaseTestCa,
  DatabaseTestCa,
  issueDatabaseServerCertificate,
} from './database-tls-certificates';
import { startTlsPostgres, TlsPostgres } from './database-tls-postgres';

/** The database part of the configuration a service would load from this environment. */
function databaseConfig(env: Record<string, string>, dialect: SqlDialect = 'postgres'): DatabaseConfig {
  return loadFlotillaConfig({ FLOTILLA_DB_DIALECT: dialect, ...env }).database;
}

/** What the server itself says about the session's encryption, per dialect. */
const ENCRYPTION_QUERY: Record<SqlDialect, string> = {
  postgres: 'SELECT ssl AS encrypted FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
  // Babelfish answers SQL Server's view too: 'TRUE' when the TDS session runs inside TLS.
  mssql: 'SELECT encrypt_option AS encrypted FROM sys.dm_exec_connections WHERE session_id = @@SPID',
};

/** Connects as a service would (createDataSource), answers whether the server sees the session encrypted. */
async function sessionIsEncrypted(database: DatabaseConfig): Promise<boolean> {
  const dataSource = createDataSource(database, {
    entities: [],
    applicationName: 'flotilla-test-db-tls',
    poolSize: 1,
  });
  await dataSource.initialize();
  try {
    const rows: Array<{ encrypted: boolean | string }> = await dataSource.query(
      ENCRYPTION_QUERY[database.dialect],
    );
    const encrypted = rows[0]?.encrypted;
    return encrypted === true || encrypted === 'TRUE';
  } finally {
    await dataSource.destroy();
  }
}

/** The error a connection attempt ends with (fails the test when it connects). */
async function refusal(database: DatabaseConfig): Promise<string> {
  const outcome = await sessionIsEncrypted(database).then(
    (encrypted) => `connected (encrypted: ${encrypted})`,
    (error: unknown) => error,
  );
  if (typeof outcome === 'string') throw new Error(`expected a refusal, but ${outcome}`);
  return String(outcome);
}

/** What a service's process holds: the config from its environment, and DatabaseModule's DataSource. */
@Module({
  imports: [FlotillaConfigModule, DatabaseModule.register({ applicationName: 'db-tls-spec', entities: [] })],
})
class ServiceDatabaseModule {}

/** Runs `body` with these variables in process.env (where FlotillaConfigModule reads), then restores them. */
async function withEnvironment<T>(env: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    return await body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe('database TLS against a real PostgreSQL with ssl=on and hostssl only', () => {
  let dir: string;
  let ca: DatabaseTestCa;
  let caFile: string;
  let otherCaFile: string;
  let server: TlsPostgres;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-db-tls-spec-'));
    ca = await createDatabaseTestCa('Database test CA');
    const otherCa = await createDatabaseTestCa('Some other CA');
    caFile = join(dir, 'db-ca.pem');
    otherCaFile = join(dir, 'other-ca.pem');
    await writeFile(caFile, ca.certificatePem);
    await writeFile(otherCaFile, otherCa.certificatePem);
    server = await startTlsPostgres(await issueDatabaseServerCertificate(ca));
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('verify with the CA that signed the server connects, and the session is encrypted', async () => {
    const database = databaseConfig({
      FLOTILLA_DB_URL: server.url,
      FLOTILLA_DB_TLS: 'verify',
      FLOTILLA_DB_TLS_CA_FILE: caFile,
    });
    await expect(sessionIsEncrypted(database)).resolves.toBe(true);
  });

  it('verify by IP with FLOTILLA_DB_TLS_SERVER_NAME checks that name, and sslmode=verify-full in the URL works too', async () => {
    await expect(
      sessionIsEncrypted(
        databaseConfig({
          FLOTILLA_DB_URL: `${server.url}?sslmode=verify-full`,
          FLOTILLA_DB_TLS_CA_FILE: caFile,
          FLOTILLA_DB_TLS_SERVER_NAME: 'db.flotilla.test',
        }),
      ),
    ).resolves.toBe(true);
  });

  it('verify refuses a server whose certificate another CA signed', async () => {
    const error = await refusal(
      databaseConfig({
        FLOTILLA_DB_URL: server.url,
        FLOTILLA_DB_TLS: 'verify',
        FLOTILLA_DB_TLS_CA_FILE: otherCaFile,
      }),
    );
    expect(error).toMatch(/unable to verify the first certificate|unable to get local issuer certificate/);
  });

  it("verify without a CA file (Node's public roots) refuses the test CA's server", async () => {
    const error = await refusal(databaseConfig({ FLOTILLA_DB_URL: server.url, FLOTILLA_DB_TLS: 'verify' }));
    expect(error).toMatch(/unable to verify the first certificate|unable to get local issuer certificate/);
  });

  it('verify refuses a certificate that does not name the host expected', async () => {
    const error = await refusal(
      databaseConfig({
        FLOTILLA_DB_URL: server.url,
        FLOTILLA_DB_TLS: 'verify',
        FLOTILLA_DB_TLS_CA_FILE: caFile,
        FLOTILLA_DB_TLS_SERVER_NAME: 'other.flotilla.test',
      }),
    );
    expect(error).toContain("Host: other.flotilla.test. is not in the cert's altnames");
  });

  it('require connects encrypted without checking the certificate', async () => {
    await expect(
      sessionIsEncrypted(databaseConfig({ FLOTILLA_DB_URL: server.url, FLOTILLA_DB_TLS: 'require' })),
    ).resolves.toBe(true);
  });

  it("a service's DatabaseModule takes the settings from its environment and holds an encrypted session", async () => {
    const encrypted = await withEnvironment(
      {
        FLOTILLA_DB_DIALECT: 'postgres',
        FLOTILLA_DB_URL: server.url,
        FLOTILLA_DB_TLS: 'verify',
        FLOTILLA_DB_TLS_CA_FILE: caFile,
      },
      async () => {
        const app = await NestFactory.createApplicationContext(ServiceDatabaseModule, { logger: false });
        try {
          const rows: Array<{ ssl: boolean }> = await app
            .get(DataSource)
            .query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
          return rows[0]?.ssl;
        } finally {
          await app.close();
        }
      },
    );
    expect(encrypted).toBe(true);
  });

  it('off is refused by a server that takes TLS connections only', async () => {
    const error = await refusal(databaseConfig({ FLOTILLA_DB_URL: server.url, FLOTILLA_DB_TLS: 'off' }));
    expect(error).toMatch(/no pg_hba\.conf entry for host "127\.0\.0\.1".*no encryption/);
  });
});

/**
 * Babelfish is PostgreSQL underneath: with `ssl=on` and `babelfishpg_tds.tds_ssl_encrypt=on` its TDS
 * endpoint wraps the session in TLS, so tedious's encrypt / trustServerCertificate / CA / serverName
 * are exercised against a real server. Declared when the Babelfish build is on this machine (the run's
 * SQL Server may be another, and without any the global setup says "SQL Server tests SKIPPED").
 */
const babelfishTarball = findBabelfishTarball();

/** The run's SQL Server when it is a Babelfish without TLS, as the global setup starts it (not ours to stop). */
function runBabelfishWithoutTls(): Pick<StartedBabelfish, 'baseUrl' | 'stop'> | undefined {
  const baseUrl = process.env['FLOTILLA_TEST_MSSQL_BASE_URL'];
  if (!baseUrl || process.env['FLOTILLA_TEST_MSSQL_KIND'] !== 'babelfish') return undefined;
  return { baseUrl, stop: () => Promise.resolve() };
}
if (babelfishTarball) {
  describe('database TLS against a real Babelfish TDS endpoint with TLS (SQL Server dialect)', () => {
    let dir: string;
    let caFile: string;
    let otherCaFile: string;
    let tlsServer: StartedBabelfish | undefined;
    /** The run's own Babelfish (no TLS) when the global setup started one; else one of ours. */
    let plainServer: Pick<StartedBabelfish, 'baseUrl' | 'stop'> | undefined;
    /** mssql://user:password@127.0.0.1:port/master, without TLS parameters. */
    const urlOf = (server: Pick<StartedBabelfish, 'baseUrl'> | undefined) => {
      if (!server) throw new Error('Babelfish did not start');
      return `${server.baseUrl.replace(/\?.*$/, '')}/master`;
    };
    const mssql = (env: Record<string, string>) => databaseConfig(env, 'mssql');

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'flotilla-db-tls-bbf-'));
      const ca = await createDatabaseTestCa('Database test CA');
      const otherCa = await createDatabaseTestCa('Some other CA');
      caFile = join(dir, 'db-ca.pem');
      otherCaFile = join(dir, 'other-ca.pem');
      await writeFile(caFile, ca.certificatePem);
      await writeFile(otherCaFile, otherCa.certificatePem);
      const certificate = await issueDatabaseServerCertificate(ca);
      [tlsServer, plainServer] = await Promise.all([
        startBabelfish(babelfishTarball, 'multi-db', { tls: certificate }),
        runBabelfishWithoutTls() ?? startBabelfish(babelfishTarball, 'multi-db'),
      ]);
    }, 240_000);

    afterAll(async () => {
      await Promise.all([tlsServer?.stop(), plainServer?.stop()]);
      await rm(dir, { recursive: true, force: true });
    }, 60_000);

    it('verify with the CA that signed the server connects, and the server sees the session encrypted', async () => {
      const database = mssql({
        FLOTILLA_DB_URL: urlOf(tlsServer),
        FLOTILLA_DB_TLS: 'verify',
        FLOTILLA_DB_TLS_CA_FILE: caFile,
      });
      await expect(sessionIsEncrypted(database)).resolves.toBe(true);
    });

    it('verify by IP with FLOTILLA_DB_TLS_SERVER_NAME checks that name (tedious serverName)', async () => {
      const database = mssql({
        FLOTILLA_DB_URL: urlOf(tlsServer),
        FLOTILLA_DB_TLS: 'verify',
        FLOTILLA_DB_TLS_CA_FILE: caFile,
        FLOTILLA_DB_TLS_SERVER_NAME: 'db.flotilla.test',
      });
      await expect(sessionIsEncrypted(database)).resolves.toBe(true);
    });

    it('verify refuses a server whose certificate another CA signed', async () => {
      const error = await refusal(
        mssql({
          FLOTILLA_DB_URL: urlOf(tlsServer),
          FLOTILLA_DB_TLS: 'verify',
          FLOTILLA_DB_TLS_CA_FILE: otherCaFile,
        }),
      );
      expect(error).toMatch(/unable to verify the first certificate|unable to get local issuer certificate/);
    });

    it('verify refuses a certificate that does not name the host expected', async () => {
      const error = await refusal(
        mssql({
          FLOTILLA_DB_URL: urlOf(tlsServer),
          FLOTILLA_DB_TLS: 'verify',
          FLOTILLA_DB_TLS_CA_FILE: caFile,
          FLOTILLA_DB_TLS_SERVER_NAME: 'other.flotilla.test',
        }),
      );
      expect(error).toContain("Host: other.flotilla.test. is not in the cert's altnames");
    });

    it('require (encrypt, trustServerCertificate) connects encrypted', async () => {
      await expect(
        sessionIsEncrypted(mssql({ FLOTILLA_DB_URL: urlOf(tlsServer), FLOTILLA_DB_TLS: 'require' })),
      ).resolves.toBe(true);
    });

    it('off is refused by a server that requires encryption', async () => {
      const error = await refusal(mssql({ FLOTILLA_DB_URL: urlOf(tlsServer), FLOTILLA_DB_TLS: 'off' }));
      expect(error).toContain('Server requires encryption');
    });

    it('require or verify against a TDS server without TLS is refused before the login is sent (tedious alone would go on in clear)', async () => {
      for (const mode of ['require', 'verify']) {
        const error = await refusal(mssql({ FLOTILLA_DB_URL: urlOf(plainServer), FLOTILLA_DB_TLS: mode }));
        expect(error).toContain('did not negotiate TLS although FLOTILLA_DB_TLS asks for encryption');
      }
    });
  });
}
