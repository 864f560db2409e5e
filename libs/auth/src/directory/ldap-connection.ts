import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect, ConnectionOptions } from 'node:tls';

import { Client, Entry, Filter, ResultCodeError } from 'ldapts';

import type { DirectoryConfig } from '@flotilla/platform/config';

import { DirectoryProtocolError } from './directory-refusal';
import type { PooledConnection } from './domain-controller-pool';

export interface DirectorySearch {
  scope: 'base' | 'one' | 'sub';
  filter: Filter;
  attributes: string[];
  /** Returned as Buffers (objectGUID, objectSid). */
  binaryAttributes?: string[];
  /** Paged (control 1.2.840.113556.1.4.319): every entry, however many, or an error. */
  paged?: boolean;
  /** Unpaged searches expecting at most this many entries (a user look-up); more is not an error, the caller decides. */
  sizeLimit?: number;
}

/** Moments of LdapConnection.open, reported for diagnostics' timings (connect, TLS, bind). */
export type ConnectionStep = 'connected' | 'secured' | 'bound';

/** The entries of a search, and the continuation references (referrals) it returned. */
export interface DirectorySearchResult {
  entries: Entry[];
  referrals: string[];
}

/** Entries per page: AD's MaxPageSize is 1000; a smaller page keeps each answer quick. */
export const PAGE_SIZE = 500;

/** True for an error that is the directory's answer (an LDAP result code), not its absence. */
export function isLdapAnswer(error: unknown): boolean {
  return error instanceof ResultCodeError;
}

/** The TLS options every directory connection uses: the configured CA, the name to verify, verification on. */
export function directoryTlsOptions(config: DirectoryConfig, host: string): ConnectionOptions {
  return {
    ...(config.ca ? { ca: config.ca } : {}),
    // Node checks the certificate against servername; an IP address cannot be an SNI name.
    servername: config.tlsServerName ?? host,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
}

/** Rejects after `ms` and runs `onTimeout` (which must release what `work` holds). */
async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  what: string,
  onTimeout: () => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what} took longer than ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One connection to one domain controller. Connecting (TCP, TLS or StartTLS) is bounded by the
 * timeout as a whole, so a listening socket that never answers costs one timeout; every later
 * operation by ldapts' per-operation timeout. A password is never sent over a connection that is
 * not encrypted unless the configuration explicitly allows it.
 */
export class LdapConnection implements PooledConnection {
  private constructor(
    readonly url: string,
    private readonly client: Client,
    private readonly encrypted: boolean,
    private readonly config: DirectoryConfig,
    private readonly sockets: Socket[],
  ) {}

  /**
   * Connects (TCP, TLS or StartTLS) and binds as `bindDn`, all within the timeout: a controller
   * that accepts TCP and never answers costs one timeout, then the pool moves on. `onStep` hears
   * each stage as it completes (diagnostics time them).
   */
  static async open(
    url: string,
    config: DirectoryConfig,
    bindDn: string,
    bindPassword: string,
    onStep?: (step: ConnectionStep) => void,
  ): Promise<LdapConnection> {
    const parsed = new URL(url);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    const ldaps = parsed.protocol === 'ldaps:';
    const tls = directoryTlsOptions(config, host);
    // Every socket made for this connection, so a deadline can tear down a hung handshake.
    const sockets: Socket[] = [];
    const client = new Client({
      url,
      timeout: config.timeoutMs,
      connectTimeout: config.timeoutMs,
      // ldapts treats any tlsOptions as "connect with TLS": give them to ldaps:// only (StartTLS takes its own).
      ...(ldaps ? { tlsOptions: tls } : {}),
      createConnection: ((...args: Parameters<typeof netConnect>) => {
        const socket = netConnect(...args);
        socket.once('connect', () => onStep?.('connected'));
        sockets.push(socket);
        return socket;
      }) as typeof netConnect,
      createSecureConnection: ((...args: Parameters<typeof tlsConnect>) => {
        const socket = tlsConnect(...args);
        socket.once('connect', () => onStep?.('connected'));
        socket.once('secureConnect', () => onStep?.('secured'));
        sockets.push(socket);
        return socket;
      }) as typeof tlsConnect,
    });
    const connection = new LdapConnection(url, client, ldaps || config.startTls, config, sockets);
    const establish = async (): Promise<void> => {
      if (config.startTls && !ldaps) {
        await client.startTLS(tls);
        onStep?.('secured');
      }
      await connection.bind(bindDn, bindPassword);
      onStep?.('bound');
    };
    try {
      await withDeadline(establish(), config.timeoutMs, `Connecting to ${url}`, () => connection.destroy());
    } catch (error) {
      connection.destroy();
      throw error;
    }
    return connection;
  }

  /** Simple bind. An empty password is refused here: LDAP would take it as an anonymous bind and succeed. */
  async bind(dn: string, password: string): Promise<void> {
    if (!password)
      throw new DirectoryProtocolError('Refusing a bind with an empty password (an LDAP anonymous bind)');
    if (!this.encrypted && !this.config.allowPlainBind) {
      throw new DirectoryProtocolError(
        `Refusing to send a password to ${this.url} unencrypted (use ldaps://, StartTLS, or FLOTILLA_DIRECTORY_ALLOW_PLAIN_BIND=true)`,
      );
    }
    await this.client.bind(dn, password);
  }

  async search(baseDn: string, search: DirectorySearch): Promise<DirectorySearchResult> {
    const result = await this.client.search(baseDn, {
      scope: search.scope,
      filter: search.filter,
      attributes: search.attributes,
      ...(search.binaryAttributes ? { explicitBufferAttributes: search.binaryAttributes } : {}),
      // With no size limit, a server limit answers sizeLimitExceeded, which ldapts throws: truncation is an error.
      ...(search.paged ? { paged: { pageSize: PAGE_SIZE } } : {}),
      ...(search.sizeLimit ? { sizeLimit: search.sizeLimit } : {}),
    });
    return { entries: result.searchEntries, referrals: result.searchReferences };
  }

  /** Drops the connection at once (a deadline passed). */
  destroy(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    try {
      await this.client.unbind();
    } catch {
      // Closing is best effort: the socket is destroyed either way.
    } finally {
      this.destroy();
    }
  }
}
