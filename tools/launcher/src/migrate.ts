import { ConfigError, loadFlotillaConfig } from '@flotilla/platform/config';

import { databaseUrlProblems } from './database-url';
import { migrateDatabase } from './migrate-database';

/** `npm run migrate`: applies pending schema migrations to FLOTILLA_DB_URL and exits. */
async function main(): Promise<void> {
  // The whole database config, so FLOTILLA_DB_TLS* apply here as in the services.
  const { database } = loadFlotillaConfig();
  if (!database.url) throw new ConfigError(['FLOTILLA_DB_URL is required']);
  const problems = databaseUrlProblems(database);
  if (problems.length) throw new ConfigError(problems);
  const applied = await migrateDatabase(database);
  console.log(
    applied.length
      ? `Applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}`
      : 'Schema is up to date.',
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
