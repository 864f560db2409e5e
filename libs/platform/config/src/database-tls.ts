import { readFileSync } from 'node:fs';

import type { EnvReader } from './env-reader';
import type { SqlDialect } from './flotilla-config';

/**
 * How the services' database connections use TLS:
 * - `off`: plain TCP (a database on the same host or a trusted private link only);
 * - `require`: encrypted, but the server's certificate is NOT checked: it stops a passive listener,
 *   not an attacker who can answer in the server's place;
 * - `verify`: encrypted, and the server must present a certificate chaining to the configured CA
 *   (or Node's bundled public roots) that names the host connected to. The production setting.
 */
export type DatabaseTlsMode = 'off' | 'require' | 'verify';

export interface DatabaseTls {
  mode: DatabaseTlsMode;
  /** PEM of the CA certificate(s) that signed the server's certificate; undefined: Node's public roots. */
  ca?: string;
  /** The name the server's certificate must carry, when the URL reaches it by another (an IP address). */
  serverName?: string;
}

export const DATABASE_TLS_SETTINGS = {
  mode: 'FLOTILLA_DB_TLS',
  caFile: 'FLOTILLA_DB_TLS_CA_FILE',
  serverName: 'FLOTILLA_DB_TLS_SERVER_NAME',
} as const;

const MODES: readonly DatabaseTlsMode[] = ['off', 'require', 'verify'];

/** What a URL's own TLS parameters ask for: a mode, nothing (silent), or a problem to report. */
type UrlTls = { mode: DatabaseTlsMode; said: string } | { problem: string } | undefined;

/**
 * libpq's sslmode values, as Flotilla honours them. `verify-ca` (chain without host name) and the
 * modes that fall back to plain text (`allow`, `prefer`) are refused rather than quietly weakened
 * or strengthened.
 */
const POSTGRES_SSLMODES: Record<string, string> = {
  disable: 'off',
  require: 'require',
  'verify-full': 'verify',
  'verify-ca':
    'Flotilla always checks the host name too: use sslmode=verify-full (or FLOTILLA_DB_TLS=verify, with FLOTILLA_DB_TLS_SERVER_NAME when the certificate names another host)',
  allow: 'Flotilla never falls back to plain text: use sslmode=disable, require or verify-full',
  prefer: 'Flotilla never falls back to plain text: use sslmode=disable, require or verify-full',
};

/** PostgreSQL URL parameters pg would act on behind Flotilla's back; each has a Flotilla setting instead. */
const POSTGRES_OTHER_TLS_PARAMS: Record<string, string> = {
  ssl: 'use sslmode= or FLOTILLA_DB_TLS',
  sslrootcert: 'use FLOTILLA_DB_TLS_CA_FILE',
  sslcert: 'client certificates are not supported',
  sslkey: 'client certificates are not supported',
  sslpassword: 'client certificates are not supported',
  sslnegotiation: 'not supported',
  uselibpqcompat: 'not needed: Flotilla applies libpq meanings to sslmode itself',
};

function postgresUrlTls(url: URL): UrlTls {
  for (const [param, advice] of Object.entries(POSTGRES_OTHER_TLS_PARAMS)) {
    if (url.searchParams.has(param)) return { problem: `FLOTILLA_DB_URL's ${param}= is not read: ${advice}` };
  }
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode === null) return undefined;
  const meaning = POSTGRES_SSLMODES[sslmode];
  if (meaning === undefined) return { problem: `FLOTILLA_DB_URL has an unknown sslmode "${sslmode}"` };
  if (!(MODES as readonly string[]).includes(meaning)) {
    return { problem: `FLOTILLA_DB_URL's sslmode=${sslmode} is refused: ${meaning}` };
  }
  return { mode: meaning as DatabaseTlsMode, said: `sslmode=${sslmode}` };
}

function booleanParam(url: URL, name: string): boolean | undefined | 'invalid' {
  const value = url.searchParams.get(name);
  if (value === null) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return 'invalid';
}

/** mssql URLs say encrypt=true|false and trustServerCertificate=true|false (tedious's names). */
function mssqlUrlTls(url: URL): UrlTls {
  const encrypt = booleanParam(url, 'encrypt');
  const trust = booleanParam(url, 'trustServerCertificate');
  if (encrypt === 'invalid' || trust === 'invalid') {
    return { problem: 'FLOTILLA_DB_URL: encrypt and trustServerCertificate must be true or false' };
  }
  if (encrypt === undefined && trust === undefined) return undefined;
  const said = url.search.slice(1);
  if (encrypt === false) return { mode: 'off', said };
  return { mode: trust === true ? 'require' : 'verify', said };
}

