import { status } from '@grpc/grpc-js';

import {
  Permission,
  permissionsGrantedSomewhere,
  permissionsOfRoles,
  permits,
  Role,
} from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import {
  assertGrantsFitCallerToken,
  distinctScopeIds,
  grantsFromWire,
  MAX_CALLER_TOKEN_SCOPE_IDS,
} from '@flotilla/platform/grpc';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AUTH_AUDIT_SOURCE, AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import {
  auditRows,
  AuthServices,
  callerFor,
  clearAudit,
  createAuthServices,
  createTestUser,
  originOf,
  rpcFailure,
} from '../testing/auth-services.fixture';
import type { AuthUser } from '../users/auth-user';

import { DirectoryUserGroupsRepository, recordDirectoryGroups } from './directory-user-groups.repository';
import { TeamsRepository } from './teams.repository';
import { TeamsService } from './teams.service';
import type { TeamInput } from './team-rules';

const SHOP_STAGING = { role: Role.Deployer, projectIds: ['project-shop'], environmentIds: ['env-staging'] };

/** `count` distinct scope ids `prefix-from` on (ids of different prefixes never meet). */
const scopeIds = (prefix: string, count: number, from = 0): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}-${from + i}`);
/**
 * One grant naming `count` (at most 1,000) distinct ids: up to 500 projects, the rest environments
 * (a grant lists at most 500 of each).
 */
const scopedGrant = (prefix: string, count: number, role: string = Role.Deployer) => ({
  role,
  projectIds: scopeIds(`${prefix}-project`, Math.min(count, 500)),
  ...(count > 500 ? { environmentIds: scopeIds(`${prefix}-env`, count - 500) } : {}),
});
const thousandIds = (prefix: string) => scopedGrant(prefix, 1000);

describe(TeamsService.name, () => {
  let db: MigratedTestDatabase;
  let services: AuthServices;
  let sut: TeamsService;
  let admin: AuthUser;
  let viewer: AuthUser;
  let member: AuthUser;

  const team = (name: string, overrides: Partial<TeamInput> = {}): TeamInput => ({
    name,
    description: '',
    members: [],
    grants: [],
    ...overrides,
  });
  const signInAs = async (user: AuthUser) =>
    (await services.sessionService.login(user.username, `${user.username} password!`, originOf('192.0.2.1')))
      .token;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations });
    services = createAuthServices(db.dataSource);
    sut = new TeamsService(db.dataSource, new TeamsRepository(), new AuditRecorder(AUTH_AUDIT_SOURCE));
    admin = await createTestUser(services, 'teams.admin', [Role.Administrator]);
    viewer = await createTestUser(services, 'teams.auditor', [Role.Auditor]);
    member = await createTestUser(services, 'teams.member', []);
  });
  afterAll(() => db.dispose());
  beforeEach(() => clearAudit(db.dataSource));

  it('creates, reads, lists, replaces and deletes a team, each change audited with who and what', async () => {
    const created = await sut.create(
      callerFor(admin, '203.0.113.9'),
      team('  Shop deployers ', {
        description: 'Ship the shop',
        members: [
          { kind: 'user', id: member.id },
          { kind: 'group', id: 's-1-5-21-7-8-9-1105', displayName: 'Shop Team' },
        ],
        grants: [SHOP_STAGING, { role: Role.Auditor }],
      }),
    );

    expect(created).toMatchObject({
      name: 'Shop deployers',
      description: 'Ship the shop',
      grants: [SHOP_STAGING, { role: Role.Auditor }],
    });
    expect(created.members).toEqual(
      expect.arrayContaining([
        { kind: 'user', id: member.id, displayName: 'teams.member display' },
        // The id in the form sign-in records (capital S), the name kept for display.
        { kind: 'group', id: 'S-1-5-21-7-8-9-1105', displayName: 'Shop Team' },
      ]),
    );
    expect(created.grants[1]).not.toHaveProperty('projectIds');
    await expect(sut.get(callerFor(viewer), created.id)).resolves.toEqual(created);
    expect((await sut.list(callerFor(viewer))).map((t) => t.id)).toContain(created.id);
    await expect(auditRows(db.dataSource, 'team.created')).resolves.toEqual([
      expect.objectContaining({ actorId: admin.id, resourceId: created.id, clientIp: '203.0.113.9' }),
    ]);

    const updated = await sut.update(
      callerFor(admin),
      created.id,
      team('Shop deployers', { grants: [{ role: Role.Deployer, projectIds: ['project-shop'] }] }),
    );
    expect(updated).toMatchObject({
      members: [],
      grants: [{ role: Role.Deployer, projectIds: ['project-shop'] }],
    });
    const [updateEvent] = await auditRows(db.dataSource, 'team.updated');
    expect(JSON.parse(updateEvent?.details ?? '{}')).toMatchObject({
      grants: [{ role: 'Deployer', projectIds: ['project-shop'] }],
      previous: {
        members: expect.arrayContaining([
          { kind: 'user', id: member.id },
          { kind: 'group', id: 'S-1-5-21-7-8-9-1105' },
        ]) as unknown,
      },
    });

    await sut.delete(callerFor(admin), created.id);
    await expect(rpcFailure(sut.get(callerFor(admin), created.id))).resolves.toMatchObject({
      code: status.NOT_FOUND,
    });
    await expect(auditRows(db.dataSource, 'team.deleted')).resolves.toHaveLength(1);
  });

  it('refuses unknown roles, unknown user ids, empty restrictions and a name taken in any case, changing nothing', async () => {
    const caller = callerFor(admin);
    await expect(
      rpcFailure(sut.create(caller, team('Roles', { grants: [{ role: 'Root' }] }))),
    ).resolves.toEqual({
      code: status.INVALID_ARGUMENT,
      message: 'Unknown role "Root": one of Administrator, Deployer, Auditor',
    });
    await expect(
      rpcFailure(sut.create(caller, team('Users', { members: [{ kind: 'user', id: 'no-such-user' }] }))),
    ).resolves.toEqual({ code: status.INVALID_ARGUMENT, message: 'Unknown user id(s): no-such-user' });
    await expect(
      rpcFailure(sut.create(caller, team('Empty', { grants: [{ role: Role.Deployer, projectIds: [] }] }))),
    ).resolves.toMatchObject({ code: status.INVALID_ARGUMENT });
    await sut.create(caller, team('Ops'));
    await expect(rpcFailure(sut.create(caller, team('OPS')))).resolves.toEqual({
      code: status.ALREADY_EXISTS,
      message: 'A team named OPS already exists',
    });
    const other = await sut.create(caller, team('Other'));
    await expect(rpcFailure(sut.update(caller, other.id, team('ops')))).resolves.toMatchObject({
      code: status.ALREADY_EXISTS,
    });
    const names = (await sut.list(caller)).map((t) => t.name);
    expect(names.filter((name) => ['Roles', 'Users', 'Empty', 'OPS'].includes(name))).toEqual([]);
    await expect(auditRows(db.dataSource, 'team.created')).resolves.toHaveLength(2);
  });

  it('lets UserView read and only UserEdit change (checked here, not only by the call policy)', async () => {
    await expect(rpcFailure(sut.create(callerFor(viewer), team('Nope')))).resolves.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    const noView = { ...callerFor(member), permissions: [Permission.ApiKeyEdit] };
    await expect(rpcFailure(sut.list(noView))).resolves.toMatchObject({ code: status.PERMISSION_DENIED });
  });

  it("gives a user their team's grants through a user membership and through a directory group, in the token's principal", async () => {
    const groupMember = await createTestUser(services, 'teams.group.member', []);
    await recordDirectoryGroups(db.dataSource.manager, groupMember.id, [
      'S-1-5-21-7-8-9-2001',
      'S-1-5-21-7-8-9-513',
    ]);
    const created = await sut.create(
      callerFor(admin),
      team('Staging shop', {
        members: [
          { kind: 'user', id: member.id },
          { kind: 'group', id: 'S-1-5-21-7-8-9-2001', displayName: 'Shop' },
        ],
        grants: [SHOP_STAGING],
      }),
    );

    for (const user of [member, groupMember]) {
      const principal = await services.tokenValidator.validate(await signInAs(user));
      const grants = grantsFromWire(principal.grants) ?? [];
      expect(principal.permissions).toEqual(permissionsGrantedSomewhere(grants));
      expect(principal.permissions).toEqual(
        expect.arrayContaining([Permission.DeploymentCreate, Permission.ReleaseCreate]),
      );
      expect(grants).toEqual([
        {
          permissions: permissionsOfRoles([Role.Deployer]),
          projectIds: ['project-shop'],
          environmentIds: ['env-staging'],
        },
      ]);
      expect(
        permits(grants, Permission.DeploymentCreate, {
          projectId: 'project-shop',
          environmentId: 'env-staging',
        }),
      ).toBe(true);
      expect(
        permits(grants, Permission.DeploymentCreate, {
          projectId: 'project-shop',
          environmentId: 'env-prod',
        }),
      ).toBe(false);
      expect(permits(grants, Permission.ReleaseCreate, { projectId: 'project-other' })).toBe(false);
      // System permissions are never given by a restricted grant.
      expect(principal.permissions).not.toContain(Permission.ProjectCreate);
    }

    // The group leaves the user's directory groups (next sign-in): the team no longer reaches them.
    await recordDirectoryGroups(db.dataSource.manager, groupMember.id, ['S-1-5-21-7-8-9-513']);
    const after = await services.tokenValidator.validate(await signInAs(groupMember));
    expect(after).toMatchObject({ permissions: [], grants: [] });
    await sut.delete(callerFor(admin), created.id);
    await expect(services.tokenValidator.validate(await signInAs(member))).resolves.toMatchObject({
      permissions: [],
      grants: [],
    });
  });

  it('keeps an account of global roles alone as before: permissions of its roles, no grants on the wire', async () => {
    await sut.create(
      callerFor(admin),
      team('Auditors', { members: [{ kind: 'user', id: viewer.id }], grants: [{ role: Role.Auditor }] }),
    );
    const principal = await services.tokenValidator.validate(await signInAs(viewer));
    expect(principal).toMatchObject({ permissions: permissionsOfRoles([Role.Auditor]), grants: [] });
  });

  it("records a directory user's groups by difference, in the sign-in form, leaving out ids too long for a team", async () => {
    const groups = new DirectoryUserGroupsRepository();
    const user = await createTestUser(services, 'teams.many.groups', []);
    const many = Array.from({ length: 1500 }, (_, i) => `S-1-5-21-1-2-3-${10_000 + i}`);
    await groups.replace(db.dataSource.manager, user.id, [...many, 'x'.repeat(401)]);
    expect(await groups.groupsOf(db.dataSource.manager, user.id)).toHaveLength(1500);
    await groups.replace(db.dataSource.manager, user.id, [
      's-1-5-21-1-2-3-10000',
      'ABCDEF01-0000-0000-0000-000000000000',
    ]);
    expect((await groups.groupsOf(db.dataSource.manager, user.id)).sort()).toEqual([
      'S-1-5-21-1-2-3-10000',
      'abcdef01-0000-0000-0000-000000000000',
    ]);
  });

  describe("the caller token's bound over all of a user's teams", () => {
    const FULL = `${MAX_CALLER_TOKEN_SCOPE_IDS}`;
    const over = (names: string) =>
      `With this team, ${names} would reach more distinct projects and environments through their teams ` +
      `than a caller token carries (at most ${FULL}), and be refused on every call:`;
    const teamNames = async () => (await sut.list(callerFor(admin))).map((t) => t.name);

    it('refuses the second team of a shared direct member when the two together exceed it, storing and auditing nothing of it', async () => {
      const shared = await createTestUser(services, 'bound.direct.shared', []);
      const onlyFirst = await createTestUser(services, 'bound.direct.first', []);
      const onlySecond = await createTestUser(services, 'bound.direct.second', []);
      const first = await sut.create(
        callerFor(admin),
        team('Bound direct A', {
          members: [
            { kind: 'user', id: shared.id },
            { kind: 'user', id: onlyFirst.id },
          ],
          grants: [thousandIds('direct-a')],
        }),
      );
      const second = (members: TeamInput['members']) =>
        team('Bound direct B', {
          members,
          grants: [scopedGrant('direct-b', 501, Role.Auditor)],
        });

      const refused = await rpcFailure(
        sut.create(
          callerFor(admin),
          second([
            { kind: 'user', id: shared.id },
            { kind: 'user', id: onlySecond.id },
          ]),
        ),
      );
      expect(refused).toEqual({
        code: status.INVALID_ARGUMENT,
        message:
          `${over('1 user')} bound.direct.shared (1501). ` +
          'Split the scopes across teams these users do not share, or grant the role unrestricted',
      });
      expect(await teamNames()).not.toContain('Bound direct B');
      await expect(auditRows(db.dataSource, 'team.created')).resolves.toHaveLength(1);

      // Without the shared member nobody has both teams: it is saved, and its members sign in as before.
      const saved = await sut.create(callerFor(admin), second([{ kind: 'user', id: onlySecond.id }]));
      for (const user of [onlyFirst, onlySecond]) {
        const principal = await services.tokenValidator.validate(await signInAs(user));
        expect(() => assertGrantsFitCallerToken(grantsFromWire(principal.grants))).not.toThrow();
      }

      // Adding the shared member later is refused the same way, and leaves the team as it was.
      await expect(
        rpcFailure(
          sut.update(
            callerFor(admin),
            saved.id,
            second([
              { kind: 'user', id: onlySecond.id },
              { kind: 'user', id: shared.id },
            ]),
          ),
        ),
      ).resolves.toMatchObject({
        code: status.INVALID_ARGUMENT,
        message: expect.stringContaining('bound.direct.shared (1501)') as unknown,
      });
      expect((await sut.get(callerFor(admin), saved.id)).members.map((m) => m.id)).toEqual([onlySecond.id]);
      await expect(auditRows(db.dataSource, 'team.updated')).resolves.toHaveLength(0);

      for (const id of [first.id, saved.id]) await sut.delete(callerFor(admin), id);
    });

    it('counts the teams a user reaches through their directory groups, each id once', async () => {
      const inBoth = await createTestUser(services, 'bound.groups.both', []);
      const inOne = await createTestUser(services, 'bound.groups.one', []);
      await recordDirectoryGroups(db.dataSource.manager, inBoth.id, [
        'S-1-5-21-9-9-9-3001',
        'S-1-5-21-9-9-9-3002',
      ]);
      await recordDirectoryGroups(db.dataSource.manager, inOne.id, ['S-1-5-21-9-9-9-3002']);
      const first = await sut.create(
        callerFor(admin),
        team('Bound groups A', {
          members: [{ kind: 'group', id: 'S-1-5-21-9-9-9-3001' }],
          grants: [thousandIds('groups-a')],
        }),
      );
      const second = (grants: TeamInput['grants']) =>
        // Typed as an administrator might: the check finds the group in the form sign-in records.
        team('Bound groups B', { members: [{ kind: 'group', id: 's-1-5-21-9-9-9-3002' }], grants });

      await expect(
        rpcFailure(sut.create(callerFor(admin), second([scopedGrant('groups-b', 501)]))),
      ).resolves.toEqual({
        code: status.INVALID_ARGUMENT,
        message: expect.stringMatching(
          /with this team, 1 user would .*: bound\.groups\.both \(1501\)\. Split/i,
        ) as unknown,
      });
      expect(await teamNames()).not.toContain('Bound groups B');
      await expect(auditRows(db.dataSource, 'team.created')).resolves.toHaveLength(1);

      // The first team's thousand ids again and 400 more: 1,400 distinct for the user in both groups.
      const saved = await sut.create(
        callerFor(admin),
        second([thousandIds('groups-a'), { role: Role.Auditor, environmentIds: scopeIds('groups-b', 400) }]),
      );
      const principal = await services.tokenValidator.validate(await signInAs(inBoth));
      expect(distinctScopeIds(grantsFromWire(principal.grants) ?? [])).toBe(1400);
      for (const id of [first.id, saved.id]) await sut.delete(callerFor(admin), id);
    });

    it('lets the union reach the bound exactly; one id more names five of the users and counts the rest', async () => {
      const users: AuthUser[] = [];
      for (let i = 1; i <= 7; i++) users.push(await createTestUser(services, `bound.exact.${i}`, []));
      for (const user of users)
        await recordDirectoryGroups(db.dataSource.manager, user.id, ['S-1-5-21-9-9-9-4001']);
      const first = await sut.create(
        callerFor(admin),
        team('Bound exact A', {
          members: users.map((user) => ({ kind: 'user', id: user.id })),
          grants: [thousandIds('exact-a')],
        }),
      );
      const second = (ids: number) =>
        team('Bound exact B', {
          members: [{ kind: 'group', id: 'S-1-5-21-9-9-9-4001' }],
          grants: [scopedGrant('exact-b', ids)],
        });
      const saved = await sut.create(callerFor(admin), second(500));
      const principal = await services.tokenValidator.validate(await signInAs(users[0]));
      const grants = grantsFromWire(principal.grants) ?? [];
      expect(distinctScopeIds(grants)).toBe(MAX_CALLER_TOKEN_SCOPE_IDS);
      expect(() => assertGrantsFitCallerToken(grants)).not.toThrow();

      const refused = await rpcFailure(sut.update(callerFor(admin), saved.id, second(501)));
      expect(refused.code).toBe(status.INVALID_ARGUMENT);
      expect(refused.message).toMatch(
        /^With this team, 7 users would .*: (bound\.exact\.\d \(1501\), ){4}bound\.exact\.\d \(1501\) and 2 more\. Split/,
      );
      expect((await sut.get(callerFor(admin), saved.id)).grants[0]).not.toHaveProperty('environmentIds');
      await expect(auditRows(db.dataSource, 'team.updated')).resolves.toHaveLength(0);
      for (const id of [first.id, saved.id]) await sut.delete(callerFor(admin), id);
    });

    it('does not hold a save against a user its team does not push over: one over through other teams already', async () => {
      const user = await createTestUser(services, 'bound.already.over', []);
      const viaGroup = async (name: string, group: string) =>
        sut.create(
          callerFor(admin),
          team(name, { members: [{ kind: 'group', id: group }], grants: [thousandIds(name)] }),
        );
      const x = await viaGroup('Bound already X', 'S-1-5-21-9-9-9-5001');
      const y = await viaGroup('Bound already Y', 'S-1-5-21-9-9-9-5002');
      // Joining both groups at a later sign-in is not a team save: only the gateway refuses it then.
      await recordDirectoryGroups(db.dataSource.manager, user.id, [
        'S-1-5-21-9-9-9-5001',
        'S-1-5-21-9-9-9-5002',
      ]);

      const z = await sut.create(
        callerFor(admin),
        team('Bound already Z', {
          members: [{ kind: 'user', id: user.id }],
          grants: [{ role: Role.Deployer, projectIds: scopeIds('already-z', 10) }],
        }),
      );
      // A team that is one of the two causes is held to it: without it the user would fit.
      await expect(
        rpcFailure(
          sut.update(callerFor(admin), y.id, {
            ...team('Bound already Y', { members: [{ kind: 'group', id: 'S-1-5-21-9-9-9-5002' }] }),
            grants: [thousandIds('Bound already Y')],
            description: 'renamed',
          }),
        ),
      ).resolves.toMatchObject({ message: expect.stringContaining('bound.already.over (2010)') as unknown });
      for (const id of [x.id, y.id, z.id]) await sut.delete(callerFor(admin), id);
    });
  });
});
