import { createServer, Server, Socket } from 'node:net';

import { Client, Pool } from 'pg';
import { Connection, ConnectionError, RequestError } from 'tedious';
import { QueryFailedError } from 'typeorm';

import { isDatabaseUnavailableError } from './database-unavailable';

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A loopback port that accepts connections and never answers (a server stuck starting). */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** What the mssql package builds around a tedious error (mssql ships no types; same fields). */
function mssqlWrapped(name: 'ConnectionError' | 'RequestError', inner: Error & { code?: string }) {
  const number = (inner as { number?: number }).number;
  return Object.assign(new Error(inner.message), {
    name,
    code: inner.code,
    ...(number === undefined ? {} : { number }),
    originalError: inner,
  });
}

function sqlServerError(number: number, message = `SQL Server error ${number}`) {
  return Object.assign(new RequestError(message, 'EREQUEST'), { number, state: 1, class: 16 });
}

const typeorm = (driverError: Error) => new QueryFailedError('SELECT 1', [], driverError);

describe(isDatabaseUnavailableError.name, () => {
  describe('PostgreSQL (pg), real errors', () => {
    it('is true for a refused connection, bare and as TypeORM would pass it on', async () => {
      const client = new Client({ host: '127.0.0.1', port: await closedPort(), user: 'x', database: 'x' });
      const refused = (await rejection(client.connect())) as Error & { code?: string };

      expect(refused.code).toBe('ECONNREFUSED');
      expect(isDatabaseUnavailableError(refused)).toBe(true);
      expect(isDatabaseUnavailableError(typeorm(refused))).toBe(true);
      expect(isDatabaseUnavailableError(new Error('could not record progress', { cause: refused }))).toBe(
        true,
      );
    });

    it('is true for a pool that cannot get a connection in time', async () => {
      const silent = await silentServer();
      const pool = new Pool({ host: '127.0.0.1', port: silent.port, connectionTimeoutMillis: 200 });
      try {
        const timedOut = (await rejection(pool.query('SELECT 1'))) as Error;
        expect(timedOut.message).toMatch(/^Connection terminated due to connection timeout$/);
        expect(isDatabaseUnavailableError(timedOut)).toBe(true);
      } finally {
        await pool.end();
        await silent.close();
      }
    });
  });

  describe('PostgreSQL (pg), by shape', () => {
    const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

    it.each([
      ['08006', 'connection failure'],
      ['08001', 'sqlclient unable to establish sqlconnection'],
      ['57P01', 'terminating connection due to administrator command'],
      ['57P02', 'terminating connection due to crash of another server process'],
      ['57P03', 'the database system is starting up'],
      ['53300', 'sorry, too many clients already'],
    ])('is true for SQLSTATE %s (%s)', (code, message) => {
      expect(isDatabaseUnavailableError(typeorm(pgError(code, message)))).toBe(true);
    });

    it.each([
      'Connection terminated unexpectedly',
      'Connection terminated',
      'timeout exceeded when trying to connect',
      'Client has encountered a connection error and is not queryable',
    ])('is true for pg’s own "%s"', (message) => {
      expect(isDatabaseUnavailableError(new Error(message))).toBe(true);
    });

    it.each(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])(
      'is true for the socket error %s',
      (code) => {
        expect(isDatabaseUnavailableError(pgError(code, `read ${code}`))).toBe(true);
      },
    );

    it.each([
      ['23505', 'duplicate key value violates unique constraint'],
      ['40P01', 'deadlock detected'],
      ['40001', 'could not serialize access'],
      ['57014', 'canceling statement due to statement timeout'],
      ['42P01', 'relation "nope" does not exist'],
      ['28P01', 'password authentication failed'],
    ])('is false for SQLSTATE %s (%s)', (code, message) => {
      expect(isDatabaseUnavailableError(typeorm(pgError(code, message)))).toBe(false);
    });
  });

  describe('SQL Server (tedious, mssql), real errors', () => {
    it('is true for a refused connection, bare and wrapped by mssql', async () => {
      const connection = new Connection({
        server: '127.0.0.1',
        options: { port: await closedPort(), encrypt: false, connectTimeout: 2000 },
        authentication: { type: 'default', options: { userName: 'x', password: 'x' } },
      });
      const refused = await new Promise<Error>((resolve) => {
        connection.on('error', () => undefined);
        connection.connect((error) => resolve(error ?? new Error('connected unexpectedly')));
      });
      connection.close();

      expect(refused).toBeInstanceOf(ConnectionError);
      expect((refused as ConnectionError).code).toBe('ESOCKET');
      expect(isDatabaseUnavailableError(refused)).toBe(true);
      expect(isDatabaseUnavailableError(mssqlWrapped('ConnectionError', refused))).toBe(true);
    });
  });

  describe('SQL Server (tedious, mssql), by shape', () => {
    it.each(['ESOCKET', 'ECONNCLOSED', 'ENOTOPEN', 'EINSTLOOKUP', 'ETIMEOUT'])(
      'is true for the connection error %s',
      (code) => {
        const error = new ConnectionError(`connection ${code}`, code);
        expect(isDatabaseUnavailableError(error)).toBe(true);
        expect(isDatabaseUnavailableError(typeorm(mssqlWrapped('ConnectionError', error)))).toBe(true);
      },
    );

    it('is true for a request cut by the connection closing', () => {
      const closed = new RequestError('Connection closed before request completed.', 'ECLOSE');
      expect(isDatabaseUnavailableError(typeorm(mssqlWrapped('RequestError', closed)))).toBe(true);
    });

    it.each([4060, 40197, 40501, 40613, 49918, 49919, 49920, 4221, 983, 976, 978, 921, 6005, 10054, 233, 64])(
      'is true for server error %i (restart, recovery or failover)',
      (number) => {
        const error = sqlServerError(number);
        expect(isDatabaseUnavailableError(error)).toBe(true);
        expect(isDatabaseUnavailableError(typeorm(mssqlWrapped('RequestError', error)))).toBe(true);
      },
    );

    it('finds a failover error among several a batch raised', () => {
      const batch = new AggregateError([sqlServerError(3621), sqlServerError(40613)]);
      expect(isDatabaseUnavailableError(batch)).toBe(true);
    });

    it.each([
      [1205, 'deadlock victim'],
      [1222, 'lock request time out'],
      [2627, 'violation of PRIMARY KEY constraint'],
      [2601, 'cannot insert duplicate key row'],
      [547, 'conflicted with the FOREIGN KEY constraint'],
      [208, 'invalid object name'],
      [-2, 'timeout expired'],
    ])('is false for server error %i (%s)', (number, message) => {
      const error = sqlServerError(number, message);
      expect(isDatabaseUnavailableError(typeorm(mssqlWrapped('RequestError', error)))).toBe(false);
    });

    it('is false for a request timeout (a slow statement, not an outage) and a failed login', () => {
      const slow = new RequestError('Timeout: Request failed to complete in 15000ms', 'ETIMEOUT');
      expect(isDatabaseUnavailableError(mssqlWrapped('RequestError', slow))).toBe(false);
      const login = new ConnectionError("Login failed for user 'flotilla'.", 'ELOGIN');
      expect(isDatabaseUnavailableError(mssqlWrapped('ConnectionError', login))).toBe(false);
    });
  });

  it.each([
    ['undefined', undefined],
    ['a string', 'ECONNREFUSED'],
    ['a plain error', new Error('boom')],
    ['a numeric code', Object.assign(new Error('x'), { code: 8006 })],
  ])('is false for %s', (_label, error) => {
    expect(isDatabaseUnavailableError(error)).toBe(false);
  });

  it('ends on a cause chain that loops', () => {
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    (first as { cause?: unknown }).cause = second;
    expect(isDatabaseUnavailableError(first)).toBe(false);
  });
});
