import type { Client } from 'ldapts';

import type { DirectoryConfig } from '@flotilla/platform/config';
import type { MigratedTestDatabase, SambaAd } from '@flotilla/testing';

import {
  sambaDirectoryConfig,
  readObjectSid,
} from '../directory/testing/samba-directory-config.test-support';
import { UserEntity } from '../persistence/user.entity';

import type { DirectorySyncService } from './directory-sync.service';
import { BulkAccounts } from './bulk-accounts.test-support';
import {
  logWithLoadAverage,
  setGroupMember,
  startSambaSyncFixture,
  stopSambaSyncFixture,
  timedSyncPass,
} from './samba-sync.test-support';
import { TeamGroupsHarness } from './team-groups.test-support';

/**
 * FLOTILLA_DIRECTORY_ALLOWED_GROUPS in the directory sync at scale (bulk seed): 5,002 accounts
 * (the 5,000 bulk members, `many` who is in 1,500 groups, and bob who is in none of the allowed
 * ones) checked against one allowed group that everyone but bob reaches only through nesting:
 *
 *   allowed <- mid <- bulk5000 <- bulk-00001..05000
 *   allowed <- bulk-group-0001 <- many (and 1,499 other groups)
 *
 * Samba refuses an in-chain memberOf search over all users ("00002022: Indexed and full searches
 * both failed!") while one of them is in 1,500 groups; a sync pass that asked that way would abort
 * at every run, and nobody taken out of the allowed groups would ever be signed out (checked: a
 * membersAmong that searched the rule over all users failed the first pass with that error). Each
 * pass's time is logged with the load average (the machine is shared: for the report, not asserted).
 */
let ad: SambaAd;
let db: MigratedTestDatabase;
let admin: Client;
let harness: TeamGroupsHarness;
let sync: DirectorySyncService;
let accounts: BulkAccounts;

const allowedDn = () => `CN=flotilla-allowed-bulk,CN=Users,${ad.baseDn}`;
const midDn = () => `CN=flotilla-allowed-mid,CN=Users,${ad.baseDn}`;

const sidOf = (dn: string): Promise<string> => readObjectSid(admin, dn);

async function addGroup(dn: string, sam: string, members: string[]): Promise<void> {
  await admin.add(dn, {
    objectClass: 'group',
    sAMAccountName: sam,
    // A global security group, as the seed's.
    groupType: '-2147483646',
    member: members,
  });
}

const setMember = (groupDn: string, memberDn: string, operation: 'add' | 'delete'): Promise<void> =>
  setGroupMember(admin, groupDn, memberDn, operation);

const isActive = async (dn: string) =>
  (await db.dataSource.getRepository(UserEntity).findOneByOrFail({ id: accounts.idOf(dn) })).isActive;

const activeCount = () =>
  db.dataSource.getRepository(UserEntity).countBy({ source: 'directory', isActive: true });

async function timedPass(label: string) {
  const { outcome, status, ms } = await timedSyncPass(harness, sync);
  // The figure the report needs.
  logWithLoadAverage(
    `allowed groups bulk: ${label}: ${outcome} in ${ms} ms (${status.usersChecked} accounts, deactivated ${status.usersDeactivated}, reactivated ${status.usersReactivated}${status.lastFailureReason ? `, failure: ${status.lastFailureReason}` : ''})`,
  );
  return { outcome, status };
}

function seeded() {
  const big = ad.groups['bulk5000'];
  const many = ad.users['many'];
  const bob = ad.users['bob'];
  const manysGroup = ad.bulk?.groupsOfMany[0];
  const leaver = ad.bulk?.members[42];
  if (!big || !many || !bob || !manysGroup || !leaver) throw new Error('bulk seed incomplete');
  return { big, many, bob, manysGroup, leaver };
}

beforeAll(async () => {
  ({ ad, db, admin } = await startSambaSyncFixture('bulk'));
  accounts = await BulkAccounts.insert(
    admin,
    ad.baseDn,
    ad.netbiosDomain,
    '(|(sAMAccountName=bulk-*)(sAMAccountName=many-groups)(sAMAccountName=bob))',
    db.dataSource,
  );
  const { big, manysGroup } = seeded();
  await addGroup(midDn(), 'flotilla-allowed-mid', [big.dn]);
  await addGroup(allowedDn(), 'flotilla-allowed-bulk', [midDn(), manysGroup.dn]);
  const config: DirectoryConfig = sambaDirectoryConfig(ad, {
    groupBaseDn: ad.baseDn,
    timeoutMs: 30_000,
    cooldownMs: 0,
    allowedGroups: [await sidOf(allowedDn())],
  });
  harness = new TeamGroupsHarness(db.dataSource);
  // Accounts only: no team exists, the check measured is the allowed groups'.
  sync = harness.sync(config, 'allowed-groups-bulk-spec', false);
}, 600_000);

afterAll(() => stopSambaSyncFixture({ ad, db, admin }));

describe('Allowed groups in the directory sync at scale (Samba AD, bulk seed)', () => {
  it('keeps the nested members (the user in 1,500 groups too) and deactivates the one outside', async () => {
    const { many, bob, leaver } = seeded();
    expect(accounts.size).toBe(5002);
    const first = await timedPass('first pass');
    expect(first.outcome).toBe('succeeded');
    expect(first.status).toMatchObject({ usersChecked: 5002, usersDeactivated: 1 });
    expect(await isActive(bob.dn)).toBe(false);
    expect(await isActive(many.dn)).toBe(true);
    expect(await isActive(leaver.dn)).toBe(true);
    expect(await activeCount()).toBe(5001);
    expect(harness.published).toContainEqual({
      userId: accounts.idOf(bob.dn),
      reason: 'directory-not-in-allowed-groups',
    });
  }, 600_000);

  it('deactivates the user in 1,500 groups and a bulk member once out of the allowed group, and restores them when back', async () => {
    const { big, many, manysGroup, leaver } = seeded();
    await setMember(manysGroup.dn, many.dn, 'delete');
    await setMember(big.dn, leaver.dn, 'delete');
    try {
      const out = await timedPass('pass with two taken out');
      expect(out.outcome).toBe('succeeded');
      expect(out.status).toMatchObject({ usersDeactivated: 2 });
      expect(await isActive(many.dn)).toBe(false);
      expect(await isActive(leaver.dn)).toBe(false);
      expect(await activeCount()).toBe(4999);
      for (const dn of [many.dn, leaver.dn])
        expect(harness.published).toContainEqual({
          userId: accounts.idOf(dn),
          reason: 'directory-not-in-allowed-groups',
        });
    } finally {
      await setMember(manysGroup.dn, many.dn, 'add');
      await setMember(big.dn, leaver.dn, 'add');
    }
    const back = await timedPass('pass with both back');
    expect(back.outcome).toBe('succeeded');
    expect(back.status).toMatchObject({ usersReactivated: 2 });
    expect(await isActive(many.dn)).toBe(true);
    expect(await isActive(leaver.dn)).toBe(true);
    expect(await activeCount()).toBe(5001);
  }, 600_000);

  it('for comparison: the same accounts without allowed groups (what the check adds to a pass)', async () => {
    const open = harness.sync(
      sambaDirectoryConfig(ad, { groupBaseDn: ad.baseDn, timeoutMs: 30_000, cooldownMs: 0 }),
      'allowed-groups-bulk-off',
      false,
    );
    const { outcome, ms } = await timedSyncPass(harness, open);
    logWithLoadAverage(`allowed groups bulk: accounts-only pass (no allowed groups): ${outcome} in ${ms} ms`);
    expect(outcome).toBe('succeeded');
  }, 600_000);
});
