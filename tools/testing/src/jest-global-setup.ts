import { startPostgresServer } from './postgres-server';

/** Starts (or finds) the PostgreSQL server every integration test creates its databases on. */
export default async function globalSetup(): Promise<void> {
  process.env['TZ'] = 'UTC';
  const server = await startPostgresServer();
  process.env['FLOTILLA_TEST_PG_BASE_URL'] = server.baseUrl;
  (globalThis as { flotillaPostgres?: typeof server }).flotillaPostgres = server;
}
