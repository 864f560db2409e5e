import { status } from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';

import { Role } from '@flotilla/api-interfaces';
import { auditOutboxTable } from '@flotilla/audit/outbox';
import { FORWARDED_FOR_MAX_LENGTH } from '@flotilla/platform/grpc';
import { dialectSql } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AUTH_AUDIT_SOURCE, AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { SessionEntity } from '../persistence/session.entity';
import { UserEntity } from '../persistence/user.entity';
import { hashSecret } from '../tokens/secret-tokens';
import { INVALID_TOKEN } from '../tokens/token-validator';
import {
  auditRows,
  AuthServices,
  clearAudit,
  createAuthServices,
  createTestUser,
  originOf,
  rpcFailure,
} from '../testing/auth-services.fixture';

import { INVALID_CREDENTIALS, SessionService } from './session.service';

describe(SessionService.name, () => {
  let db: MigratedTestDatabase;
  let services: AuthServices;
  let sut: SessionService;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations });
    services = createAuthServices(db.dataSource, 8);
    sut = services.sessionService;
    await createTestUser(services, 'Jane.Doe', [Role.Auditor]);
  });
  afterAll(() => db.dispose());
  beforeEach(() => clearAudit(db.dataSource));

  /** The database's UTC now (SQL Server's CURRENT_TIMESTAMP is the server's local time). */
  async function dbNow(): Promise<Date> {
    const [row] = await db.dataSource.query<{ now: Date }[]>(`SELECT ${dialectSql(db.dialect).now} AS now`);
    return row?.now ?? new Date(NaN);
  }

  /** Moves a session column to the database's now plus `ms` (negative: into the past). */
  async function setSessionTime(column: 'expires_at' | 'last_seen_at', ms: number, tokenHash: string) {
    const sql = dialectSql(db.dialect);
    await db.dataSource.query(
      `UPDATE sessions SET ${column} = ${sql.nowPlusMs(sql.param(1))} WHERE token_hash = ${sql.param(2)}`,
      [ms, tokenHash],
    );
  }

  const disable = (where: { username: string } | { id: string }) =>
    db.dataSource.getRepository(UserEntity).update(where, { isActive: false });

  /**
   * Renames a table, to take the outbox away. PostgreSQL has ALTER TABLE … RENAME; SQL Server has
   * sp_rename, whose object type Babelfish requires ('OBJECT' is right on SQL Server too).
   */
  async function renameTable(from: string, to: string): Promise<void> {
    await db.dataSource.query(
      db.dialect === 'mssql'
        ? `EXEC sp_rename '${from}', '${to}', 'OBJECT'`
        : `ALTER TABLE ${from} RENAME TO ${to}`,
    );
  }

  it('signs in case-insensitively, expires by database time, stores only the hash and audits with the client IP', async () => {
    const session = await sut.login('jane.doe', 'Jane.Doe password!', originOf('203.0.113.9'));

    expect(session.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.user.username).toBe('Jane.Doe');
    const hoursAhead = (session.expiresAt.getTime() - (await dbNow()).getTime()) / 3_600_000;
    expect(hoursAhead).toBeGreaterThan(7.99);
    expect(hoursAhead).toBeLessThanOrEqual(8);
    const stored = await db.dataSource.query<{ token_hash: string }[]>('SELECT token_hash FROM sessions');
    expect(stored).toContainEqual({ token_hash: hashSecret(session.token) });
    expect(JSON.stringify(stored)).not.toContain(session.token);
    expect(await auditRows(db.dataSource)).toEqual([
      expect.objectContaining({
        action: 'user.login',
        actorId: session.user.id,
        actorName: 'Jane.Doe',
        clientIp: '203.0.113.9',
      }),
    ]);

    await expect(services.tokenValidator.validate(session.token)).resolves.toEqual(
      expect.objectContaining({
        userId: session.user.id,
        credential: 'session',
        permissions: expect.arrayContaining(['EventView']) as string[],
      }),
    );
  });

  it('refuses a wrong password, an unknown user and a disabled user alike, and commits a failed-login audit row each', async () => {
    await createTestUser(services, 'disabled.user');
    await disable({ username: 'disabled.user' });
    await clearAudit(db.dataSource);

    const failures = [
      await rpcFailure(sut.login('Jane.Doe', 'wrong password!!', originOf('203.0.113.10'))),
      await rpcFailure(sut.login('nobody', 'whatever password', originOf('203.0.113.11'))),
      await rpcFailure(sut.login('disabled.user', 'disabled.user password!', originOf('203.0.113.12'))),
    ];

    expect(failures).toEqual(Array(3).fill({ code: status.UNAUTHENTICATED, message: INVALID_CREDENTIALS }));
    const rows = await auditRows(db.dataSource);
    expect(rows.map((row) => [row.action, row.clientIp, JSON.parse(row.details) as unknown])).toEqual([
      ['user.login-failed', '203.0.113.10', { username: 'Jane.Doe' }],
      ['user.login-failed', '203.0.113.11', { username: 'nobody' }],
      ['user.login-failed', '203.0.113.12', { username: 'disabled.user' }],
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/password/);
  });

  describe('whatever the client origin holds', () => {
    const twoKb = `${'203.0.113.50, '.repeat(140)}<script>x</script>`;
    const origins = [
      { name: 'a 2 KB raw header', origin: originOf('203.0.113.50', twoKb) },
      // An older gateway put the header's entry itself in the client IP.
      { name: 'non-address text as the client IP', origin: originOf('<script>x</script>') },
      { name: '2 KB of text as the client IP', origin: originOf('9'.repeat(2048)) },
    ];

    it.each(origins)('commits the failed sign-in and the sign-in, with $name', async ({ origin }) => {
      await expect(rpcFailure(sut.login('Jane.Doe', 'wrong password!!', origin))).resolves.toEqual({
        code: status.UNAUTHENTICATED,
        message: INVALID_CREDENTIALS,
      });
      await sut.login('Jane.Doe', 'Jane.Doe password!', origin);

      const rows = await auditRows(db.dataSource);
      expect(rows.map((row) => row.action)).toEqual(['user.login-failed', 'user.login']);
      for (const row of rows) {
        expect(['203.0.113.50', '']).toContain(row.clientIp);
        expect(row.forwardedFor.length).toBeGreaterThan(0);
        expect(row.forwardedFor.length).toBeLessThanOrEqual(FORWARDED_FOR_MAX_LENGTH);
      }
    });

    it('stores the valid client IP and the raw header cut with its marker', async () => {
      await rpcFailure(sut.login('nobody', 'wrong password!!', originOf('::ffff:203.0.113.50', twoKb)));
      const [row] = await auditRows(db.dataSource, 'user.login-failed');
      expect(row?.clientIp).toBe('203.0.113.50');
      expect(row?.forwardedFor).toHaveLength(FORWARDED_FOR_MAX_LENGTH);
      expect(row?.forwardedFor).toMatch(
        new RegExp(`^(203\\.0\\.113\\.50, )+.*\\.\\.\\.\\[cut, ${twoKb.length} characters\\]\\.\\.\\.`),
      );
    });

    it('audits a username the database could not even look up (NUL) and answers 401', async () => {
      await expect(
        rpcFailure(sut.login('jane\u0000doe', 'wrong password!!', originOf('192.0.2.1'))),
      ).resolves.toEqual({
        code: status.UNAUTHENTICATED,
        message: INVALID_CREDENTIALS,
      });
      expect(await auditRows(db.dataSource)).toEqual([
        expect.objectContaining({
          action: 'user.login-failed',
          resourceId: 'jane\\x00doe',
          clientIp: '192.0.2.1',
        }),
      ]);
    });
  });

  it('answers 401, not 500, when the failed-sign-in audit cannot be written (outbox gone), and logs it', async () => {
    const outbox = auditOutboxTable(AUTH_AUDIT_SOURCE);
    const logged: unknown[] = [];
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => {
      logged.push(message);
    });
    await renameTable(outbox, `${outbox}_away`);
    try {
      await expect(
        rpcFailure(sut.login('Jane.Doe', 'wrong password!!', originOf('192.0.2.2'))),
      ).resolves.toEqual({
        code: status.UNAUTHENTICATED,
        message: INVALID_CREDENTIALS,
      });
    } finally {
      await renameTable(`${outbox}_away`, outbox);
      errors.mockRestore();
    }
    // The query logger reports the failed INSERT too; the service adds what was lost.
    expect(logged).toContainEqual(
      expect.stringMatching(
        /^AUDIT LOST: failed sign-in for "Jane\.Doe" from 192\.0\.2\.2 could not be recorded: /,
      ),
    );
  });

  it('opens sessions of the longest configurable length (FLOTILLA_SESSION_HOURS=720) by the database clock', async () => {
    const longest = createAuthServices(db.dataSource, 720).sessionService;

    const session = await longest.login('Jane.Doe', 'Jane.Doe password!', originOf(''));

    const hoursAhead = (session.expiresAt.getTime() - (await dbNow()).getTime()) / 3_600_000;
    expect(hoursAhead).toBeGreaterThan(719.99);
    expect(hoursAhead).toBeLessThanOrEqual(720);
    await expect(services.tokenValidator.validate(session.token)).resolves.toMatchObject({
      credential: 'session',
    });
  });

  it('rejects a session whose expiry has passed by the database clock', async () => {
    const session = await sut.login('Jane.Doe', 'Jane.Doe password!', originOf(''));
    await setSessionTime('expires_at', -1_000, hashSecret(session.token));

    await expect(rpcFailure(services.tokenValidator.validate(session.token))).resolves.toEqual({
      code: status.UNAUTHENTICATED,
      message: INVALID_TOKEN,
    });
  });

  it('stops honouring the sessions of a user who is disabled', async () => {
    const user = await createTestUser(services, 'soon.disabled');
    const session = await sut.login('soon.disabled', 'soon.disabled password!', originOf(''));
    await disable({ id: user.id });

    await expect(rpcFailure(services.tokenValidator.validate(session.token))).resolves.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
  });

  it('records last_seen_at at most once a minute', async () => {
    const session = await sut.login('Jane.Doe', 'Jane.Doe password!', originOf(''));
    const tokenHash = hashSecret(session.token);
    const lastSeen = async () =>
      (await db.dataSource.getRepository(SessionEntity).findOneByOrFail({ tokenHash })).lastSeenAt;
    await setSessionTime('last_seen_at', -5 * 60_000, tokenHash);
    const before = await lastSeen();

    await services.tokenValidator.validate(session.token);
    const touched = await lastSeen();
    await services.tokenValidator.validate(session.token);
    const again = await lastSeen();

    const now = await dbNow();
    expect(touched.getTime()).toBeGreaterThan(before.getTime() + 4 * 60_000);
    expect(touched.getTime()).toBeLessThanOrEqual(now.getTime());
    expect(again).toEqual(touched);
  });

  it('audits one sign-out when two arrive at once for the same token', async () => {
    const session = await sut.login('Jane.Doe', 'Jane.Doe password!', originOf(''));
    await clearAudit(db.dataSource);

    await Promise.all([sut.logout(session.token, originOf('')), sut.logout(session.token, originOf(''))]);

    expect((await auditRows(db.dataSource)).map((row) => row.action)).toEqual(['user.logout']);
  });

  it('signs out: the token stops working and the sign-out is audited once', async () => {
    const session = await sut.login('Jane.Doe', 'Jane.Doe password!', originOf(''));
    await clearAudit(db.dataSource);

    await sut.logout(session.token, originOf('203.0.113.20'));
    await sut.logout(session.token, originOf('203.0.113.20'));

    await expect(rpcFailure(services.tokenValidator.validate(session.token))).resolves.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    expect(await auditRows(db.dataSource)).toEqual([
      expect.objectContaining({
        action: 'user.logout',
        actorName: 'Jane.Doe',
        resourceId: session.user.id,
        clientIp: '203.0.113.20',
      }),
    ]);
  });
});
