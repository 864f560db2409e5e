import { readFileSync } from 'node:fs';

import { Attribute, Change, Client } from 'ldapts';

import { Role } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import type { DirectoryConfig } from '@flotilla/platform/config';
import {
  createMigratedTestDatabase,
  MigratedTestDatabase,
  SAMBA_AD_ADMINISTRATOR_PASSWORD,
  SambaAd,
  startSambaAd,
} from '@flotilla/testing';

import { createCredentialVerifier } from '../credentials/credential-verifier.provider';
import {
  sambaDirectoryConfig,
  seededUser,
  setUserAccountControl,
  readObjectSid,
} from '../directory/testing/samba-directory-config.test-support';
import { ScryptPasswordHasher } from '../passwords/scrypt-password-hasher';
import { AUTH_AUDIT_SOURCE, AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { UserEntity } from '../persistence/user.entity';
import { UsersRepository } from '../persistence/users.repository';
import { DirectoryUserGroupsRepository } from '../teams/directory-user-groups.repository';

import type { DirectorySyncService } from './directory-sync.service';
import { TeamGroupsHarness } from './team-groups.test-support';

/**
 * Team grants through directory groups follow the directory between sign-ins (issue 10): against
 * a real Samba AD DC (basic seed: alice in level1 in level2 in level3; carol's primary group is
 * `primary`; bob in cycleA <-> cycleB), with accounts made by real directory sign-ins and grants
 * read through the real ValidateToken, a pass of the directory sync takes a team's roles from a
 * user taken out of its (nested) group and gives them to one put in, on sessions and API keys.
 */
let ad: SambaAd;
let db: MigratedTestDatabase;
let admin: Client;
let harness: TeamGroupsHarness;
let sync: DirectorySyncService;
const sids: Record<string, string> = {};
const ids: Record<string, string> = {};

const seeded = (key: string) => seededUser(ad, key);
const group = (key: string) => {
  const found = ad.groups[key];
  if (!found) throw new Error(`the seed has no group ${key}`);
  return found;
};
const sid = (key: string): string => {
  const found = sids[key];
  if (!found) throw new Error(`no objectSid read for ${key}`);
  return found;
};
const config = (): DirectoryConfig => sambaDirectoryConfig(ad, { cooldownMs: 0 });

async function setMember(groupKey: string, userKey: string, operation: 'add' | 'delete'): Promise<void> {
  await admin.modify(
    group(groupKey).dn,
    new Change({ operation, modification: new Attribute({ type: 'member', values: [seeded(userKey).dn] }) }),
  );
}

const setAccountControl = (userKey: string, value: 512 | 514) =>
  setUserAccountControl(admin, seeded(userKey).dn, value);

const accountOf = (userId: string) => db.dataSource.getRepository(UserEntity).findOneByOrFail({ id: userId });

const groupsOf = (userKey: string) =>
  new DirectoryUserGroupsRepository().groupsOf(db.dataSource.manager, ids[userKey] ?? '');

beforeAll(async () => {
  [ad, db] = await Promise.all([
    startSambaAd({ seed: 'basic' }),
    createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations }),
  ]);
  admin = new Client({
    url: ad.ldapsUrl,
    tlsOptions: { ca: readFileSync(ad.caFile, 'utf8'), servername: ad.hostName },
  });
  await admin.bind(`CN=Administrator,CN=Users,${ad.baseDn}`, SAMBA_AD_ADMINISTRATOR_PASSWORD);
  for (const key of Object.keys(ad.groups)) sids[key] = await readObjectSid(admin, group(key).dn);
  // Accounts and their first group rows come from real directory sign-ins.
  const verifier = createCredentialVerifier(
    db.dataSource,
    new UsersRepository(),
    new ScryptPasswordHasher(),
    new AuditRecorder(AUTH_AUDIT_SOURCE),
    config(),
  );
  for (const key of ['alice', 'bob', 'primary', 'special']) {
    const user = await verifier.verify(seeded(key).upn, seeded(key).password, { clientIp: '192.0.2.61' });
    if (!user) throw new Error(`${key} must sign in`);
    ids[key] = user.id;
  }
  harness = new TeamGroupsHarness(db.dataSource);
  // Teams by nested group (level3), by primary group, by a group in a cycle, and by a group outside
  // the group base (sign-in never records it, so the sync must not either).
  // Only the level3 team grants Deployer: mayDeploy tells whether that group's row is there.
  await harness.teamOfGroup('Deployers by nesting', sid('level3'), Role.Deployer);
  await harness.teamOfGroup('Primary staff', sid('primary'), Role.Auditor);
  await harness.teamOfGroup('Cycle', sid('cycleB'), Role.Auditor);
  await harness.teamOfGroup('Outside the group base', sid('outside'), Role.Auditor);
  // A DN with `, # ( ) \ *` and non-ASCII: its members are found by memberOf equality on it.
  await harness.teamOfGroup('Special', sid('special'), Role.Auditor);
  sync = harness.sync(config(), 'team-groups-spec');
}, 180_000);

afterAll(async () => {
  ad?.resume();
  await admin?.unbind().catch(() => undefined);
  await Promise.all([ad?.stop(), db?.dispose()]);
});

function id(key: string): string {
  const found = ids[key];
  if (!found) throw new Error(`${key} has no account`);
  return found;
}

