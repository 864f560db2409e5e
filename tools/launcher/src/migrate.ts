import { ConfigError, EnvReader, SqlDialect } from '@flotilla/platform/config';

import { databaseUrlProblems } from './database-url';
import { migrateDatabase } from './migrate-database';

/** `npm run migrate`: applies pending schema migrations to FLOTILLA_DB_URL and exits. */
async function main(): Promise<void> {
  const reader = new EnvReader();
  const dialect = reader.oneOf<SqlDialect>('FLOTILLA_DB_DIALECT', ['postgres', 'mssql'], 'postgres');
  const url = reader.string('FLOTILLA_DB_URL');
  reader.done();
  const problems = databaseUrlProblems({ dialect, url });
  if (problems.length) throw new ConfigError(problems);
  const applied = await migrateDatabase({ dialect, url });
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
