import { randomUUID } from 'node:crypto';

import type { Client } from 'ldapts';

import { AuditRecorder, auditOutboxTable } from '@flotilla/audit/outbox';
import type { DirectoryConfig } from '@flotilla/platform/config';
import type { MigratedTestDatabase, SambaAd } from '@flotilla/testing';

import { createCredentialVerifier } from '../credentials/credential-verifier.provider';
import { decodeGuid } from '../directory/directory-ids';
import { ScryptPasswordHasher } from '../passwords/scrypt-password-hasher';
import { AUTH_AUDIT_SOURCE } from '../persistence/auth-entities';
import { UserEntity } from '../persistence/user.entity';
import { UsersRepository } from '../persistence/users.repository';
import { AccountStateRepository } from '../users/account-state.repository';

import type { DirectorySyncService } from './directory-sync.service';
import { DirectorySyncStatusQuery } from './directory-sync-status.query';
import { startSambaSyncFixture, stopSambaSyncFixture } from './samba-sync.test-support';
import { TeamGroupsHarness } from './team-groups.test-support';
import {
  sambaDirectoryConfig,
  seededUser,
  setUserAccountControl,
} from '../directory/testing/samba-directory-config.test-support';

/** The directory sync against a real Samba AD DC and the run's database, with the real repositories. */
let ad: SambaAd;
let db: MigratedTestDatabase;
let admin: Client;
/**
 * The sync as production wires it, without team groups (this spec is about accounts). Its lease is
 * short, so each step may run again after a pause; the lease itself has its own contract spec.
 */
let harness: TeamGroupsHarness;
let sync: DirectorySyncService;
const users = new UsersRepository();

const config = (): DirectoryConfig => sambaDirectoryConfig(ad, { cooldownMs: 0 });

const seeded = (key: string) => seededUser(ad, key);

const setAccountControl = (key: string, value: 512 | 514) =>
  setUserAccountControl(admin, seeded(key).dn, value);

const nextRun = () => harness.nextPass(sync);

const accountOf = (id: string) => db.dataSource.getRepository(UserEntity).findOneByOrFail({ id });

let aliceId: string;
let bobId: string;

beforeAll(async () => {
  ({ ad, db, admin } = await startSambaSyncFixture('basic'));
  const audit = new AuditRecorder(AUTH_AUDIT_SOURCE);
  // The accounts come from real directory sign-ins (keyed on objectGUID).
  const verifier = createCredentialVerifier(
    db.dataSource,
    users,
    new ScryptPasswordHasher(),
    audit,
    config(),
  );
  const origin = { clientIp: '192.0.2.10' };
  const alice = await verifier.verify(seeded('alice').upn, seeded('alice').password, origin);
  const bob = await verifier.verify(seeded('bob').upn, seeded('bob').password, origin);
  if (!alice || !bob) throw new Error('alice and bob must sign in through the directory');
  aliceId = alice.id;
  bobId = bob.id;
  harness = new TeamGroupsHarness(db.dataSource);
  sync = harness.sync(config(), 'directory-sync-spec', false);
}, 180_000);

afterAll(() => stopSambaSyncFixture({ ad, db, admin }));

