import {
  environmentReach,
  grantsOfCaller,
  permissionsGrantedSomewhere,
  permits,
  permitsSomewhere,
  PermissionGrant,
  unrestrictedGrant,
  variableAccess,
} from './permission-grants';
import { Permission } from './permissions';

const shopInStaging: PermissionGrant = {
  permissions: [
    Permission.ProjectView,
    Permission.DeploymentCreate,
    Permission.FeedView,
    Permission.UserEdit,
  ],
  projectIds: ['shop'],
  environmentIds: ['staging'],
};

describe('permission grants', () => {
  it('gives a restricted permission only on resources inside both restrictions', () => {
    const grants = [shopInStaging];
    expect(
      permits(grants, Permission.DeploymentCreate, { projectId: 'shop', environmentId: 'staging' }),
    ).toBe(true);
    expect(
      permits(grants, Permission.DeploymentCreate, { projectId: 'shop', environmentId: 'production' }),
    ).toBe(false);
    expect(
      permits(grants, Permission.DeploymentCreate, { projectId: 'blog', environmentId: 'staging' }),
    ).toBe(false);
    // A check that names no environment cannot pass an environment restriction.
    expect(permits(grants, Permission.DeploymentCreate, { projectId: 'shop' })).toBe(false);
  });

  it('ignores a restriction on a dimension the permission does not have', () => {
    // Deployer for Shop in Staging sees project Shop (ProjectView has no environment).
    expect(permits([shopInStaging], Permission.ProjectView, { projectId: 'shop' })).toBe(true);
    expect(permits([shopInStaging], Permission.ProjectView, { projectId: 'blog' })).toBe(false);
  });

  it('never gives system power through a restricted grant, except reading packages and own API keys', () => {
    expect(permits([shopInStaging], Permission.UserEdit)).toBe(false);
    expect(permitsSomewhere([shopInStaging], Permission.UserEdit)).toBe(false);
    expect(permits([shopInStaging], Permission.FeedView)).toBe(true);
    expect(permits([{ permissions: [Permission.UserEdit] }], Permission.UserEdit)).toBe(true);
  });

  it('an empty restriction list gives nothing, unlike an absent one', () => {
    const none: PermissionGrant = { permissions: [Permission.ReleaseView], projectIds: [] };
    expect(permits([none], Permission.ReleaseView, { projectId: 'shop' })).toBe(false);
    expect(permitsSomewhere([none], Permission.ReleaseView)).toBe(false);
    expect(
      permits([{ permissions: [Permission.ReleaseView] }], Permission.ReleaseView, { projectId: 'x' }),
    ).toBe(true);
  });

  it('lists what is held somewhere, for route checks and the portal', () => {
    expect(permissionsGrantedSomewhere([shopInStaging])).toEqual([
      Permission.ProjectView,
      Permission.DeploymentCreate,
      Permission.FeedView,
    ]);
  });

  it('reads an identity without grants as its permissions, unrestricted', () => {
    const grants = grantsOfCaller({ permissions: ['ProjectView', 'NotAPermission'] });
    expect(grants).toEqual([{ permissions: [Permission.ProjectView] }]);
    expect(permits(grants, Permission.ProjectView, { projectId: 'any' })).toBe(true);
    expect(grantsOfCaller({ permissions: ['ProjectView'], grants: [shopInStaging] })).toEqual([
      shopInStaging,
    ]);
    expect(unrestrictedGrant(['Auditor']).permissions).toContain(Permission.EventView);
  });
});

describe('project variables scoped to environments', () => {
  const view = Permission.VariableView;
  const edit = Permission.VariableEdit;
  /** VariableView on Shop in Staging and Test, VariableEdit on Shop in Staging only. */
  const stagingEditor: PermissionGrant[] = [
    { permissions: [view], projectIds: ['shop'], environmentIds: ['staging', 'test'] },
    { permissions: [edit], projectIds: ['shop'], environmentIds: ['staging'] },
  ];
  const shopEditor: PermissionGrant[] = [{ permissions: [view, edit], projectIds: ['shop'] }];
  const access = (grants: PermissionGrant[], environmentIds: string[], projectId = 'shop') =>
    variableAccess(grants, projectId, environmentIds);

  it('reaches the environments a grant names, in its projects only', () => {
    expect(environmentReach(stagingEditor, edit, 'shop')).toEqual({
      everywhere: false,
      environmentIds: new Set(['staging']),
    });
    expect(environmentReach(stagingEditor, edit, 'blog')).toEqual({
      everywhere: false,
      environmentIds: new Set(),
    });
    expect(environmentReach(shopEditor, edit, 'shop')).toEqual({ everywhere: true });
    // An environment-only restriction reaches those environments in every project.
    expect(environmentReach([{ permissions: [view], environmentIds: ['qa'] }], view, 'blog')).toEqual({
      everywhere: false,
      environmentIds: new Set(['qa']),
    });
    // Without the environment dimension: all of the project's environments, or none.
    expect(environmentReach(stagingEditor, Permission.ProjectView, 'shop')).toEqual({
      everywhere: false,
      environmentIds: new Set(),
    });
    expect(environmentReach([shopInStaging], Permission.ProjectView, 'shop')).toEqual({ everywhere: true });
  });

  it('shows a variable when VariableView reaches at least one of its environments', () => {
    expect(access(stagingEditor, ['staging'])).toEqual({ visible: true, editable: true });
    expect(access(stagingEditor, ['production'])).toEqual({ visible: false, editable: false });
    expect(access(stagingEditor, ['staging', 'production']).visible).toBe(true);
    expect(access(stagingEditor, ['staging'], 'blog').visible).toBe(false);
  });

  it('shows an unscoped variable (it applies everywhere) to whoever reads the project anywhere', () => {
    expect(access(stagingEditor, []).visible).toBe(true);
    expect(access([{ permissions: [view], projectIds: ['shop'], environmentIds: [] }], []).visible).toBe(
      false,
    );
  });

  it('edits a variable only when VariableEdit reaches every one of its environments', () => {
    expect(access(stagingEditor, ['staging', 'production'])).toEqual({ visible: true, editable: false });
    expect(access(stagingEditor, ['test']).editable).toBe(false);
    expect(access(shopEditor, ['staging', 'production'])).toEqual({ visible: true, editable: true });
  });

  it('edits an unscoped variable only with VariableEdit on the project unrestricted by environment', () => {
    expect(access(stagingEditor, [])).toEqual({ visible: true, editable: false });
    expect(access(shopEditor, [])).toEqual({ visible: true, editable: true });
    expect(access([{ permissions: [view, edit] }], [])).toEqual({ visible: true, editable: true });
  });

  it('edits where VariableEdit reaches, whether or not VariableView does', () => {
    const blindEditor: PermissionGrant[] = [
      { permissions: [view], projectIds: ['shop'], environmentIds: ['staging'] },
      { permissions: [edit], projectIds: ['shop'] },
    ];
    expect(access(blindEditor, ['production'])).toEqual({ visible: false, editable: true });
    expect(access(blindEditor, [])).toEqual({ visible: true, editable: true });
  });

  it('holds on the environment dimension: "on Shop" alone does not pass a Staging restriction', () => {
    expect(permits(stagingEditor, edit, { projectId: 'shop' })).toBe(false);
    expect(permits(stagingEditor, edit, { projectId: 'shop', environmentId: 'staging' })).toBe(true);
    expect(permitsSomewhere(stagingEditor, edit)).toBe(true);
  });
});
