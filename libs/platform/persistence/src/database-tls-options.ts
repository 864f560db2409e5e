import { checkServerIdentity, ConnectionOptions, PeerCertificate, TlsOptions } from 'node:tls';

import type { DatabaseConfig } from '@flotilla/platform/config';

/** The settings FLOTILLA_DB_TLS, FLOTILLA_DB_TLS_CA_FILE and FLOTILLA_DB_TLS_SERVER_NAME made. */
export type DatabaseTlsSettings = NonNullable<DatabaseConfig['tls']>;

/**
 * URL parameters pg acts on itself (its connection string wins over the `ssl` option). Config has
 * already refused or interpreted every one of them, so they are dropped and `ssl` alone decides.
 */
const PG_URL_TLS_PARAMS = [
  'ssl',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'sslpassword',
  'sslnegotiation',
  'uselibpqcompat',
];

export function withoutPgTlsParams(url: string): string {
  const parsed = new URL(url);
  for (const param of PG_URL_TLS_PARAMS) parsed.searchParams.delete(param);
  return parsed.toString();
}

/**
 * Checks the certificate against the configured name rather than the host the socket reached.
 * pg overwrites `servername` with a DNS host of the URL, so the check itself is replaced too.
 */
function identityOf(serverName: string): Pick<ConnectionOptions, 'servername' | 'checkServerIdentity'> {
  return {
    servername: serverName,
    checkServerIdentity: (_host: string, certificate: PeerCertificate) =>
      checkServerIdentity(serverName, certificate),
  };
}

/**
 * pg's `ssl` option: false, or the options it hands to tls.connect (TypeORM types them as
 * TlsOptions, which lacks the client-only servername / checkServerIdentity).
 */
export type PgSslOptions = TlsOptions & ConnectionOptions;

export function pgSslOptions(tls: DatabaseTlsSettings): false | PgSslOptions {
  if (tls.mode === 'off') return false;
  if (tls.mode === 'require') return { rejectUnauthorized: false };
  return {
    rejectUnauthorized: true,
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.serverName ? identityOf(tls.serverName) : {}),
  };
}

/** The TLS part of tedious's `options` (through mssql and TypeORM). */
export interface TediousTlsOptions {
  encrypt: boolean;
  trustServerCertificate: boolean;
  cryptoCredentialsDetails?: { ca: string };
  serverName?: string;
}

export function tediousTlsOptions(tls: DatabaseTlsSettings): TediousTlsOptions {
  return {
    encrypt: tls.mode !== 'off',
    trustServerCertificate: tls.mode !== 'verify',
    ...(tls.mode === 'verify' && tls.ca ? { cryptoCredentialsDetails: { ca: tls.ca } } : {}),
    ...(tls.mode === 'verify' && tls.serverName ? { serverName: tls.serverName } : {}),
  };
}

/** The parts of a tedious Connection the guard below relies on (tedious 18, lib/connection.js). */
interface TediousConnectionInternals {
  sendLogin7Packet?: () => void;
  messageIo?: { tlsNegotiationComplete?: boolean };
  socket?: { destroy(error?: Error): void };
}

export const TDS_PLAINTEXT_REFUSED =
  'the SQL Server did not negotiate TLS although FLOTILLA_DB_TLS asks for encryption: refusing to send the login in clear';

/**
 * tedious asks for encryption but carries on in clear when the server answers that it does not
 * support it (or offers login-only encryption), so a server - or anyone answering in its place -
 * could downgrade the connection and read the password. Installed through mssql's `beforeConnect`,
 * this stops the login from being sent unless the TLS handshake completed.
 */
export function refuseLoginWithoutTls(connection: unknown): void {
  const internals = connection as TediousConnectionInternals;
  const sendLogin = internals.sendLogin7Packet;
  if (typeof sendLogin !== 'function') {
    // A tedious without the method we guard: fail closed rather than connect unguarded.
    throw new Error('cannot enforce database TLS: this tedious version has no sendLogin7Packet');
  }
  internals.sendLogin7Packet = function guardedSendLogin(this: TediousConnectionInternals): void {
    if (this.messageIo?.tlsNegotiationComplete === true) {
      sendLogin.call(this);
      return;
    }
    this.socket?.destroy(new Error(TDS_PLAINTEXT_REFUSED));
  };
}
