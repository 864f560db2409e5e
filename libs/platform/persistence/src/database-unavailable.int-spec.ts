import { Client } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';

import { createDataSource } from './data-source.factory';
import { isDatabaseUnavailableError } from './database-unavailable';

/**
 * The test PostgreSQL, as jest's global setup exported it (read directly: @flotilla/testing
 * depends on this library).
 */
function serverUrl(): string {
  const base = process.env['FLOTILLA_TEST_PG_BASE_URL'];
  if (!base) throw new Error('FLOTILLA_TEST_PG_BASE_URL is not set: run through jest');
  return `${base}/postgres`;
}

const TERMINATE_MYSELF = 'SELECT pg_terminate_backend(pg_backend_pid())';

describe(`${isDatabaseUnavailableError.name} against a real PostgreSQL`, () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await createDataSource(
      { dialect: 'postgres', url: serverUrl() },
      { entities: [], applicationName: 'flotilla-test-unavailable', poolSize: 2 },
    ).initialize();
  });
  afterAll(() => dataSource.destroy());

  it('is true for a connection the server terminates (57P01), and for the dead client afterwards', async () => {
    const client = new Client({ connectionString: serverUrl() });
    client.on('error', () => undefined); // the server's goodbye also arrives as an event
    await client.connect();
    try {
      const terminated = (await client.query(TERMINATE_MYSELF).then(
        () => undefined,
        (error: unknown) => error,
      )) as Error & { code?: string };

      expect(terminated.code).toBe('57P01');
      expect(terminated.message).toBe('terminating connection due to administrator command');
      expect(isDatabaseUnavailableError(terminated)).toBe(true);

      const afterwards = await client.query('SELECT 1').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(afterwards).toBeInstanceOf(Error);
      expect(isDatabaseUnavailableError(afterwards)).toBe(true);
    } finally {
      await client.end().catch(() => undefined);
    }
  });

  it('is true for the same error as TypeORM throws it, and for the pool’s dead connection after it', async () => {
    const terminated = await dataSource.query(TERMINATE_MYSELF).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(terminated).toBeInstanceOf(QueryFailedError);
    expect((terminated as QueryFailedError).driverError).toMatchObject({ code: '57P01' });
    expect(isDatabaseUnavailableError(terminated)).toBe(true);
    // The pool may hand out the terminated connection once more before it notices it closed (as
    // during a server restart); that failure is a connection error too, and a retry is served.
    const next = await dataSource.query('SELECT 1 AS one').then(
      (rows: unknown) => rows,
      (error: unknown) => error,
    );
    if (next instanceof Error) {
      expect(isDatabaseUnavailableError(next)).toBe(true);
      await expect(dataSource.query('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
    } else expect(next).toEqual([{ one: 1 }]);
  });

  it('is false for errors about the statement itself', async () => {
    const failures = await Promise.all(
      [
        'SELECT 1 / 0',
        'SELECT * FROM no_such_table',
        "SELECT 'x'::integer",
        'CREATE TEMP TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (1)',
      ].map((sql) =>
        dataSource.query(sql).then(
          () => new Error(`${sql} succeeded`),
          (error: unknown) => error,
        ),
      ),
    );

    for (const failure of failures) {
      expect(failure).toBeInstanceOf(QueryFailedError);
      expect(isDatabaseUnavailableError(failure)).toBe(false);
    }
  });
});