function urlTls(dialect: SqlDialect, url: string): UrlTls {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/^sqlserver:/, 'mssql:'));
  } catch {
    return undefined; // loadFlotillaConfig reports a malformed URL itself
  }
  return dialect === 'postgres' ? postgresUrlTls(parsed) : mssqlUrlTls(parsed);
}

function readCaFile(reader: EnvReader, path: string): string | undefined {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    // Not instanceof Error: fs errors can come from another realm (jest's sandbox).
    const reason = (error as { message?: string }).message ?? String(error);
    reader.problem(`${DATABASE_TLS_SETTINGS.caFile} cannot be read: ${reason}`);
    return undefined;
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    reader.problem(`${DATABASE_TLS_SETTINGS.caFile} (${path}) holds no PEM certificate`);
    return undefined;
  }
  return pem;
}

/**
 * Reads FLOTILLA_DB_TLS and friends, together with what FLOTILLA_DB_URL itself says about TLS
 * (`sslmode=` for PostgreSQL, `encrypt=` / `trustServerCertificate=` for SQL Server): either one
 * may say it, and when both do they must agree. Said nowhere: undefined, and the drivers keep their
 * defaults as before these settings existed: no TLS for PostgreSQL (unless pg's own PGSSLMODE says
 * otherwise), encrypt-and-verify for SQL Server (tedious's default).
 */
export function readDatabaseTls(
  reader: EnvReader,
  dialect: SqlDialect,
  url: string,
): DatabaseTls | undefined {
  const configured = reader.optionalString(DATABASE_TLS_SETTINGS.mode);
  if (configured !== undefined && !(MODES as readonly string[]).includes(configured)) {
    reader.problem(`${DATABASE_TLS_SETTINGS.mode} must be one of ${MODES.join(', ')} (got "${configured}")`);
  }
  const fromEnv = (MODES as readonly string[]).includes(configured ?? '')
    ? (configured as DatabaseTlsMode)
    : undefined;
  const fromUrl = urlTls(dialect, url);
  if (fromUrl && 'problem' in fromUrl) reader.problem(fromUrl.problem);
  const urlMode = fromUrl && 'mode' in fromUrl ? fromUrl : undefined;
  if (fromEnv && urlMode && fromEnv !== urlMode.mode) {
    reader.problem(
      `${DATABASE_TLS_SETTINGS.mode}=${fromEnv} contradicts FLOTILLA_DB_URL (${urlMode.said} means ${urlMode.mode}): make them agree or drop one`,
    );
  }
  const mode = fromEnv ?? urlMode?.mode ?? (dialect === 'mssql' ? 'verify' : 'off');

  const caFile = reader.optionalString(DATABASE_TLS_SETTINGS.caFile);
  const serverName = reader.optionalString(DATABASE_TLS_SETTINGS.serverName);
  if (mode !== 'verify' && caFile) {
    reader.problem(
      `${DATABASE_TLS_SETTINGS.caFile} is set but database TLS is ${mode}, which checks no certificate: use ${DATABASE_TLS_SETTINGS.mode}=verify`,
    );
  }
  if (mode !== 'verify' && serverName) {
    reader.problem(
      `${DATABASE_TLS_SETTINGS.serverName} is set but database TLS is ${mode}, which checks no host name: use ${DATABASE_TLS_SETTINGS.mode}=verify`,
    );
  }
  if (serverName && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(serverName)) {
    reader.problem(`${DATABASE_TLS_SETTINGS.serverName} must be a host name (got "${serverName}")`);
  }
  // Said nowhere at all: the drivers decide as they always did (pg: PGSSLMODE, else no TLS;
  // tedious: encrypt and verify), the same as `mode` above says.
  if (configured === undefined && !urlMode && !caFile && !serverName) return undefined;
  if (mode !== 'verify') return { mode };
  const ca = caFile ? readCaFile(reader, caFile) : undefined;
  return { mode, ...(ca ? { ca } : {}), ...(serverName ? { serverName } : {}) };
}
