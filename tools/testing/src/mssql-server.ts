import { existsSync } from 'node:fs';

import { findBabelfishTarball, startBabelfish } from './babelfish-server';

/** A SQL Server (or a TDS server standing in for one) that tests create databases on. */
export interface MssqlServer {
  /** mssql://user:password@host:port?options (no database). */
  baseUrl: string;
  /** Which server this is, printed at the start of a run. */
  describe: string;
  /** Babelfish lacks some SQL Server statements (ALTER DATABASE, MERGE): tests may need to know. */
  kind: 'sqlserver' | 'babelfish';
  stop(): Promise<void>;
}

/** No server could be found or started: the SQL Server suite says so and why. */
export interface MssqlServerUnavailable {
  unavailable: string;
}

export const SQL_SERVER_2022_IMAGE = 'mcr.microsoft.com/mssql/server:2022-latest';

/** A real SQL Server given by URL: mssql://user:password@host:port[/database][?options]. */
function configuredServer(url: string): MssqlServer {
  const parsed = new URL(url);
  parsed.pathname = '';
  return {
    baseUrl: parsed.toString(),
    describe: `SQL Server at ${parsed.hostname}:${parsed.port || 1433} (FLOTILLA_TEST_MSSQL_URL)`,
    kind: 'sqlserver',
    stop: () => Promise.resolve(),
  };
}

/** True when a Docker engine answers (not merely a docker client on the PATH). */
async function dockerEngineAnswers(): Promise<boolean> {
  if (!process.env['DOCKER_HOST'] && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** The official SQL Server 2022 image, through testcontainers (Developer edition, EULA accepted). */
async function sqlServerContainer(): Promise<MssqlServer> {
  const { MSSQLServerContainer } = await import('@testcontainers/mssqlserver');
  const password = 'Flotilla-test-1';
  const container = await new MSSQLServerContainer(SQL_SERVER_2022_IMAGE)
    .acceptLicense()
    .withPassword(password)
    .start();
  const host = container.getHost();
  const port = container.getPort();
  return {
    baseUrl: `mssql://sa:${password}@${host}:${port}?encrypt=false&trustServerCertificate=true`,
    describe: `SQL Server 2022 in Docker (${SQL_SERVER_2022_IMAGE}, ${host}:${port})`,
    kind: 'sqlserver',
    stop: async () => {
      await container.stop();
    },
  };
}

/**
 * In order: FLOTILLA_TEST_MSSQL_URL (a real SQL Server), a Docker engine with the SQL Server 2022
 * image, the Babelfish build in shared/babelfish. Says why when none of them is there.
 */
export async function startMssqlServer(): Promise<MssqlServer | MssqlServerUnavailable> {
  const configured = process.env['FLOTILLA_TEST_MSSQL_URL'];
  if (configured) return configuredServer(configured);
  if (await dockerEngineAnswers()) return sqlServerContainer();
  const babelfish = await startBabelfish(findBabelfishTarball());
  if (babelfish) return babelfish;
  return {
    unavailable:
      'no SQL Server: FLOTILLA_TEST_MSSQL_URL is not set, no Docker engine answers, and no Babelfish ' +
      'tarball was found (FLOTILLA_BABELFISH_TARBALL, or shared/babelfish/ beside the project)',
  };
}

export function isMssqlServer(server: MssqlServer | MssqlServerUnavailable): server is MssqlServer {
  return 'baseUrl' in server;
}
