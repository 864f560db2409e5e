import { status } from '@grpc/grpc-js';
import type { Client } from 'ldapts';

import { AuditRecorder, auditOutboxTable } from '@flotilla/audit/outbox';
import type { DirectoryConfig } from '@flotilla/platform/config';
import { rpcErrorDetails } from '@flotilla/platform/grpc';
import type { MigratedTestDatabase, SambaAd } from '@flotilla/testing';

import { NOT_IN_ALLOWED_GROUP } from '../credentials/allowed-groups';
import { createCredentialVerifier } from '../credentials/credential-verifier.provider';
import {
  sambaDirectoryConfig,
  seededUser,
  readObjectSid,
} from '../directory/testing/samba-directory-config.test-support';
import { ScryptPasswordHasher } from '../passwords/scrypt-password-hasher';
import { AUTH_AUDIT_SOURCE } from '../persistence/auth-entities';
import { UserEntity } from '../persistence/user.entity';
import { UsersRepository } from '../persistence/users.repository';

import type { DirectorySyncService } from './directory-sync.service';
import { setGroupMember, startSambaSyncFixture, stopSambaSyncFixture } from './samba-sync.test-support';
import { TeamGroupsHarness } from './team-groups.test-support';

/**
 * FLOTILLA_DIRECTORY_ALLOWED_GROUPS against a real Samba AD DC (basic seed): sign-in accepts a
 * member by direct, nested and primary group and refuses the others; the sync revokes a user
 * taken out of the allowed groups and never revokes anyone while the DC does not answer.
 */
let ad: SambaAd;
let db: MigratedTestDatabase;
let admin: Client;
/** The sync as production wires it; no team exists here, so only the allowed groups act. */
let harness: TeamGroupsHarness;
const users = new UsersRepository();
const audit = new AuditRecorder(AUTH_AUDIT_SOURCE);
const origin = { clientIp: '192.0.2.44' };
/** objectSid of each seeded group, read from the DC (the SIDs are the domain's own). */
const sids: Record<string, string> = {};

const seeded = (key: string) => seededUser(ad, key);
const group = (key: string) => {
  const found = ad.groups[key];
  if (!found) throw new Error(`the seed has no group ${key}`);
  return found;
};
const config = (allowedGroups: string[]): DirectoryConfig =>
  sambaDirectoryConfig(ad, { cooldownMs: 0, allowedGroups });
const verifierFor = (allowedGroups: string[]) =>
  createCredentialVerifier(db.dataSource, users, new ScryptPasswordHasher(), audit, config(allowedGroups));

async function refusalOf(work: Promise<unknown>) {
  return rpcErrorDetails(
    await work.then(
      () => undefined,
      (error: unknown) => (error as { getError?: () => unknown }).getError?.() ?? error,
    ),
  );
}

const syncFor = (allowedGroups: string[], leaseName: string): DirectorySyncService =>
  harness.sync(config(allowedGroups), leaseName, false);

const setMember = (groupKey: string, userKey: string, operation: 'add' | 'delete'): Promise<void> =>
  setGroupMember(admin, group(groupKey).dn, seeded(userKey).dn, operation);

const accountOf = (id: string) => db.dataSource.getRepository(UserEntity).findOneByOrFail({ id });

beforeAll(async () => {
  ({ ad, db, admin } = await startSambaSyncFixture('basic'));
  for (const key of Object.keys(ad.groups)) sids[key] = await readObjectSid(admin, group(key).dn);
  harness = new TeamGroupsHarness(db.dataSource);
}, 180_000);

afterAll(() => stopSambaSyncFixture({ ad, db, admin }));

describe('Allowed groups at sign-in (Samba AD)', () => {
  it('accepts a member through nested groups (by SID) and through the primary group (by DN), refuses the rest', async () => {
    // level3 holds level2 holds level1 holds alice; carol's primary group is `primary`.
    const verifier = verifierFor([sids['level3'] ?? '', group('primary').dn.toLowerCase()]);
    expect(await verifier.verify(seeded('alice').upn, seeded('alice').password, origin)).toBeDefined();
    expect(await verifier.verify(seeded('primary').sam, seeded('primary').password, origin)).toBeDefined();

    const before = await db.dataSource.getRepository(UserEntity).countBy({ source: 'directory' });
    const refusal = await refusalOf(verifier.verify(seeded('bob').sam, seeded('bob').password, origin));
    expect(refusal?.code).toBe(status.PERMISSION_DENIED);
    expect(refusal?.message).toBe(`${NOT_IN_ALLOWED_GROUP.code}: ${NOT_IN_ALLOWED_GROUP.message}`);
    // No account is made for someone who may not sign in.
    expect(await db.dataSource.getRepository(UserEntity).countBy({ source: 'directory' })).toBe(before);
    const audited = await db.dataSource.query<{ details: string; client_ip: string }[]>(
      `SELECT details, client_ip FROM ${auditOutboxTable(AUTH_AUDIT_SOURCE)} WHERE action = 'user.login-refused'`,
    );
    expect(
      audited.map((row) => JSON.parse(row.details) as { reason: string; username: string }),
    ).toContainEqual(
      expect.objectContaining({ reason: NOT_IN_ALLOWED_GROUP.code, username: seeded('bob').sam }),
    );
    expect(audited.every((row) => row.client_ip === origin.clientIp)).toBe(true);
  });

  it('accepts a direct member and refuses a user only in other groups', async () => {
    const verifier = verifierFor([sids['cycleA'] ?? '']);
    expect(await verifier.verify(seeded('bob').upn, seeded('bob').password, origin)).toBeDefined();
    const refusal = await refusalOf(verifier.verify(seeded('alice').upn, seeded('alice').password, origin));
    expect(refusal?.message.startsWith(`${NOT_IN_ALLOWED_GROUP.code}: `)).toBe(true);
  });

  it('still answers a wrong password with the generic answer, not the group refusal', async () => {
    const verifier = verifierFor([sids['cycleA'] ?? '']);
    expect(await verifier.verify(seeded('alice').upn, 'Not-The-Password-1', origin)).toBeUndefined();
  });
});

