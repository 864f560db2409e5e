import { status } from '@grpc/grpc-js';

import { AuditRecorder, auditOutboxTable } from '@flotilla/audit/outbox';
import type { DirectoryConfig } from '@flotilla/platform/config';
import { rpcErrorDetails } from '@flotilla/platform/grpc';
import { createMigratedTestDatabase, MigratedTestDatabase, SambaAd, startSambaAd } from '@flotilla/testing';

import { DIRECTORY_REFUSALS } from '../directory/directory-refusal';
import type { DirectoryUser } from '../directory/directory-user';
import { ScryptPasswordHasher } from '../passwords/scrypt-password-hasher';
import { AUTH_AUDIT_SOURCE, AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { UserEntity } from '../persistence/user.entity';
import { UsersRepository } from '../persistence/users.repository';
import { DirectoryUserGroupsRepository } from '../teams/directory-user-groups.repository';
import type { AuthUser } from '../users/auth-user';

import { createCredentialVerifier } from './credential-verifier.provider';
import type { CredentialVerifier } from './credential-verifier';
import { DirectoryAccounts } from './directory-accounts';
import { DIRECTORY_UNAVAILABLE } from './directory-credential-verifier';
import { sambaDirectoryConfig, seededUser } from '../directory/testing/samba-directory-config.test-support';

/** Directory sign-in end to end below the gRPC layer: Samba AD DC + the run's database (both dialects). */
let ad: SambaAd;
let db: MigratedTestDatabase;
let sut: CredentialVerifier;
const users = new UsersRepository();
const hasher = new ScryptPasswordHasher();
const recorder = new AuditRecorder(AUTH_AUDIT_SOURCE);
const origin = { clientIp: '192.0.2.77' };

const config = (overrides: Partial<DirectoryConfig> = {}): DirectoryConfig =>
  sambaDirectoryConfig(ad, { urls: [ad.ldapUrl], startTls: true, timeoutMs: 3000, ...overrides });

const seeded = (key: string) => seededUser(ad, key);

async function failureOf(work: Promise<unknown>) {
  return rpcErrorDetails(
    await work.then(
      () => undefined,
      (error: unknown) => (error as { getError?: () => unknown }).getError?.() ?? error,
    ),
  );
}

const directoryAccounts = () => db.dataSource.getRepository(UserEntity).findBy({ source: 'directory' });

beforeAll(async () => {
  [ad, db] = await Promise.all([
    startSambaAd({ seed: 'basic' }),
    createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations }),
  ]);
  sut = createCredentialVerifier(
    db.dataSource,
    users,
    hasher,
    new AuditRecorder(AUTH_AUDIT_SOURCE),
    config(),
  );
}, 180_000);

afterAll(async () => {
  await Promise.all([ad?.stop(), db?.dispose()]);
});

