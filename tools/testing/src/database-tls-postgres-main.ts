import { startEmbeddedPostgres } from './embedded-postgres';

/** What database-tls-postgres-main.ts sends its parent. */
export type TlsPostgresKeeperReply = { type: 'ready'; baseUrl: string } | { type: 'error'; error: string };

/**
 * The TLS PostgreSQL's keeper: embedded-postgres ships only as an ES module, which jest's CommonJS
 * sandbox cannot import, so it runs in this child (as restartable-postgres-main.ts does). Argument:
 * the PostgreSQL settings, one `name=value` each. Stops the server and leaves when told to or when
 * the parent goes away.
 */
async function main(): Promise<void> {
  const server = await startEmbeddedPostgres({
    persistent: false,
    settings: process.argv.slice(2),
    onError: (message: unknown) => console.error('[postgres]', message),
  });
  const stop = (): void => void server.stop().finally(() => process.exit(0));
  process.on('disconnect', stop);
  process.on('message', stop);
  process.send?.({ type: 'ready', baseUrl: server.baseUrl } satisfies TlsPostgresKeeperReply);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.send?.({ type: 'error', error: String(error) } satisfies TlsPostgresKeeperReply);
  process.exit(1);
});
