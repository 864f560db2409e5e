import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import { isMssqlServer, MssqlServer, startMssqlServer } from './mssql-server';
import { startPostgresServer } from './postgres-server';
import { createTestPki } from './test-pki';

/**
 * Starts (or finds) the servers every integration test creates its databases on: PostgreSQL
 * always, and a SQL Server (or TDS server) unless FLOTILLA_TEST_MSSQL=off (the fault suite needs
 * none). Without a SQL Server the tests that need one say so and why; FLOTILLA_TEST_REQUIRE_MSSQL=1
 * (CI) makes that a failure instead.
 */
export default async function globalSetup(): Promise<void> {
  process.env['TZ'] = 'UTC';
  // Sensitive values are sealed under a master key: every test process, and the nodes and clusters
  // they start, get one for this run (unless the caller gave one).
  if (!process.env['FLOTILLA_MASTER_KEY'] && !process.env['FLOTILLA_MASTER_KEY_FILE'])
    process.env['FLOTILLA_MASTER_KEY'] = randomBytes(32).toString('base64');
  // gRPC is mutual TLS: one CA for the run, certificates for the fixed test nodes (FLOTILLA_PKI_DIR).
  await createTestPki();
  const server = await startPostgresServer();
  process.env['FLOTILLA_TEST_PG_BASE_URL'] = server.baseUrl;
  (globalThis as { flotillaPostgres?: typeof server }).flotillaPostgres = server;

  if (process.env['FLOTILLA_TEST_MSSQL'] === 'off') return;
  const started = Date.now();
  const mssql = await startMssqlServer();
  if (isMssqlServer(mssql)) {
    process.stdout.write(`\nSQL Server tests use: ${mssql.describe} (ready in ${Date.now() - started} ms)\n`);
    process.env['FLOTILLA_TEST_MSSQL_BASE_URL'] = mssql.baseUrl;
    process.env['FLOTILLA_TEST_MSSQL_KIND'] = mssql.kind;
    (globalThis as { flotillaMssql?: MssqlServer }).flotillaMssql = mssql;
    return;
  }
  process.env['FLOTILLA_TEST_MSSQL_UNAVAILABLE'] = mssql.unavailable;
  if (process.env['FLOTILLA_TEST_REQUIRE_MSSQL'] === '1') {
    throw new Error(`FLOTILLA_TEST_REQUIRE_MSSQL=1 but ${mssql.unavailable}`);
  }
  process.stdout.write(`\nSQL Server tests SKIPPED: ${mssql.unavailable}\n`);
  // The runner reports a whole SQL Server run as skipped rather than failed (tools/scripts/run-tests.js).
  const report = process.env['FLOTILLA_TEST_SKIP_REPORT'];
  if (report) writeFileSync(report, mssql.unavailable);
  if (process.env['FLOTILLA_TEST_DIALECT'] === 'mssql') {
    throw new Error(`the SQL Server contract run was skipped: ${mssql.unavailable}`);
  }
}
