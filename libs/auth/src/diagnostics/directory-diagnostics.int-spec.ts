import { randomUUID } from 'node:crypto';
import { createServer, Server, Socket } from 'node:net';

import { Permission } from '@flotilla/api-interfaces';
import { AuditRecorder, auditOutboxTable } from '@flotilla/audit/outbox';
import type { authV1 } from '@flotilla/contracts';
import type { DirectoryConfig } from '@flotilla/platform/config';
import type { CallerIdentity } from '@flotilla/platform/grpc';
import { createMigratedTestDatabase, MigratedTestDatabase, SambaAd, startSambaAd } from '@flotilla/testing';

import { sambaDirectoryConfig, seededUser } from '../directory/testing/samba-directory-config.test-support';
import { AUTH_AUDIT_SOURCE, AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { validateTeam } from '../teams/team-rules';
import { TeamsRepository } from '../teams/teams.repository';

import { DirectoryDiagnosticsService } from './directory-diagnostics.service';
import { TeamsOfGroupsFromDatabase } from './teams-of-groups';

/** The diagnostics against a real Samba AD DC (LDAPS) and the run's database (the audit trail). */
let ad: SambaAd;
let db: MigratedTestDatabase;
let blackhole: Server;
let blackholeUrl: string;
const heldSockets: Socket[] = [];

const administrator: CallerIdentity = {
  userId: 'diagnosing-admin-id',
  username: 'diagnosing-admin',
  clientIp: '192.0.2.20',
  permissions: [Permission.AdministerSystem],
};

const user = (key: string) => seededUser(ad, key);

function service(overrides: Partial<DirectoryConfig> = {}): DirectoryDiagnosticsService {
  return new DirectoryDiagnosticsService(
    db.dataSource,
    new AuditRecorder(AUTH_AUDIT_SOURCE),
    sambaDirectoryConfig(ad, overrides),
    undefined,
  );
}

const stepsNamed = (diagnosis: authV1.DirectoryDiagnostics, step: string) =>
  diagnosis.steps.filter((recorded) => recorded.step === step);

const groupDns = (diagnosis: authV1.DirectoryDiagnostics, membership: string) =>
  diagnosis.groups
    .filter((group) => group.membership === membership)
    .map((group) => group.dn)
    .sort();

beforeAll(async () => {
  [ad, db] = await Promise.all([
    startSambaAd({ seed: 'basic' }),
    createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations }),
  ]);
  // A second "controller" that accepts TCP and never answers (nor completes a TLS handshake).
  blackhole = createServer((socket) => heldSockets.push(socket));
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  const address = blackhole.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  blackholeUrl = `ldaps://127.0.0.1:${address.port}`;
}, 180_000);

afterAll(async () => {
  for (const socket of heldSockets) socket.destroy();
  await new Promise((resolve) => blackhole?.close(resolve));
  await Promise.all([ad?.stop(), db?.dispose()]);
});