describe('Allowed groups in the directory sync (Samba AD)', () => {
  let sync: DirectorySyncService;
  let aliceId: string;
  let bobId: string;
  let carolId: string;

  beforeAll(async () => {
    // Everyone signs in while any directory user may, then the groups are narrowed.
    const open = verifierFor([]);
    const signIn = async (key: string) => {
      const user = await open.verify(seeded(key).upn, seeded(key).password, origin);
      if (!user) throw new Error(`${key} must sign in`);
      return user.id;
    };
    [aliceId, bobId, carolId] = [await signIn('alice'), await signIn('bob'), await signIn('primary')];
    sync = syncFor([sids['level3'] ?? '', sids['primary'] ?? ''], 'allowed-groups-spec');
  });

  it('revokes at the first pass an account in none of the allowed groups, keeps the nested and primary members', async () => {
    const bobSession = await harness.openSession(bobId);
    expect(await sync.tick()).toBe('succeeded');
    expect((await accountOf(bobId)).isActive).toBe(false);
    expect((await accountOf(aliceId)).isActive).toBe(true);
    expect((await accountOf(carolId)).isActive).toBe(true);
    await expect(harness.validator.validate(bobSession)).rejects.toBeDefined();
    expect(harness.published).toContainEqual({ userId: bobId, reason: 'directory-not-in-allowed-groups' });
    expect(await sync.status()).toMatchObject({ usersChecked: 3, usersDeactivated: 1 });
  });

  it('revokes the session and API key of a user taken out of the allowed group at the next pass, and restores the account when put back', async () => {
    const session = await harness.openSession(aliceId);
    const apiKey = await harness.createApiKey(aliceId);
    await expect(harness.validator.validate(session)).resolves.toBeDefined();
    await expect(harness.validator.validate(apiKey)).resolves.toBeDefined();
    await setMember('level1', 'alice', 'delete');
    try {
      expect(await harness.nextPass(sync)).toBe('succeeded');
      expect((await accountOf(aliceId)).isActive).toBe(false);
      expect((await accountOf(carolId)).isActive).toBe(true);
      await expect(harness.validator.validate(session)).rejects.toBeDefined();
      await expect(harness.validator.validate(apiKey)).rejects.toBeDefined();
      expect(harness.published).toContainEqual({
        userId: aliceId,
        reason: 'directory-not-in-allowed-groups',
      });
      const audited = await db.dataSource.query<{ action: string; details: string }[]>(
        `SELECT action, details FROM ${auditOutboxTable(AUTH_AUDIT_SOURCE)} WHERE resource_id = '${aliceId}'`,
      );
      expect(
        audited
          .filter((row) => row.action === 'user.disabled-by-directory')
          .map((row) => (JSON.parse(row.details) as { reason: string }).reason),
      ).toEqual(['not-in-allowed-groups']);
    } finally {
      await setMember('level1', 'alice', 'add');
    }
    expect(await harness.nextPass(sync)).toBe('succeeded');
    expect((await accountOf(aliceId)).isActive).toBe(true);
  });

  it('revokes nobody while the DC does not answer, and records the pass as aborted', async () => {
    await setMember('level1', 'alice', 'delete');
    try {
      ad.suspend();
      try {
        expect(await harness.nextPass(sync)).toBe('failed');
      } finally {
        ad.resume();
      }
      expect((await accountOf(aliceId)).isActive).toBe(true);
      const status = await sync.status();
      expect(status.directoryReachable).toBe(false);
      expect(status.lastFailureReason).toMatch(/No domain controller answered|took longer|timeout/i);
      expect(status.lastFailureAt).toBe(status.lastAttemptAt);
    } finally {
      await setMember('level1', 'alice', 'add');
    }
  });

  it('aborts without revoking anyone when an allowed group is not in the directory (answered, but nothing to act on)', async () => {
    const missing = `${sids['level3']?.replace(/-\d+$/, '')}-987654`;
    const misconfigured = syncFor([missing], 'allowed-groups-missing-spec');
    expect(await misconfigured.tick()).toBe('failed');
    const status = await misconfigured.status();
    expect(status.lastFailureReason).toMatch(/allowed group .* is not in the directory/);
    expect(status.directoryReachable).toBe(true);
    expect((await accountOf(aliceId)).isActive).toBe(true);
    expect((await accountOf(carolId)).isActive).toBe(true);
  });

  it('aborts rather than revoke every account when none is in the allowed groups any more', async () => {
    const emptied = syncFor([sids['cycleB'] ?? ''], 'allowed-groups-emptied-spec');
    // cycleB holds cycleA holds bob (deactivated already): alice and carol are out of it.
    expect(await emptied.tick()).toBe('failed');
    expect((await emptied.status()).lastFailureReason).toMatch(
      /None of the active accounts is in an allowed group/,
    );
    expect((await accountOf(aliceId)).isActive).toBe(true);
    expect((await accountOf(carolId)).isActive).toBe(true);
  });
});