describe('DirectoryCredentialVerifier (Samba AD, StartTLS)', () => {
  it('signs in by every name form and letter case as one Flotilla user, keyed on objectGUID, with no roles', async () => {
    const alice = seeded('alice');
    const forms = [
      alice.sam,
      alice.sam.toUpperCase(),
      `${ad.netbiosDomain.toLowerCase()}\\${alice.sam}`,
      alice.upn.toUpperCase(),
    ];
    const signedIn: (AuthUser | undefined)[] = [];
    for (const form of forms) signedIn.push(await sut.verify(form, alice.password, origin));
    expect(new Set(signedIn.map((user) => user?.id)).size).toBe(1);
    expect(signedIn[0]).toMatchObject({
      username: `${ad.netbiosDomain}\\${alice.sam}`,
      roles: [],
      isActive: true,
      mustChangePassword: false,
    });
    const [row] = (await directoryAccounts()).filter((user) => user.id === signedIn[0]?.id);
    expect(row?.externalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(row?.passwordHash).toBeNull();
  });

  it('stores a name with non-ASCII letters and # ( ) as the directory spells it, on this database', async () => {
    const special = seeded('special');
    const signedIn = await sut.verify(special.upn.toUpperCase(), special.password, origin);
    expect(signedIn?.username).toBe(`${ad.netbiosDomain}\\${special.sam}`);
    const row = await users.findById(db.dataSource.manager, signedIn?.id ?? '');
    expect(row?.username).toBe(`${ad.netbiosDomain}\\${special.sam}`);
    // No displayName in the seed: the cn, as the directory holds it.
    expect(row?.displayName).toBe('Jörg Ünal, #1 (ops) \\ *');
    // The same person by sAMAccountName in another letter case: the same account.
    expect((await sut.verify(special.sam.toUpperCase(), special.password, origin))?.id).toBe(signedIn?.id);
  });

  it('answers a wrong password and an unknown name alike (undefined: the generic message), creating nobody', async () => {
    const before = (await directoryAccounts()).length;
    expect(await sut.verify(seeded('bob').sam, 'Not-The-Password-1', origin)).toBeUndefined();
    expect(await sut.verify('no-such-person', 'Not-The-Password-1', origin)).toBeUndefined();
    expect((await directoryAccounts()).length).toBe(before);
  });

  it('refuses disabled, locked, expired and must-change accounts with distinct PERMISSION_DENIED reasons, audited', async () => {
    const cases = [
      ['disabled', DIRECTORY_REFUSALS.disabled.code],
      ['locked', DIRECTORY_REFUSALS.locked.code],
      ['expired', DIRECTORY_REFUSALS.expired.code],
      ['mustChange', DIRECTORY_REFUSALS['password-change-required'].code],
    ] as const;
    for (const [key, code] of cases) {
      const failure = await failureOf(sut.verify(seeded(key).sam, seeded(key).password, origin));
      expect(failure?.code).toBe(status.PERMISSION_DENIED);
      expect(failure?.message.startsWith(`${code}: `)).toBe(true);
    }
    const audited = await db.dataSource.query<{ details: string; client_ip: string }[]>(
      `SELECT details, client_ip FROM ${auditOutboxTable(AUTH_AUDIT_SOURCE)} WHERE action = 'user.login-refused'`,
    );
    expect(audited.map((row) => (JSON.parse(row.details) as { reason: string }).reason).sort()).toEqual(
      cases.map(([, code]) => code).sort(),
    );
    expect(audited.every((row) => row.client_ip === origin.clientIp)).toBe(true);
  });

  it('answers UNAVAILABLE, not a verdict on the password, when no controller answers', async () => {
    const down = createCredentialVerifier(
      db.dataSource,
      users,
      hasher,
      new AuditRecorder(AUTH_AUDIT_SOURCE),
      config({ urls: ['ldap://127.0.0.1:1'], timeoutMs: 500 }),
    );
    await expect(
      failureOf(down.verify(seeded('alice').sam, seeded('alice').password, origin)),
    ).resolves.toEqual({
      code: status.UNAVAILABLE,
      message: DIRECTORY_UNAVAILABLE,
    });
  });
});

describe(DirectoryAccounts.name, () => {
  const person = (externalId: string, accountName: string, displayName = accountName): DirectoryUser => ({
    externalId,
    dn: `CN=${accountName},DC=x`,
    accountName,
    displayName,
    groups: [],
    answeredBy: 'ldaps://dc',
  });

  it('keeps the same account through a rename in the directory', async () => {
    const accounts = new DirectoryAccounts(db.dataSource, users, { netbiosDomain: 'CORP' }, recorder);
    const first = await accounts.upsert(person('00000000-0000-0000-0000-0000000000a1', 'henry', 'Henry'));
    const renamed = await accounts.upsert(
      person('00000000-0000-0000-0000-0000000000a1', 'henry.new', 'Henry New'),
    );
    expect(renamed.id).toBe(first.id);
    expect(renamed).toMatchObject({ username: 'CORP\\henry.new', displayName: 'Henry New' });
  });

  it('lets a name pass to another person: the old holder keeps its id and yields the name', async () => {
    const accounts = new DirectoryAccounts(db.dataSource, users, { netbiosDomain: 'CORP' }, recorder);
    const old = await accounts.upsert(person('00000000-0000-0000-0000-0000000000b1', 'ivy'));
    const next = await accounts.upsert(person('00000000-0000-0000-0000-0000000000b2', 'IVY'));
    expect(next.id).not.toBe(old.id);
    expect(next.username).toBe('CORP\\IVY');
    const parked = await users.findById(db.dataSource.manager, old.id);
    expect(parked?.username).toBe('CORP\\ivy~00000000-0000-0000-0000-0000000000b1');
  });

  it("records the user's groups at each sign-in, exactly as the directory has them then, and keeps the record's roles", async () => {
    const accounts = new DirectoryAccounts(db.dataSource, users, {}, recorder);
    const groups = new DirectoryUserGroupsRepository();
    const id = '00000000-0000-0000-0000-0000000000c1';
    const group = (sid: string) => ({ id: sid, dn: `CN=${sid},DC=x`, name: sid });
    const first = await accounts.upsert({
      ...person(id, 'jack'),
      groups: [group('S-1-5-21-1-2-3-1101'), group('S-1-5-21-1-2-3-513')],
    });
    await users.setRoles(db.dataSource.manager, first.id, ['Auditor']);
    const again = await accounts.upsert({
      ...person(id, 'jack'),
      groups: [group('S-1-5-21-1-2-3-513'), group('S-1-5-21-1-2-3-1102')],
    });
    expect(again.roles).toBe('["Auditor"]');
    expect((await groups.groupsOf(db.dataSource.manager, first.id)).sort()).toEqual([
      'S-1-5-21-1-2-3-1102',
      'S-1-5-21-1-2-3-513',
    ]);
    await accounts.upsert(person(id, 'jack'));
    await expect(groups.groupsOf(db.dataSource.manager, first.id)).resolves.toEqual([]);
  });

  it('two first sign-ins of one person at once make one account', async () => {
    const accounts = new DirectoryAccounts(db.dataSource, users, { netbiosDomain: 'CORP' }, recorder);
    const both = await Promise.all([
      accounts.upsert(person('00000000-0000-0000-0000-0000000000d1', 'kate')),
      accounts.upsert(person('00000000-0000-0000-0000-0000000000d1', 'kate')),
    ]);
    expect(both[0].id).toBe(both[1].id);
  });
});
