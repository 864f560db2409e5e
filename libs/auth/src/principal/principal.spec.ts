import { ALL_PERMISSIONS, Permission, permissionsOfRoles, permits, Role } from '@flotilla/api-interfaces';
import { grantsFromWire } from '@flotilla/platform/grpc';
import { RpcException } from '@nestjs/microservices';

import { buildPrincipal, grantsOfUser, requirePermission } from './principal';

const CHANGING_SUFFIXES = ['Create', 'Edit', 'Delete', 'Push', 'Cancel', 'Administer'];

describe('role to permission mapping', () => {
  it('gives Administrator every permission', () => {
    expect(permissionsOfRoles([Role.Administrator])).toEqual(ALL_PERMISSIONS);
  });

  it('keeps Auditor read-only: nothing that changes state except managing their own API keys', () => {
    const auditor = permissionsOfRoles([Role.Auditor]);
    const changing = auditor.filter((p) => CHANGING_SUFFIXES.some((suffix) => p.endsWith(suffix)));

    expect(changing).toEqual([Permission.ApiKeyEdit]);
    expect(auditor).not.toContain(Permission.AdministerSystem);
    expect(auditor).toContain(Permission.EventView);
    expect(auditor).not.toContain(Permission.VariableView);
  });

  it('lets Deployer deploy but not administer users, feeds or the system', () => {
    const deployer = permissionsOfRoles([Role.Deployer]);

    expect(deployer).toEqual(
      expect.arrayContaining([Permission.DeploymentCreate, Permission.BuiltInFeedPush]),
    );
    for (const forbidden of [
      Permission.UserEdit,
      Permission.AdministerSystem,
      Permission.BuiltInFeedAdminister,
    ]) {
      expect(deployer).not.toContain(forbidden);
    }
  });

  it('grants nothing for unknown roles and unions several roles without duplicates', () => {
    expect(permissionsOfRoles(['Root'])).toEqual([]);
    const both = permissionsOfRoles([Role.Auditor, Role.Deployer]);
    expect(new Set(both).size).toBe(both.length);
    expect(both).toEqual(expect.arrayContaining([Permission.EventView, Permission.VariableEdit]));
  });
});

describe(buildPrincipal.name, () => {
  const user = (roles: string[]) => ({
    id: 'u1',
    username: 'ann',
    displayName: 'Ann',
    roles,
    isActive: true,
    createdAt: new Date(),
    mustChangePassword: false,
  });
  const shopStaging = { role: Role.Deployer, projectIds: ['shop'], environmentIds: ['staging'] };

  it('carries the user and the permissions of their roles, with no grants when nothing is restricted', () => {
    expect(buildPrincipal(user(['Auditor']), 'api-key')).toEqual({
      userId: 'u1',
      username: 'ann',
      displayName: 'Ann',
      permissions: permissionsOfRoles(['Auditor']),
      credential: 'api-key',
      grants: [],
    });
    // An unrestricted team role joins the account's: still no grants on the wire.
    expect(buildPrincipal(user(['Auditor']), 'session', [{ role: Role.Deployer }])).toMatchObject({
      permissions: permissionsOfRoles(['Auditor', 'Deployer']),
      grants: [],
    });
  });

  it("adds each team grant, restricted as the team says, to the account's own roles everywhere", () => {
    const principal = buildPrincipal(user(['Auditor']), 'session', [shopStaging]);
    const grants = grantsFromWire(principal.grants) ?? [];

    expect(grants).toEqual([
      { permissions: permissionsOfRoles(['Auditor']) },
      { permissions: permissionsOfRoles(['Deployer']), projectIds: ['shop'], environmentIds: ['staging'] },
    ]);
    expect(principal.permissions).toContain(Permission.DeploymentCreate);
    expect(
      permits(grants, Permission.DeploymentCreate, { projectId: 'shop', environmentId: 'staging' }),
    ).toBe(true);
    expect(permits(grants, Permission.DeploymentCreate, { projectId: 'shop', environmentId: 'prod' })).toBe(
      false,
    );
    expect(permits(grants, Permission.EventView, {})).toBe(true);
  });

  it('gives a user with only restricted grants no system permission (users, creating projects, pushing packages)', () => {
    const principal = buildPrincipal(user([]), 'session', [
      { role: Role.Administrator, projectIds: ['shop'] },
    ]);

    expect(principal.permissions).toContain(Permission.ProjectEdit);
    expect(principal.permissions).toContain(Permission.FeedView);
    for (const system of [
      Permission.UserView,
      Permission.UserEdit,
      Permission.AdministerSystem,
      Permission.ProjectCreate,
      Permission.BuiltInFeedPush,
    ]) {
      expect(principal.permissions).not.toContain(system);
    }
  });

  it('leaves out grants that give nothing: no account roles, a role that no longer exists', () => {
    expect(grantsOfUser([], [{ role: 'Retired', projectIds: ['shop'] }])).toEqual([]);
    expect(buildPrincipal(user([]), 'session', [{ role: 'Retired', projectIds: ['shop'] }])).toMatchObject({
      permissions: [],
      grants: [],
    });
  });
});

describe(requirePermission.name, () => {
  const caller = { userId: 'u1', username: 'ann', clientIp: '', permissions: [Permission.UserView] };

  it('passes a caller holding the permission and refuses one without it or without identity', () => {
    expect(() => requirePermission(caller, Permission.UserView)).not.toThrow();
    expect(() => requirePermission(caller, Permission.UserEdit)).toThrow(RpcException);
    expect(() => requirePermission({ ...caller, userId: '' }, Permission.UserView)).toThrow('Sign in first');
  });
});