describe('DirectoryDiagnosticsService (Samba AD over LDAPS)', () => {
  it('reports the entry, key, groups by membership, the answering controller and each step with its time', async () => {
    const alice = user('alice');
    const diagnosis = await service().diagnose(administrator, alice.upn.toUpperCase());

    expect(diagnosis).toMatchObject({
      configured: true,
      directoryKind: 'ad',
      nameForm: 'principal',
      outcome: 'found',
      dn: alice.dn,
      accountName: alice.sam,
      principalName: alice.upn,
      refusal: '',
      answeredBy: ad.ldapsUrl,
      teamsResolved: false,
    });
    expect(diagnosis.filter).toContain(`(userPrincipalName=${alice.upn.toUpperCase()})`);
    expect(diagnosis.userKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(diagnosis.teamNote).not.toBe('');
    // alice -> level1 -> level2 -> level3, alice in special; `outside` is beyond the group base.
    expect(groupDns(diagnosis, 'direct')).toEqual([ad.groups['level1']?.dn, ad.groups['special']?.dn].sort());
    expect(groupDns(diagnosis, 'nested')).toEqual(
      expect.arrayContaining([ad.groups['level2']?.dn, ad.groups['level3']?.dn]),
    );
    expect(diagnosis.groups.map((group) => group.dn)).not.toContain(ad.groups['outside']?.dn);
    // Her primary group is Domain Users (RID 513), which no member attribute lists.
    const primary = diagnosis.groups.filter((group) => group.membership === 'primary');
    expect(primary).toHaveLength(1);
    expect(primary[0]?.id).toMatch(/^S-1-5-21-\d+-\d+-\d+-513$/);
    for (const group of diagnosis.groups) expect(group.id).toMatch(/^S-1-5-21-/);

    expect(diagnosis.steps.map((step) => step.step)).toEqual([
      'connect',
      'bind',
      'user-search',
      'account-state',
      'groups-in-chain',
      'primary-group',
      'primary-group-parents',
      'groups-direct',
    ]);
    for (const step of diagnosis.steps) {
      expect(step).toMatchObject({ ok: true, error: '', controller: ad.ldapsUrl });
      expect(step.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(stepsNamed(diagnosis, 'connect')[0]?.detail).toMatch(/^TCP connected after \d+\.\d ms$/);
    expect(stepsNamed(diagnosis, 'user-search')[0]?.detail).toContain('1 entry');
    expect(diagnosis.totalMs).toBeGreaterThanOrEqual(
      diagnosis.steps.reduce((sum, step) => sum + step.durationMs, 0) - 1,
    );
  });

  it('finds one entry by each name form, and parses DOMAIN\\user as an account name', async () => {
    const bob = user('bob');
    const byDomain = await service().diagnose(
      administrator,
      `${ad.netbiosDomain.toLowerCase()}\\${bob.sam.toUpperCase()}`,
    );
    const byAccount = await service().diagnose(administrator, bob.sam);
    expect(byDomain).toMatchObject({ nameForm: 'account', outcome: 'found', dn: bob.dn });
    expect(byDomain.filter).toContain(`(sAMAccountName=${bob.sam.toUpperCase()})`);
    expect(byAccount.userKey).toBe(byDomain.userKey);
    // bob is in cycleA, which is in cycleB, which is in cycleA: the DC's chain rule ends it.
    expect(groupDns(byAccount, 'direct')).toEqual([ad.groups['cycleA']?.dn]);
    expect(groupDns(byAccount, 'nested')).toContain(ad.groups['cycleB']?.dn);
  });

  it("names the primary group carol's primaryGroupID points at", async () => {
    const carol = user('primary');
    const diagnosis = await service().diagnose(administrator, carol.sam);
    expect(groupDns(diagnosis, 'primary')).toEqual([ad.groups['primary']?.dn]);
  });

  it('says what sign-in would refuse disabled, locked, expired and must-change accounts for', async () => {
    const cases: [string, string, string][] = [
      ['disabled', 'disabled', 'DirectoryAccountDisabled'],
      ['locked', 'locked', 'DirectoryAccountLocked'],
      ['expired', 'expired', 'DirectoryAccountExpired'],
      ['mustChange', 'password-change-required', 'DirectoryPasswordChangeRequired'],
    ];
    for (const [key, refusal, code] of cases) {
      const diagnosis = await service().diagnose(administrator, user(key).sam);
      expect({
        key,
        outcome: diagnosis.outcome,
        refusal: diagnosis.refusal,
        code: diagnosis.refusalCode,
      }).toEqual({
        key,
        outcome: 'found',
        refusal,
        code,
      });
      expect(diagnosis.refusalMessage).not.toBe('');
      expect(
        diagnosis.accountAttributes.some((attribute) => attribute.startsWith('userAccountControl=')),
      ).toBe(true);
    }
  });

  it('says not found, and why a name can be nobody, without failing', async () => {
    const unknown = await service().diagnose(administrator, 'nobody-by-this-name');
    expect(unknown).toMatchObject({ outcome: 'not-found', dn: '', answeredBy: ad.ldapsUrl, groups: [] });
    expect(stepsNamed(unknown, 'user-search')[0]?.detail).toContain('0 entries');

    const otherDomain = await service().diagnose(administrator, `ELSEWHERE\\${user('alice').sam}`);
    expect(otherDomain).toMatchObject({ nameForm: 'invalid', outcome: 'invalid-name', steps: [] });
    expect(otherDomain.message).toContain('ELSEWHERE');
  });

  it('reports a blackholed first controller (which, why, after how long) and the one that answered', async () => {
    const diagnosis = await service({ urls: [blackholeUrl, ad.ldapsUrl], timeoutMs: 1000 }).diagnose(
      administrator,
      user('alice').sam,
    );
    expect(diagnosis).toMatchObject({ outcome: 'found', answeredBy: ad.ldapsUrl, dn: user('alice').dn });
    const [dead, live] = stepsNamed(diagnosis, 'connect');
    expect(dead).toMatchObject({ controller: blackholeUrl, ok: false });
    // ldapts' own connect timeout or the connection's deadline, whichever fires first (both are the 1000 ms).
    expect(dead?.error).toMatch(/Connection timeout|took longer than 1000 ms/);
    // Bounded by the timeout (timers fire no earlier than asked; the upper bound is generous for a loaded machine).
    expect(dead?.durationMs).toBeGreaterThanOrEqual(990);
    expect(dead?.durationMs).toBeLessThan(1000 + 5000);
    expect(dead?.detail).toMatch(/^TCP connected after/);
    expect(live).toMatchObject({ controller: ad.ldapsUrl, ok: true });
  });

  it('counts a StartTLS that never gets an answer as the connect step failing after TCP connected', async () => {
    const plainBlackhole = blackholeUrl.replace('ldaps://', 'ldap://');
    const diagnosis = await service({
      urls: [plainBlackhole, ad.ldapUrl],
      startTls: true,
      timeoutMs: 1000,
    }).diagnose(administrator, user('alice').sam);
    expect(diagnosis).toMatchObject({ outcome: 'found', answeredBy: ad.ldapUrl });
    const [dead, live] = stepsNamed(diagnosis, 'connect');
    expect(dead).toMatchObject({ controller: plainBlackhole, ok: false });
    expect(dead?.detail).toMatch(/^TCP connected after/);
    expect(dead?.durationMs).toBeGreaterThanOrEqual(990);
    expect(live).toMatchObject({ controller: ad.ldapUrl, ok: true });
    expect(stepsNamed(diagnosis, 'bind')).toEqual([
      expect.objectContaining({ controller: ad.ldapUrl, ok: true }),
    ]);
  });

  it('says unavailable, naming every controller, when none answers', async () => {
    const diagnosis = await service({ urls: [blackholeUrl], timeoutMs: 500 }).diagnose(
      administrator,
      'alice',
    );
    expect(diagnosis).toMatchObject({ outcome: 'unavailable', answeredBy: '', dn: '' });
    expect(diagnosis.message).toContain(blackholeUrl);
    expect(diagnosis.steps).toEqual([
      expect.objectContaining({ step: 'connect', ok: false, controller: blackholeUrl }),
    ]);
  });

  it('reports a refused search account as a failed bind, not an unreachable controller', async () => {
    const diagnosis = await service({ bindPassword: 'Not-The-Search-Password-1' }).diagnose(
      administrator,
      'alice',
    );
    expect(diagnosis.outcome).toBe('unavailable');
    expect(diagnosis.message).toContain('refused the search account');
    expect(diagnosis.steps.map((step) => [step.step, step.ok])).toEqual([
      ['connect', true],
      ['bind', false],
    ]);
  });

  it("maps the user's groups (nested ones too) to the teams that list them", async () => {
    const alice = user('alice');
    const level3 = await service().diagnose(administrator, alice.sam);
    const level3Id = level3.groups.find((group) => group.dn === ad.groups['level3']?.dn)?.id;
    if (!level3Id) throw new Error('alice reaches level3 through nesting');
    const teamId = randomUUID();
    // As TeamsService stores it (validateTeam tidies the ids); typed in lower case, still the group.
    await new TeamsRepository().insert(
      db.dataSource.manager,
      teamId,
      validateTeam({
        name: `Level three ${teamId.slice(0, 8)}`,
        description: '',
        members: [{ kind: 'group', id: level3Id.toLowerCase(), displayName: 'flotilla-level-3' }],
        grants: [{ role: 'Deployer' }],
      }),
    );
    const withTeams = new DirectoryDiagnosticsService(
      db.dataSource,
      new AuditRecorder(AUTH_AUDIT_SOURCE),
      sambaDirectoryConfig(ad),
      new TeamsOfGroupsFromDatabase(db.dataSource),
    );

    const diagnosis = await withTeams.diagnose(administrator, alice.sam);
    expect(diagnosis).toMatchObject({ teamsResolved: true, teamNote: '' });
    expect(diagnosis.teams).toEqual([
      { id: teamId, name: `Level three ${teamId.slice(0, 8)}`, groupIds: [level3Id] },
    ]);
    // bob is in none of the team's groups.
    expect((await withTeams.diagnose(administrator, user('bob').sam)).teams).toEqual([]);
  });

  it('refuses a caller without AdministerSystem, and audits who tested which name', async () => {
    await expect(
      service().diagnose({ ...administrator, permissions: [Permission.UserView] }, 'alice'),
    ).rejects.toThrow('AdministerSystem');
    const diagnosis = await service().diagnose(administrator, user('bob').upn);
    const rows = await db.dataSource.query<
      { action: string; actor_name: string; resource_id: string; details: string }[]
    >(
      `SELECT * FROM ${auditOutboxTable(AUTH_AUDIT_SOURCE)} WHERE action = 'directory.sign-in-diagnosed' AND resource_id = '${diagnosis.userKey}'`,
    );
    // bob was diagnosed under other names above: this run is the row naming his UPN.
    const thisRun = rows.filter((row) => row.details.includes(user('bob').upn));
    expect(thisRun).toHaveLength(1);
    expect(thisRun[0]?.actor_name).toBe('diagnosing-admin');
    expect(JSON.parse(thisRun[0]?.details ?? '{}')).toMatchObject({ outcome: 'found', dn: user('bob').dn });
  });
});
