import { ALL_PERMISSIONS, Permission, ROLE_DEFINITIONS, permissionsOfRoles } from './permissions';

describe('ROLE_DEFINITIONS', () => {
  it('gives the Administrator every permission', () => {
    expect([...ROLE_DEFINITIONS.Administrator.permissions].sort()).toEqual([...ALL_PERMISSIONS].sort());
  });

  it('lets a Deployer view everything and deploy, but not administer users, the system or the feed', () => {
    const deployer = ROLE_DEFINITIONS.Deployer.permissions;
    expect(deployer).toEqual(
      expect.arrayContaining([
        Permission.VariableView,
        Permission.DeploymentCreate,
        Permission.BuiltInFeedPush,
      ]),
    );
    expect(deployer).not.toContain(Permission.AdministerSystem);
    expect(deployer).not.toContain(Permission.UserEdit);
    expect(deployer).not.toContain(Permission.BuiltInFeedAdminister);
    expect(deployer).not.toContain(Permission.ProjectDelete);
  });

  it('keeps the Auditor read only and away from variable values', () => {
    const auditor = ROLE_DEFINITIONS.Auditor.permissions;
    expect(auditor).toContain(Permission.EventView);
    expect(auditor).not.toContain(Permission.VariableView);
    const changes = auditor.filter((p) => !p.endsWith('View'));
    expect(changes).toEqual([Permission.ApiKeyEdit]);
  });
});

describe(permissionsOfRoles.name, () => {
  it('unites the roles and ignores unknown names', () => {
    expect(permissionsOfRoles(['Auditor', 'NoSuchRole'])).toEqual(
      ALL_PERMISSIONS.filter((p) => ROLE_DEFINITIONS.Auditor.permissions.includes(p)),
    );
    expect(permissionsOfRoles([])).toEqual([]);
  });
});
