import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AuthEntities, AuthMigrations } from '../persistence/auth-entities';

import { DatabaseThrottleCounters } from './database-throttle-counters';
import { itBehavesLikeThrottleCounters } from './testing/throttle-counters-behaviour';

describe(DatabaseThrottleCounters.name, () => {
  let db: MigratedTestDatabase;
  let sut: DatabaseThrottleCounters;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations });
    sut = new DatabaseThrottleCounters(db.dataSource);
  });
  afterAll(() => db.dispose());

  itBehavesLikeThrottleCounters(() => sut);

  it('counts concurrent attempts on a counter no row exists for yet exactly (the insert race)', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () => sut.reserve([{ key: 'account:fresh', max: 100 }], 60_000)),
    );
    const counts = outcomes.map((reservation) => (reservation.granted ? reservation.counts[0] : 0));
    expect([...counts].sort((a = 0, b = 0) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('sweeps counters whose window has ended', async () => {
    const sweeping = new DatabaseThrottleCounters(db.dataSource);
    await sweeping.reserve([{ key: 'account:stale', max: 5 }], 100);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // A fresh instance sweeps on its first reserve.
    await new DatabaseThrottleCounters(db.dataSource).reserve([{ key: 'account:other', max: 5 }], 60_000);
    const rows = await db.dataSource.query<{ throttle_key: string }[]>(
      "SELECT throttle_key FROM sign_in_throttle WHERE throttle_key = 'account:stale'",
    );
    expect(rows).toEqual([]);
  });
});