describe('DirectorySyncService (Samba AD over LDAPS)', () => {
  it('changes nothing while the directory allows everyone', async () => {
    expect(await sync.tick()).toBe('succeeded');
    expect(await sync.status()).toMatchObject({
      directoryReachable: true,
      usersChecked: 2,
      usersDeactivated: 0,
    });
  });

  it('deactivates a user disabled in AD after one run: their session is refused, the gateways told, the change audited', async () => {
    const token = await harness.openSession(aliceId);
    await expect(harness.validator.validate(token)).resolves.toBeDefined();
    await setAccountControl('alice', 514);

    expect(await nextRun()).toBe('succeeded');

    expect((await accountOf(aliceId)).isActive).toBe(false);
    expect((await accountOf(bobId)).isActive).toBe(true);
    await expect(harness.validator.validate(token)).rejects.toBeDefined();
    const sessions = await db.dataSource.query<unknown[]>(
      `SELECT id FROM sessions WHERE user_id = '${aliceId}'`,
    );
    expect(sessions).toEqual([]);
    expect(harness.published).toContainEqual({ userId: aliceId, reason: 'directory-disabled' });
    const audited = await db.dataSource.query<{ action: string; actor_username: string }[]>(
      `SELECT * FROM ${auditOutboxTable(AUTH_AUDIT_SOURCE)} WHERE resource_id = '${aliceId}'`,
    );
    expect(audited.map((row) => row.action)).toContain('user.disabled-by-directory');
    expect(await sync.status()).toMatchObject({ directoryReachable: true, usersDeactivated: 1 });
  });

  it('aborts without demoting anyone while the DC does not answer, and says the directory was unreachable', async () => {
    await setAccountControl('bob', 514);
    ad.suspend();
    try {
      expect(await nextRun()).toBe('failed');
    } finally {
      ad.resume();
    }
    expect((await accountOf(bobId)).isActive).toBe(true);
    const status = await sync.status();
    expect(status.directoryReachable).toBe(false);
    expect(status.lastFailureReason).toMatch(/No domain controller answered|took longer|timeout/i);
    expect(status.lastSuccessAt).toBeDefined();
    // What administrators see (GET /api/directory/sync through auth's GetDirectorySyncStatus).
    const query = new DirectorySyncStatusQuery(sync, 300_000);
    const administrator = {
      userId: 'u-admin',
      username: 'admin',
      clientIp: '',
      permissions: ['AdministerSystem'],
    };
    await expect(query.get({ ...administrator, permissions: ['UserEdit'] })).rejects.toBeDefined();
    expect(await query.get(administrator)).toMatchObject({
      configured: true,
      directoryReachable: false,
      lastFailureReason: status.lastFailureReason,
      lastSuccessAt: status.lastSuccessAt,
      intervalMs: 300_000,
    });
    expect(await new DirectorySyncStatusQuery(undefined, 300_000).get(administrator)).toMatchObject({
      configured: false,
    });
  });

  it('re-activates a user re-enabled in AD (the sync had deactivated them) once the DC answers again', async () => {
    await setAccountControl('alice', 512);
    await setAccountControl('bob', 512);
    expect(await nextRun()).toBe('succeeded');
    expect((await accountOf(aliceId)).isActive).toBe(true);
    expect((await accountOf(bobId)).isActive).toBe(true);
    expect(await sync.status()).toMatchObject({ directoryReachable: true, usersReactivated: 1 });
  });

  it('never re-activates a user an administrator disabled', async () => {
    await new AccountStateRepository().setActive(db.dataSource.manager, bobId, false);
    expect(await nextRun()).toBe('succeeded');
    expect((await accountOf(bobId)).isActive).toBe(false);
  });

  it('deactivates a user deleted from AD (gone)', async () => {
    await admin.del(seeded('alice').dn);
    expect(await nextRun()).toBe('succeeded');
    expect((await accountOf(aliceId)).isActive).toBe(false);
    expect(harness.published).toContainEqual({ userId: aliceId, reason: 'directory-gone' });
  });

  it('deactivates a locked-out user (lockout still running, read on the entry itself) and an expired one', async () => {
    const ids: Record<string, string> = {};
    for (const key of ['locked', 'expired']) {
      const { searchEntries } = await admin.search(seeded(key).dn, {
        scope: 'base',
        attributes: ['objectGUID'],
        explicitBufferAttributes: ['objectGUID'],
      });
      const guid = searchEntries[0]?.['objectGUID'];
      if (!Buffer.isBuffer(guid)) throw new Error(`no objectGUID for ${key}`);
      // As a sign-in before the lockout / expiry would have made them.
      const user = await users.insert(db.dataSource.manager, {
        id: randomUUID(),
        username: `${ad.netbiosDomain}\\${seeded(key).sam}`,
        displayName: key,
        passwordHash: null,
        roles: [],
        source: 'directory',
        externalId: decodeGuid(guid),
      });
      ids[key] = user.id;
    }
    expect(await nextRun()).toBe('succeeded');
    expect(harness.published).toContainEqual({ userId: ids['locked'], reason: 'directory-locked' });
    expect(harness.published).toContainEqual({ userId: ids['expired'], reason: 'directory-expired' });
  });
});
