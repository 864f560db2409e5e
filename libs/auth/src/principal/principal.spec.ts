import { ALL_PERMISSIONS, Permission, permissionsOfRoles, Role } from '@flotilla/api-interfaces';
import { RpcException } from '@nestjs/microservices';

import { buildPrincipal, requirePermission } from './principal';

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
  it('carries the user and the permissions of their roles', () => {
    const user = {
      id: 'u1',
      username: 'ann',
      displayName: 'Ann',
      roles: ['Auditor'],
      isActive: true,
      createdAt: new Date(),
      mustChangePassword: false,
    };

    expect(buildPrincipal(user, 'api-key')).toEqual({
      userId: 'u1',
      username: 'ann',
      displayName: 'Ann',
      permissions: permissionsOfRoles(['Auditor']),
      credential: 'api-key',
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
