import { Permission } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import type { CallerIdentity } from '@flotilla/platform/grpc';
import { createMigratedTestDatabase, MigratedTestDatabase, OpenLdap, startOpenLdap } from '@flotilla/testing';

import { openLdapDirectoryConfig, seeded } from '../directory/testing/openldap-directory-config.test-support';
import { AUTH_AUDIT_SOURCE, AuthEntities, AuthMigrations } from '../persistence/auth-entities';

import { DirectoryDiagnosticsService } from './directory-diagnostics.service';

/** The diagnostics against a real OpenLDAP slapd (generic LDAP, StartTLS with its CA verified). */
let ldap: OpenLdap;
let db: MigratedTestDatabase;

const administrator: CallerIdentity = {
  userId: 'diagnosing-admin-id',
  username: 'diagnosing-admin',
  clientIp: '192.0.2.21',
  permissions: [Permission.AdministerSystem],
};

beforeAll(async () => {
  [ldap, db] = await Promise.all([
    startOpenLdap(),
    createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations }),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([ldap?.stop(), db?.dispose()]);
});

const service = () =>
  new DirectoryDiagnosticsService(
    db.dataSource,
    new AuditRecorder(AUTH_AUDIT_SOURCE),
    openLdapDirectoryConfig(ldap),
    undefined,
  );

describe('DirectoryDiagnosticsService (OpenLDAP, generic LDAP)', () => {
  it("reports the entryUUID key, the walk's levels as direct and nested groups, and StartTLS in the connect step", async () => {
    const alice = seeded(ldap.users, 'alice');
    const group = (key: string) => seeded(ldap.groups, key);
    const diagnosis = await service().diagnose(administrator, alice.mail.toUpperCase());

    expect(diagnosis).toMatchObject({
      directoryKind: 'ldap',
      nameForm: 'principal',
      outcome: 'found',
      dn: alice.dn,
      userKey: alice.entryUuid,
      answeredBy: ldap.ldapUrl,
      // Generic LDAP has no account state to read: the server decides at the user's bind.
      refusal: '',
      accountAttributes: [],
    });
    const dns = (membership: string) =>
      diagnosis.groups
        .filter((found) => found.membership === membership)
        .map((found) => found.dn)
        .sort();
    expect(dns('direct')).toEqual([group('level1').dn, group('big').dn].sort());
    expect(dns('nested')).toEqual([group('level2').dn, group('level3').dn].sort());
    expect(dns('primary')).toEqual([]);
    expect(diagnosis.groups.map((found) => found.dn)).not.toContain(group('outside').dn);

    const steps = diagnosis.steps.map((step) => step.step);
    expect(steps.slice(0, 3)).toEqual(['connect', 'bind', 'user-search']);
    // One query per level of the walk: level1+big, level2, level3, then the level with nothing new.
    expect(steps.slice(3)).toEqual(['groups-walk', 'groups-walk', 'groups-walk', 'groups-walk']);
    for (const step of diagnosis.steps) expect(step).toMatchObject({ ok: true, controller: ldap.ldapUrl });
    // The connect step runs until StartTLS is done: at least as long as the TCP connect inside it.
    const connect = diagnosis.steps[0];
    const tcpMs = Number(/^TCP connected after ([\d.]+) ms$/.exec(connect?.detail ?? '')?.[1]);
    expect(tcpMs).toBeGreaterThanOrEqual(0);
    expect(connect?.durationMs).toBeGreaterThanOrEqual(tcpMs - 0.1);
  });
});
