import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import { systemIdentity } from '@flotilla/platform/grpc';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AUTH_AUDIT_SOURCE, AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { auditRows, createAuthServices, createTestUser } from '../testing/auth-services.fixture';
import { DirectoryUserGroupsRepository } from '../teams/directory-user-groups.repository';
import type { TokenRevocation } from '../users/account-revocations';
import type { AuthUser } from '../users/auth-user';

import type { MembershipChange } from './group-membership-decision';
import { TeamGroupRefresh } from './team-group-refresh';

const GROUP_A = 'S-1-5-21-1-2-3-1101';
const GROUP_B = 'S-1-5-21-1-2-3-1102';

/**
 * A pass that loses the database between two team groups (each group is its own transaction):
 * the group committed before the failure stays applied and its users are still announced to every
 * node, the error goes on to the scheduler, and the next pass finishes the rest without doing the
 * first group twice. The outage is injected at the DataSource's transaction(); everything else is
 * the real database.
 */
describe(`${TeamGroupRefresh.name} when the database fails mid-pass`, () => {
  let db: MigratedTestDatabase;
  let ann: AuthUser;
  let bob: AuthUser;
  const rows = new DirectoryUserGroupsRepository();
  const published: TokenRevocation[] = [];

  const refreshOver = (dataSource: DataSource) =>
    new TeamGroupRefresh(
      dataSource,
      { read: () => Promise.reject(new Error('not read in apply')), recordable: (ids) => [...ids] },
      { teamGroupIds: () => Promise.resolve([GROUP_A, GROUP_B]) },
      new AuditRecorder(AUTH_AUDIT_SOURCE),
      { published: (revocation) => (published.push(revocation), Promise.resolve()) },
      systemIdentity('directory-sync'),
    );

  /** The same database, but its second and later transactions fail as a dropped connection does. */
  function failingAfterFirstTransaction(dataSource: DataSource): DataSource {
    let transactions = 0;
    return new Proxy(dataSource, {
      get(target, property, receiver) {
        if (property !== 'transaction') return Reflect.get(target, property, receiver) as unknown;
        return (...args: Parameters<DataSource['transaction']>) =>
          ++transactions > 1
            ? Promise.reject(new Error('Connection terminated unexpectedly'))
            : target.transaction(...args);
      },
    });
  }

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations });
    const services = createAuthServices(db.dataSource);
    ann = await createTestUser(services, 'refresh.ann', []);
    bob = await createTestUser(services, 'refresh.bob', []);
    await rows.add(db.dataSource.manager, ann.id, GROUP_A);
    await rows.add(db.dataSource.manager, bob.id, GROUP_B);
  });
  afterAll(() => db.dispose());

  it('keeps and announces the group committed before the failure, and the next pass does the rest once', async () => {
    const changes: MembershipChange[] = [
      { groupId: GROUP_A, userId: ann.id, username: ann.username, change: 'removed' },
      { groupId: GROUP_B, userId: bob.id, username: bob.username, change: 'removed' },
    ];

    await expect(
      refreshOver(failingAfterFirstTransaction(db.dataSource)).apply({ groupsChecked: 2, changes }),
    ).rejects.toThrow('Connection terminated unexpectedly');
    await expect(rows.groupsOf(db.dataSource.manager, ann.id)).resolves.toEqual([]);
    await expect(rows.groupsOf(db.dataSource.manager, bob.id)).resolves.toEqual([GROUP_B]);
    expect(published.map((revocation) => revocation.userId)).toEqual([ann.id]);

    // The next pass (its plan read from the table would hold bob's change only; replaying both
    // shows that ann's is not done, counted or announced twice).
    await expect(refreshOver(db.dataSource).apply({ groupsChecked: 2, changes })).resolves.toEqual({
      added: 0,
      removed: 1,
    });
    await expect(rows.groupsOf(db.dataSource.manager, bob.id)).resolves.toEqual([]);
    expect(published.map((revocation) => revocation.userId)).toEqual([ann.id, bob.id]);
    const left = await auditRows(db.dataSource, 'user.team-group-left-in-directory');
    expect(left.map((row) => row.resourceId).sort()).toEqual([ann.id, bob.id].sort());
  });
});
