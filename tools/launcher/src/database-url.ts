import type { DatabaseConfig } from '@flotilla/platform/config';

/** How to write each dialect's URL, for error messages. */
export const DATABASE_URL_FORMS = {
  postgres: 'postgres://user:password@host:5432/database',
  mssql: 'mssql://user:password@host:1433/database?encrypt=true',
} as const;

/**
 * Why a database choice cannot work, before anything connects (empty when it can). The shared
 * configuration already checks the dialect and the URL's scheme; this adds what an operator
 * typing a URL by hand gets wrong: a SQL Server URL with no database would silently put
 * Flotilla's tables into `master`.
 */
export function databaseUrlProblems(database: DatabaseConfig): string[] {
  let parsed: URL;
  try {
    parsed = new URL(database.url);
  } catch {
    return [`FLOTILLA_DB_URL is not a URL (expected ${DATABASE_URL_FORMS[database.dialect]})`];
  }
  const problems: string[] = [];
  const schemes = database.dialect === 'mssql' ? ['mssql:', 'sqlserver:'] : ['postgres:', 'postgresql:'];
  if (!schemes.includes(parsed.protocol))
    problems.push(
      `FLOTILLA_DB_URL must be a ${schemes[0]}// URL when FLOTILLA_DB_DIALECT=${database.dialect} (${DATABASE_URL_FORMS[database.dialect]})`,
    );
  if (!parsed.hostname)
    problems.push(`FLOTILLA_DB_URL names no host (expected ${DATABASE_URL_FORMS[database.dialect]})`);
  if (database.dialect === 'mssql') {
    const name = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (!name || name.includes('/'))
      problems.push(
        `FLOTILLA_DB_URL must name one database after the port (${DATABASE_URL_FORMS.mssql}); create it first (CREATE DATABASE flotilla)`,
      );
    else if (['master', 'model', 'msdb', 'tempdb'].includes(name.toLowerCase()))
      problems.push(
        `FLOTILLA_DB_URL names the system database ${name}: create one for Flotilla (CREATE DATABASE flotilla)`,
      );
  }
  return problems;
}

/** The URL without its password, for start-up lines. */
export function describeDatabaseUrl(database: DatabaseConfig): string {
  try {
    const parsed = new URL(database.url);
    parsed.password = '';
    parsed.search = '';
    return `${database.dialect} ${parsed.toString()}`;
  } catch {
    return database.dialect;
  }
}