describe('Team groups in the directory sync (Samba AD)', () => {
  it('changes no row that sign-in wrote: nested, primary, cyclic, special-character and outside-the-base groups read as sign-in reads them', async () => {
    const before = await Promise.all(['alice', 'bob', 'primary', 'special'].map(groupsOf));
    expect(await sync.tick()).toBe('succeeded');
    expect(await sync.status()).toMatchObject({
      teamGroupsChecked: 5,
      groupMembershipsAdded: 0,
      groupMembershipsRemoved: 0,
    });
    const after = await Promise.all(['alice', 'bob', 'primary', 'special'].map(groupsOf));
    expect(after.map((groups) => groups.sort())).toEqual(before.map((groups) => groups.sort()));
    expect(await groupsOf('alice')).toContain(sid('level3'));
    expect(await groupsOf('alice')).not.toContain(sid('outside'));
    expect(await groupsOf('primary')).toContain(sid('primary'));
    expect(await groupsOf('bob')).toContain(sid('cycleB'));
    expect(await groupsOf('special')).toContain(sid('special'));
  });

  it("takes the team's role from a user taken out of the nested group at the next pass, on session and API key, without a sign-in", async () => {
    const session = await harness.openSession(id('alice'));
    const apiKey = await harness.createApiKey(id('alice'));
    expect(await harness.mayDeploy(session)).toBe(true);
    expect(await harness.mayDeploy(apiKey)).toBe(true);
    await setMember('level1', 'alice', 'delete');
    try {
      expect(await harness.nextPass(sync)).toBe('succeeded');
      expect(await harness.mayDeploy(session)).toBe(false);
      expect(await harness.mayDeploy(apiKey)).toBe(false);
      // The account itself is untouched: only the group's grant went.
      await expect(harness.validator.validate(session)).resolves.toMatchObject({ userId: id('alice') });
      expect(harness.published).toContainEqual({ userId: id('alice'), reason: 'directory-team-group-left' });
      expect(await harness.auditedGroupChanges(id('alice'))).toEqual([[sid('level3'), 'removed']]);
      expect(await sync.status()).toMatchObject({ groupMembershipsAdded: 0, groupMembershipsRemoved: 1 });
      // special is still in level1: kept.
      expect(await groupsOf('special')).toContain(sid('level3'));
    } finally {
      await setMember('level1', 'alice', 'add');
    }
    expect(await harness.nextPass(sync)).toBe('succeeded');
    expect(await harness.mayDeploy(session)).toBe(true);
    expect(await sync.status()).toMatchObject({ groupMembershipsAdded: 1, groupMembershipsRemoved: 0 });
  });

  it("gives the team's role to a user put into a nested group at the next pass", async () => {
    const session = await harness.openSession(id('bob'));
    const apiKey = await harness.createApiKey(id('bob'));
    expect(await harness.mayDeploy(session)).toBe(false);
    await setMember('level2', 'bob', 'add');
    try {
      expect(await harness.nextPass(sync)).toBe('succeeded');
      expect(await harness.mayDeploy(session)).toBe(true);
      expect(await harness.mayDeploy(apiKey)).toBe(true);
      expect(await harness.auditedGroupChanges(id('bob'))).toEqual([[sid('level3'), 'added']]);
      expect(await sync.status()).toMatchObject({ groupMembershipsAdded: 1, groupMembershipsRemoved: 0 });
    } finally {
      await setMember('level2', 'bob', 'delete');
    }
    expect(await harness.nextPass(sync)).toBe('succeeded');
    expect(await harness.mayDeploy(session)).toBe(false);
  });

  it('changes nothing while the DC does not answer, and records the pass as aborted', async () => {
    const session = await harness.openSession(id('alice'));
    await setMember('level1', 'alice', 'delete');
    try {
      ad.suspend();
      try {
        expect(await harness.nextPass(sync)).toBe('failed');
      } finally {
        ad.resume();
      }
      expect(await harness.mayDeploy(session)).toBe(true);
      expect(await groupsOf('alice')).toContain(sid('level3'));
      const status = await sync.status();
      expect(status.directoryReachable).toBe(false);
      expect(status.lastFailureAt).toBe(status.lastAttemptAt);
    } finally {
      await setMember('level1', 'alice', 'add');
    }
  });

  it('leaves team groups as they were when a team names a group the directory does not have, but still revokes a disabled account', async () => {
    const missing = `${sid('level3').replace(/-\d+$/, '')}-987654`;
    const team = await harness.teamOfGroup('Deleted group', missing);
    await setMember('level1', 'alice', 'delete');
    await setAccountControl('bob', 514);
    try {
      expect(await harness.nextPass(sync)).toBe('partial');
      const status = await sync.status();
      expect(status.teamGroupsFailureReason).toMatch(/team group .* is not in the directory/);
      expect(status.lastFailureReason).toBeUndefined();
      expect(status.directoryReachable).toBe(true);
      expect(await groupsOf('alice')).toContain(sid('level3'));
      // A team naming a deleted group must not keep a disabled directory account signed in.
      expect((await accountOf(id('bob'))).isActive).toBe(false);
    } finally {
      await setMember('level1', 'alice', 'add');
      await setAccountControl('bob', 512);
      await harness.deleteTeam(team);
    }
    expect(await harness.nextPass(sync)).toBe('succeeded');
    expect((await accountOf(id('bob'))).isActive).toBe(true);
    expect((await sync.status()).teamGroupsFailureReason).toBeUndefined();
  });

  it('refuses an answer that would empty a group of two or more members', async () => {
    // level3 holds alice and special (both through level1): both taken out at once.
    await setMember('level1', 'alice', 'delete');
    await setMember('level1', 'special', 'delete');
    try {
      expect(await harness.nextPass(sync)).toBe('partial');
      expect((await sync.status()).teamGroupsFailureReason).toMatch(
        /none of the 2 members of the team group/,
      );
      expect(await groupsOf('alice')).toContain(sid('level3'));
      expect(await groupsOf('special')).toContain(sid('level3'));
    } finally {
      await setMember('level1', 'alice', 'add');
      await setMember('level1', 'special', 'add');
    }
    expect(await harness.nextPass(sync)).toBe('succeeded');
  });
});
