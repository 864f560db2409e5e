import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AuthEntities, AuthMigrations } from '../persistence/auth-entities';

import { ClusterLease } from './cluster-lease';

describe(ClusterLease.name, () => {
  let db: MigratedTestDatabase;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations });
  });
  afterAll(() => db.dispose());

  it('lets exactly one of many concurrent contenders take a free lease', async () => {
    const lease = new ClusterLease(db.dataSource, 'race');
    const outcomes = await Promise.all(
      ['node-a', 'node-b', 'node-c', 'node-d'].map((holder) => lease.tryAcquire(holder, 60_000)),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(1);
  });

  it('refuses an unexpired lease to everyone, its holder included (once per interval)', async () => {
    const lease = new ClusterLease(db.dataSource, 'held');
    expect(await lease.tryAcquire('node-a', 60_000)).toBe(true);
    expect(await lease.tryAcquire('node-b', 60_000)).toBe(false);
    expect(await lease.tryAcquire('node-a', 60_000)).toBe(false);
  });

  it('lets another node take the lease once it expired, and exactly one of two racing for it', async () => {
    const lease = new ClusterLease(db.dataSource, 'expiring');
    expect(await lease.tryAcquire('node-a', 200)).toBe(true);
    expect(await lease.tryAcquire('node-b', 60_000)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const outcomes = await Promise.all([
      lease.tryAcquire('node-b', 60_000),
      lease.tryAcquire('node-c', 60_000),
    ]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const rows = await db.dataSource.query<{ holder: string }[]>(
      "SELECT holder FROM directory_sync_lease WHERE lease_name = 'expiring'",
    );
    expect(rows.map((row) => row.holder)).toEqual([outcomes[0] ? 'node-b' : 'node-c']);
  });

  it('keeps leases of different names apart', async () => {
    expect(await new ClusterLease(db.dataSource, 'one').tryAcquire('node-a', 60_000)).toBe(true);
    expect(await new ClusterLease(db.dataSource, 'two').tryAcquire('node-b', 60_000)).toBe(true);
  });
});
