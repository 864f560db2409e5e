import { readFileSync } from 'node:fs';

import { Attribute, Change, Client } from 'ldapts';
import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import { createDataSource, runMigrations } from '@flotilla/platform/persistence';
import {
  createTestDatabase,
  RestartablePostgres,
  SAMBA_AD_ADMINISTRATOR_PASSWORD,
  SambaAd,
  startRestartablePostgres,
  startSambaAd,
  TestDatabase,
} from '@flotilla/testing';

import { createCredentialVerifier } from '../credentials/credential-verifier.provider';
import { sambaDirectoryConfig, seededUser } from '../directory/testing/samba-directory-config.test-support';
import { ScryptPasswordHasher } from '../passwords/scrypt-password-hasher';
import { AUTH_AUDIT_SOURCE, AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { UserEntity } from '../persistence/user.entity';
import { UsersRepository } from '../persistence/users.repository';
import type { TokenRevocation, TokenRevocations } from '../users/account-revocations';
import { AccountStateRepository } from '../users/account-state.repository';

import { ClusterLease } from './cluster-lease';
import { DirectoryAccountReader } from './directory-account-reader';
import { DirectorySyncRepository } from './directory-sync.repository';
import { DirectorySyncRun, DirectorySyncService } from './directory-sync.service';

/**
 * The sync's cluster lease while PostgreSQL restarts (a server of this spec's own, so nothing else
 * is touched): two "nodes" (each its own connection pool, as two auth processes have) tick against
 * it. While the database is down every tick fails (the scheduler logs it and ticks again) and
 * nobody is changed; once it is back the pools recover by themselves, one node, never both, takes
 * the lease, and that pass does what the directory says.
 */
const LEASE_TTL_MS = 1500;
let postgres: RestartablePostgres;
let database: TestDatabase;
let ad: SambaAd;
const pools: DataSource[] = [];
const nodes: DirectorySyncService[] = [];
const published: TokenRevocation[] = [];
const revocations: TokenRevocations = {
  published: (revocation) => {
    published.push(revocation);
    return Promise.resolve();
  },
};
let aliceId: string;
let bobId: string;

const seeded = (key: string) => seededUser(ad, key);
const config = () => sambaDirectoryConfig(ad, { cooldownMs: 0 });

/** As DirectorySyncScheduler ticks: a failure (the database) is logged there, and the next tick comes. */
const tickAsScheduled = (node: DirectorySyncService): Promise<DirectorySyncRun | 'error'> =>
  node.tick().catch(() => 'error' as const);

/** Both nodes tick at once, after the lease a previous run took has expired. */
async function bothTick(): Promise<(DirectorySyncRun | 'error')[]> {
  await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS + 200));
  return Promise.all(nodes.map(tickAsScheduled));
}

async function disableInDirectory(key: string): Promise<void> {
  const admin = new Client({
    url: ad.ldapsUrl,
    tlsOptions: { ca: readFileSync(ad.caFile, 'utf8'), servername: ad.hostName },
  });
  await admin.bind(`CN=Administrator,CN=Users,${ad.baseDn}`, SAMBA_AD_ADMINISTRATOR_PASSWORD);
  try {
    await admin.modify(
      seeded(key).dn,
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'userAccountControl', values: ['514'] }),
      }),
    );
  } finally {
    await admin.unbind();
  }
}

const isActive = async (id: string) =>
  (await pools[0].getRepository(UserEntity).findOneByOrFail({ id })).isActive;

beforeAll(async () => {
  [postgres, ad] = await Promise.all([startRestartablePostgres(), startSambaAd({ seed: 'basic' })]);
  database = await createTestDatabase({ dialect: 'postgres', baseUrl: postgres.baseUrl });
  const parts = { entities: AuthEntities, migrations: AuthMigrations };
  await runMigrations(createDataSource(database, { ...parts, applicationName: 'flotilla-test-migrate' }));
  for (const name of ['node-a', 'node-b']) {
    const pool = await createDataSource(database, {
      ...parts,
      applicationName: `flotilla-test-${name}`,
    }).initialize();
    pools.push(pool);
    nodes.push(
      new DirectorySyncService(
        pool,
        new DirectoryAccountReader(config()),
        new DirectorySyncRepository(pool),
        new AccountStateRepository(),
        new AuditRecorder(AUTH_AUDIT_SOURCE),
        revocations,
        new ClusterLease(pool, 'directory-sync'),
        name,
        LEASE_TTL_MS,
      ),
    );
  }
  const first = pools[0];
  const verifier = createCredentialVerifier(
    first,
    new UsersRepository(),
    new ScryptPasswordHasher(),
    new AuditRecorder(AUTH_AUDIT_SOURCE),
    config(),
  );
  const signIn = async (key: string) => {
    const user = await verifier.verify(seeded(key).upn, seeded(key).password, { clientIp: '192.0.2.9' });
    if (!user) throw new Error(`${key} must sign in`);
    return user.id;
  };
  [aliceId, bobId] = [await signIn('alice'), await signIn('bob')];
}, 240_000);

afterAll(async () => {
  await postgres?.start().catch(() => undefined);
  await Promise.all(pools.map((pool) => pool.destroy().catch(() => undefined)));
  await database?.drop().catch(() => undefined);
  await Promise.all([postgres?.dispose(), ad?.stop()]);
}, 120_000);

describe('directory sync lease while PostgreSQL restarts (two nodes, Samba AD)', () => {
  it('runs on exactly one node per interval before the restart', async () => {
    const runs = await bothTick();
    expect(runs.filter((run) => run === 'succeeded')).toHaveLength(1);
    expect(runs.filter((run) => run === 'skipped')).toHaveLength(1);
  });

  it('fails every tick while the database is down, changing nobody; after the restart one node runs the pass and it revokes whom the directory disabled meanwhile', async () => {
    await postgres.stop();
    try {
      await disableInDirectory('alice');
      expect(await bothTick()).toEqual(['error', 'error']);
      expect(published).toEqual([]);
    } finally {
      await postgres.start();
    }
    // The pools find their connections dead and open new ones; a tick that meets a dead one fails
    // like any database error and the next tick goes on (bounded: a stuck pool fails the test).
    let runs: (DirectorySyncRun | 'error')[] = [];
    for (let attempt = 0; attempt < 10 && !runs.includes('succeeded'); attempt++) runs = await bothTick();
    expect(runs.filter((run) => run === 'succeeded')).toHaveLength(1);
    expect(runs.filter((run) => run === 'skipped' || run === 'error')).toHaveLength(1);
    expect(await isActive(aliceId)).toBe(false);
    expect(await isActive(bobId)).toBe(true);
    expect(published).toEqual([{ userId: aliceId, reason: 'directory-disabled' }]);

    // And the lease is still once per interval, whichever node holds it.
    const next = await bothTick();
    expect(next.filter((run) => run === 'succeeded')).toHaveLength(1);
    expect(next.filter((run) => run === 'skipped')).toHaveLength(1);
    expect(published).toHaveLength(1);
  });
});
