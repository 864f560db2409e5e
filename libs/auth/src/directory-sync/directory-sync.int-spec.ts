import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { Client } from 'ldapts';

import { AuditRecorder, auditOutboxTable } from '@flotilla/audit/outbox';
import type { DirectoryConfig } from '@flotilla/platform/config';
import {
  createMigratedTestDatabase,
  MigratedTestDatabase,
  SAMBA_AD_ADMINISTRATOR_PASSWORD,
  SambaAd,
  startSambaAd,
} from '@flotilla/testing';

import { createCredentialVerifier } from '../credentials/credential-verifier.provider';
import { decodeGuid } from '../directory/directory-ids';
import { ScryptPasswordHasher } from '../passwords/scrypt-password-hasher';
import { ApiKeysRepository } from '../persistence/api-keys.repository';
import { AUTH_AUDIT_SOURCE, AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { SessionsRepository } from '../persistence/sessions.repository';
import { UserEntity } from '../persistence/user.entity';
import { UsersRepository } from '../persistence/users.repository';
import { hashSecret } from '../tokens/secret-tokens';
import { TokenValidator } from '../tokens/token-validator';
import type { TokenRevocation, TokenRevocations } from '../users/account-revocations';
import { AccountStateRepository } from '../users/account-state.repository';

import { ClusterLease } from './cluster-lease';
import { DirectoryAccountReader } from './directory-account-reader';
import { DirectorySyncRepository } from './directory-sync.repository';
import { DirectorySyncService } from './directory-sync.service';
import { DirectorySyncStatusQuery } from './directory-sync-status.query';
import {
  sambaDirectoryConfig,
  seededUser,
  setUserAccountControl,
} from '../directory/testing/samba-directory-config.test-support';

/** The directory sync against a real Samba AD DC and the run's database, with the real repositories. */
let ad: SambaAd;
let db: MigratedTestDatabase;
let admin: Client;
let sync: DirectorySyncService;
let validator: TokenValidator;
const published: TokenRevocation[] = [];
const revocations: TokenRevocations = {
  published: (revocation) => {
    published.push(revocation);
    return Promise.resolve();
  },
};
/** Short, so each step may run again after a pause; the lease itself has its own contract spec. */
const LEASE_TTL_MS = 300;
const users = new UsersRepository();

const config = (): DirectoryConfig => sambaDirectoryConfig(ad, { cooldownMs: 0 });

const seeded = (key: string) => seededUser(ad, key);

const setAccountControl = (key: string, value: 512 | 514) =>
  setUserAccountControl(admin, seeded(key).dn, value);

async function nextRun() {
  await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS + 100));
  return sync.tick();
}

const accountOf = (id: string) => db.dataSource.getRepository(UserEntity).findOneByOrFail({ id });

async function openSession(userId: string): Promise<string> {
  const token = `session-${randomUUID()}`;
  await new SessionsRepository().open(db.dataSource.manager, {
    id: randomUUID(),
    tokenHash: hashSecret(token),
    userId,
    ttlSeconds: 3600,
  });
  return token;
}

let aliceId: string;
let bobId: string;

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
  sync = new DirectorySyncService(
    db.dataSource,
    new DirectoryAccountReader(config()),
    new DirectorySyncRepository(db.dataSource),
    new AccountStateRepository(),
    audit,
    revocations,
    new ClusterLease(db.dataSource, 'directory-sync-spec'),
    'spec-node',
    LEASE_TTL_MS,
  );
  validator = new TokenValidator(db.dataSource, new SessionsRepository(), new ApiKeysRepository(), users);
}, 180_000);

afterAll(async () => {
  ad?.resume();
  await admin?.unbind().catch(() => undefined);
  await Promise.all([ad?.stop(), db?.dispose()]);
});

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
    const token = await openSession(aliceId);
    await expect(validator.validate(token)).resolves.toBeDefined();
    await setAccountControl('alice', 514);

    expect(await nextRun()).toBe('succeeded');

    expect((await accountOf(aliceId)).isActive).toBe(false);
    expect((await accountOf(bobId)).isActive).toBe(true);
    await expect(validator.validate(token)).rejects.toBeDefined();
    const sessions = await db.dataSource.query<unknown[]>(
      `SELECT id FROM sessions WHERE user_id = '${aliceId}'`,
    );
    expect(sessions).toEqual([]);
    expect(published).toContainEqual({ userId: aliceId, reason: 'directory-disabled' });
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
    expect(published).toContainEqual({ userId: aliceId, reason: 'directory-gone' });
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
    expect(published).toContainEqual({ userId: ids['locked'], reason: 'directory-locked' });
    expect(published).toContainEqual({ userId: ids['expired'], reason: 'directory-expired' });
  });
});
