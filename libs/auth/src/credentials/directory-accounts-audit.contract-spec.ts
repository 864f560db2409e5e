import { AuditRecorder, auditOutboxTable } from '@flotilla/audit/outbox';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import type { DirectoryUser } from '../directory/directory-user';
import { AUTH_AUDIT_SOURCE, AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { UsersRepository } from '../persistence/users.repository';

import { DirectoryAccounts } from './directory-accounts';

/**
 * A directory user's first sign-in creates their Flotilla account, and a later one can rename it
 * (or make an older account yield its name): changes to the account table, so each is in the audit
 * outbox, written in the same transaction (issue 11). Database only: no directory is needed to
 * hand DirectoryAccounts what the directory answered.
 */
let db: MigratedTestDatabase;
let accounts: DirectoryAccounts;
const origin = { clientIp: '192.0.2.78' };

interface OutboxRow {
  action: string;
  actor_id: string;
  actor_name: string;
  resource_id: string;
  details: string;
  client_ip: string;
}

const person = (externalId: string, accountName: string, displayName = accountName): DirectoryUser => ({
  externalId,
  dn: `CN=${accountName},DC=x`,
  accountName,
  displayName,
  groups: [],
  answeredBy: 'ldaps://dc',
});

const eventsOf = (userId: string) =>
  db.dataSource.query<OutboxRow[]>(
    `SELECT action, actor_id, actor_name, resource_id, details, client_ip FROM ${auditOutboxTable(AUTH_AUDIT_SOURCE)} ` +
      `WHERE resource_id = '${userId}'`, // a UUID this spec was given, safe to inline on either dialect
  );

beforeAll(async () => {
  db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations });
  accounts = new DirectoryAccounts(
    db.dataSource,
    new UsersRepository(),
    { netbiosDomain: 'CORP' },
    new AuditRecorder(AUTH_AUDIT_SOURCE),
  );
}, 120_000);

afterAll(async () => {
  await db?.dispose();
});

describe('DirectoryAccounts audit', () => {
  it('records the account made at a first sign-in, by the user signing in, and nothing at an unchanged one', async () => {
    const created = await accounts.upsert(
      person('00000000-0000-0000-0000-0000000001a1', 'lena', 'Lena'),
      origin,
    );
    await accounts.upsert(person('00000000-0000-0000-0000-0000000001a1', 'lena', 'Lena'), origin);
    const events = await eventsOf(created.id);
    expect(events.map((event) => event.action)).toEqual(['user.created']);
    expect(events[0]).toMatchObject({
      actor_id: created.id,
      actor_name: 'CORP\\lena',
      client_ip: origin.clientIp,
    });
    expect(JSON.parse(events[0].details)).toEqual({
      username: 'CORP\\lena',
      displayName: 'Lena',
      source: 'directory',
      externalId: '00000000-0000-0000-0000-0000000001a1',
    });
  });

  it('records a rename in the directory with the names before and after', async () => {
    const id = '00000000-0000-0000-0000-0000000001b1';
    const first = await accounts.upsert(person(id, 'mark', 'Mark'), origin);
    await accounts.upsert(person(id, 'mark.new', 'Mark New'), origin);
    const events = await eventsOf(first.id);
    expect(events.map((event) => event.action).sort()).toEqual(['user.created', 'user.renamed-by-directory']);
    const renamed = events.find((event) => event.action === 'user.renamed-by-directory') as OutboxRow;
    expect(JSON.parse(renamed.details)).toEqual({
      from: { username: 'CORP\\mark', displayName: 'Mark' },
      to: { username: 'CORP\\mark.new', displayName: 'Mark New' },
    });
  });

  it('records the older account yielding its name to another person, with why', async () => {
    const old = await accounts.upsert(person('00000000-0000-0000-0000-0000000001c1', 'nina'), origin);
    const next = await accounts.upsert(person('00000000-0000-0000-0000-0000000001c2', 'NINA'), origin);
    const yielded = (await eventsOf(old.id)).filter((event) => event.action === 'user.renamed-by-directory');
    expect(yielded).toHaveLength(1);
    // The sign-in of the new holder made the change: they are its actor.
    expect(yielded[0]).toMatchObject({ actor_id: next.id, actor_name: 'CORP\\NINA' });
    expect(JSON.parse(yielded[0].details)).toMatchObject({
      from: { username: 'CORP\\nina' },
      to: { username: 'CORP\\nina~00000000-0000-0000-0000-0000000001c1' },
      reason: 'its name passed to another directory account',
    });
  });
});
