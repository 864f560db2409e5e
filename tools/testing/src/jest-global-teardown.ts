import type { MssqlServer } from './mssql-server';
import type { PostgresServer } from './postgres-server';
import { removeTestPki } from './test-pki';

export default async function globalTeardown(): Promise<void> {
  const servers = globalThis as { flotillaPostgres?: PostgresServer; flotillaMssql?: MssqlServer };
  await Promise.all([servers.flotillaPostgres?.stop(), servers.flotillaMssql?.stop()]);
  removeTestPki();
}
