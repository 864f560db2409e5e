import type { PostgresServer } from './postgres-server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { flotillaPostgres?: PostgresServer }).flotillaPostgres?.stop();
}
