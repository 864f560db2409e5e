import { status } from '@grpc/grpc-js';

import {
  ALL_PERMISSIONS,
  Permission,
  PermissionGrant,
  permissionsGrantedSomewhere,
  ResourceScope,
} from '@flotilla/api-interfaces';
import type { orchestratorV1 } from '@flotilla/contracts';
import { CALL_POLICIES, CallerIdentity } from '@flotilla/platform/grpc';

import { scriptStep } from './testing/orchestration-fixtures';
import {
  OrchestratorOverGrpc,
  startOrchestratorOverGrpc,
} from './testing/orchestrator-over-grpc.test-support';

/**
 * The RBAC matrix of OrchestratorService over the wire (issue 10): every user-facing method is
 * called as the gateway for a user whose grant holds the permission in the resource's scope (it
 * works), one holding it only in another project / environment (refused), and one lacking it
 * (refused by the call policy). Tokens carry the grants as the gateway mints them.
 *
 * Refusals (CallerScope): a resource the caller may not see answers NOT_FOUND like a missing one;
 * an action on a resource the caller sees but may not act on there answers PERMISSION_DENIED.
 */

/** Cluster-wide by design: nodes belong to no project or environment. */
const SYSTEM_WIDE_METHODS = ['GetNode', 'ListNodes', 'UpdateNode', 'RemoveNode'];

const administrator: CallerIdentity = {
  userId: 'u-admin',
  username: 'admin',
  clientIp: '192.0.2.20',
  permissions: [...ALL_PERMISSIONS],
};

let users = 0;
/** A user whose permissions are what the gateway would put in the token: those held somewhere. */
function userWith(...grants: PermissionGrant[]): CallerIdentity {
  users += 1;
  return {
    userId: `u-scoped-${users}`,
    username: `scoped${users}`,
    clientIp: '192.0.2.21',
    permissions: permissionsGrantedSomewhere(grants),
    grants,
  };
}

function grantIn(scope: ResourceScope, permissions: readonly Permission[]): PermissionGrant {
  return {
    permissions,
    ...(scope.projectId ? { projectIds: [scope.projectId] } : {}),
    ...(scope.environmentId ? { environmentIds: [scope.environmentId] } : {}),
  };
}

function refusal(promise: Promise<unknown>): Promise<status | 'OK'> {
  return promise.then(
    () => 'OK' as const,
    (error: { code: status }) => error.code,
  );
}

interface World {
  project: orchestratorV1.Project;
  otherProject: orchestratorV1.Project;
  environment: orchestratorV1.Environment;
  otherEnvironment: orchestratorV1.Environment;
  release: orchestratorV1.Release;
  otherRelease: orchestratorV1.Release;
  /** project × environment, twice, so lists page. */
  deployments: orchestratorV1.Deployment[];
  /** project × other environment: in scope of a project-only grant, out of a project+environment one. */
  crossDeployment: orchestratorV1.Deployment;
  otherDeployment: orchestratorV1.Deployment;
}

interface Target {
  request: object;
  scope: ResourceScope;
}

/** A method acting on (or reading) one resource. */
interface ResourceRow {
  method: string;
  permission: Permission;
  /** What must be visible to act (NOT_FOUND otherwise); [] when the method is the read itself. */
  views: Permission[];
  target(world: World): Target | Promise<Target>;
}

describe('OrchestratorService scope checks over gRPC (RBAC matrix)', () => {
  let orchestrator: OrchestratorOverGrpc;
  let world: World;
  const asAdmin = <T>(method: string, request: object) =>
    orchestrator.call<T>(administrator, method, request);
  const otherScopeOf = (scope: ResourceScope): ResourceScope => ({
    ...(scope.projectId ? { projectId: world.otherProject.id } : {}),
    ...(scope.environmentId ? { environmentId: world.otherEnvironment.id } : {}),
  });

  async function projectWithRelease(name: string) {
    const project = await asAdmin<orchestratorV1.Project>('CreateProject', { name, description: '' });
    await asAdmin('UpdateDeploymentProcess', {
      projectId: project.id,
      steps: [scriptStep('Say hello')],
      retryable: false,
    });
    const release = await asAdmin<orchestratorV1.Release>('CreateRelease', {
      projectId: project.id,
      version: '1.0.0',
      packages: [],
    });
    return { project, release };
  }

  const deploy = (release: orchestratorV1.Release, environment: orchestratorV1.Environment) =>
    asAdmin<orchestratorV1.Deployment>('CreateDeployment', {
      releaseId: release.id,
      environmentId: environment.id,
    });

  beforeAll(async () => {
    orchestrator = await startOrchestratorOverGrpc('wire-node');
    const shop = await projectWithRelease('Shop');
    const billing = await projectWithRelease('Billing');
    const staging = await asAdmin<orchestratorV1.Environment>('CreateEnvironment', { name: 'Staging' });
    const production = await asAdmin<orchestratorV1.Environment>('CreateEnvironment', { name: 'Production' });
    world = {
      project: shop.project,
      otherProject: billing.project,
      environment: staging,
      otherEnvironment: production,
      release: shop.release,
      otherRelease: billing.release,
      deployments: [await deploy(shop.release, staging), await deploy(shop.release, staging)],
      crossDeployment: await deploy(shop.release, production),
      otherDeployment: await deploy(billing.release, production),
    };
  }, 120_000);

  afterAll(async () => {
    await orchestrator?.stop();
  });

  const projectScope = (w: World) => ({ projectId: w.project.id });
  const deploymentScope = (w: World) => ({ projectId: w.project.id, environmentId: w.environment.id });

  const resourceRows: ResourceRow[] = [
    {
      method: 'GetProject',
      permission: Permission.ProjectView,
      views: [],
      target: (w) => ({ request: { id: w.project.id }, scope: projectScope(w) }),
    },
    {
      method: 'UpdateProject',
      permission: Permission.ProjectEdit,
      views: [Permission.ProjectView],
      target: (w) => ({
        request: { id: w.project.id, name: 'Shop', description: 'edited in scope' },
        scope: projectScope(w),
      }),
    },
    {
      method: 'DeleteProject',
      permission: Permission.ProjectDelete,
      views: [Permission.ProjectView],
      target: async () => {
        const doomed = await asAdmin<orchestratorV1.Project>('CreateProject', { name: 'Doomed project' });
        return { request: { id: doomed.id }, scope: { projectId: doomed.id } };
      },
    },
    {
      method: 'GetEnvironment',
      permission: Permission.EnvironmentView,
      views: [],
      target: (w) => ({
        request: { id: w.environment.id },
        scope: { environmentId: w.environment.id },
      }),
    },
    {
      method: 'DeleteEnvironment',
      permission: Permission.EnvironmentDelete,
      views: [Permission.EnvironmentView],
      target: async () => {
        const doomed = await asAdmin<orchestratorV1.Environment>('CreateEnvironment', { name: 'Doomed env' });
        return { request: { id: doomed.id }, scope: { environmentId: doomed.id } };
      },
    },
    {
      method: 'GetDeploymentProcess',
      permission: Permission.ProjectView,
      views: [],
      target: (w) => ({ request: { id: w.project.id }, scope: projectScope(w) }),
    },
    {
      method: 'UpdateDeploymentProcess',
      permission: Permission.ProcessEdit,
      views: [Permission.ProjectView],
      target: (w) => ({
        request: { projectId: w.project.id, steps: [scriptStep('Say hello')], retryable: false },
        scope: projectScope(w),
      }),
    },
    {
      method: 'GetVariables',
      permission: Permission.VariableView,
      views: [Permission.ProjectView],
      target: (w) => ({ request: { id: w.project.id }, scope: projectScope(w) }),
    },
    {
      method: 'UpdateVariables',
      permission: Permission.VariableEdit,
      views: [Permission.ProjectView],
      target: (w) => ({
        request: {
          projectId: w.project.id,
          variables: [{ name: 'Port', value: '8080', environmentIds: [], isSensitive: false }],
        },
        scope: projectScope(w),
      }),
    },
    {
      method: 'CreateRelease',
      permission: Permission.ReleaseCreate,
      views: [Permission.ProjectView],
      target: (w) => ({
        request: { projectId: w.project.id, version: '2.0.0', packages: [] },
        scope: projectScope(w),
      }),
    },
    {
      method: 'GetRelease',
      permission: Permission.ReleaseView,
      views: [],
      target: (w) => ({ request: { id: w.release.id }, scope: projectScope(w) }),
    },
    {
      method: 'ListReleases',
      permission: Permission.ReleaseView,
      views: [Permission.ProjectView],
      target: (w) => ({ request: { id: w.project.id }, scope: projectScope(w) }),
    },
    {
      method: 'CreateDeployment',
      permission: Permission.DeploymentCreate,
      views: [Permission.ReleaseView, Permission.EnvironmentView],
      target: (w) => ({
        request: { releaseId: w.release.id, environmentId: w.environment.id },
        scope: deploymentScope(w),
      }),
    },
    {
      method: 'GetDeployment',
      permission: Permission.DeploymentView,
      views: [],
      target: (w) => ({ request: { id: w.deployments[0].id }, scope: deploymentScope(w) }),
    },
    {
      method: 'GetTask',
      permission: Permission.TaskView,
      views: [],
      target: (w) => ({ request: { id: w.deployments[0].taskId }, scope: deploymentScope(w) }),
    },
    {
      method: 'CancelTask',
      permission: Permission.TaskCancel,
      views: [Permission.TaskView],
      target: async (w) => {
        const queued = await deploy(w.release, w.environment);
        return { request: { id: queued.taskId }, scope: deploymentScope(w) };
      },
    },
  ];

  describe.each(resourceRows)('$method ($permission)', (row) => {
    it('works for a user holding it in scope, is refused out of scope and without it', async () => {
      const target = await row.target(world);
      const { request, scope } = target;
      const other = otherScopeOf(scope);
      const call = (caller: CallerIdentity) => refusal(orchestrator.call(caller, row.method, request));
      const isRead = row.views.length === 0;

      const lacking = userWith(grantIn(scope, row.views));
      expect({ lacking: await call(lacking) }).toEqual({ lacking: status.PERMISSION_DENIED });

      // Sees the resource (if the method is an action on it), holds the permission elsewhere only.
      const elsewhere = isRead
        ? userWith(grantIn(other, [row.permission]))
        : userWith(grantIn(scope, row.views), grantIn(other, [row.permission]));
      expect({ elsewhere: await call(elsewhere) }).toEqual({
        elsewhere: isRead ? status.NOT_FOUND : status.PERMISSION_DENIED,
      });

      if (!isRead) {
        // Cannot even see it: its existence is not disclosed.
        const blind = userWith(grantIn(other, [row.permission, ...row.views]));
        expect({ blind: await call(blind) }).toEqual({ blind: status.NOT_FOUND });
      }

      const inScope = userWith(grantIn(scope, [row.permission, ...row.views]));
      expect({ inScope: await call(inScope) }).toEqual({ inScope: 'OK' });
    });
  });

  describe.each([
    { method: 'CreateProject', permission: Permission.ProjectCreate, request: { name: 'Made by a grant' } },
    {
      method: 'CreateEnvironment',
      permission: Permission.EnvironmentCreate,
      request: { name: 'Made by a grant' },
    },
  ])('$method ($permission, a system permission)', ({ method, permission, request }) => {
    it('works for an unrestricted grant only', async () => {
      const call = (caller: CallerIdentity) => refusal(orchestrator.call(caller, method, request));
      const scoped = userWith({ permissions: [permission], projectIds: [world.project.id] });
      expect({ scoped: await call(scoped) }).toEqual({ scoped: status.PERMISSION_DENIED });
      expect({ lacking: await call(userWith()) }).toEqual({ lacking: status.PERMISSION_DENIED });
      expect({ unrestricted: await call(userWith({ permissions: [permission] })) }).toEqual({
        unrestricted: 'OK',
      });
    });
  });

  it('ListProjects holds only the projects in scope', async () => {
    const list = (caller: CallerIdentity) =>
      orchestrator
        .call<orchestratorV1.ProjectList>(caller, 'ListProjects', {})
        .then((reply) => reply.items.map((item) => item.id));
    const inScope = await list(userWith(grantIn(projectScope(world), [Permission.ProjectView])));
    expect(inScope).toEqual([world.project.id]);
    const elsewhere = await list(
      userWith(grantIn({ projectId: world.otherProject.id }, [Permission.ProjectView])),
    );
    expect(elsewhere).toEqual([world.otherProject.id]);
    await expect(refusal(list(userWith()))).resolves.toBe(status.PERMISSION_DENIED);
    // A grant restricted to environments only leaves projects alone (ProjectView has no environment).
    const byEnvironment = await list(
      userWith(grantIn({ environmentId: world.environment.id }, [Permission.ProjectView])),
    );
    expect(byEnvironment).toEqual(expect.arrayContaining([world.project.id, world.otherProject.id]));
  });

  it('ListEnvironments holds only the environments in scope', async () => {
    const list = (caller: CallerIdentity) =>
      orchestrator
        .call<orchestratorV1.EnvironmentList>(caller, 'ListEnvironments', {})
        .then((reply) => reply.items.map((item) => item.id));
    const staging = { environmentId: world.environment.id };
    expect(await list(userWith(grantIn(staging, [Permission.EnvironmentView])))).toEqual([
      world.environment.id,
    ]);
    const production = { environmentId: world.otherEnvironment.id };
    expect(await list(userWith(grantIn(production, [Permission.EnvironmentView])))).toEqual([
      world.otherEnvironment.id,
    ]);
    await expect(refusal(list(userWith()))).resolves.toBe(status.PERMISSION_DENIED);
  });

  it('ListDeployments holds only the deployments in scope, on both dimensions', async () => {
    const list = (caller: CallerIdentity, request: object = {}) =>
      orchestrator
        .call<orchestratorV1.DeploymentList>(caller, 'ListDeployments', request)
        .then((reply) => reply.items.map((item) => item.id));
    const shopInStaging = userWith(grantIn(deploymentScope(world), [Permission.DeploymentView]));
    const visible = await list(shopInStaging);
    expect(visible).toEqual(expect.arrayContaining(world.deployments.map((d) => d.id)));
    expect(visible).not.toContain(world.crossDeployment.id);
    expect(visible).not.toContain(world.otherDeployment.id);
    // Asking for what the grant does not reach answers nothing rather than widening it.
    expect(await list(shopInStaging, { environmentId: world.otherEnvironment.id })).toEqual([]);
    const shopAnywhere = userWith(grantIn(projectScope(world), [Permission.DeploymentView]));
    expect(await list(shopAnywhere)).toContain(world.crossDeployment.id);
    expect(await list(shopAnywhere)).not.toContain(world.otherDeployment.id);
    const billing = userWith(
      grantIn({ projectId: world.otherProject.id, environmentId: world.otherEnvironment.id }, [
        Permission.DeploymentView,
      ]),
    );
    expect(await list(billing)).toEqual([world.otherDeployment.id]);
    await expect(refusal(list(userWith()))).resolves.toBe(status.PERMISSION_DENIED);
  });

  it('ListTasks holds only the tasks in scope, and its total and pages count only those', async () => {
    const list = (caller: CallerIdentity, request: object) =>
      orchestrator.call<orchestratorV1.TaskList>(caller, 'ListTasks', request);
    const inScopeAll = await list(administrator, {
      projectId: world.project.id,
      environmentId: world.environment.id,
    });
    expect(inScopeAll.total).toBeGreaterThanOrEqual(2);
    const shopInStaging = userWith(grantIn(deploymentScope(world), [Permission.TaskView]));
    const first = await list(shopInStaging, { take: 1 });
    expect(first.total).toBe(inScopeAll.total);
    expect(first.items).toHaveLength(1);
    const second = await list(shopInStaging, { skip: 1, take: 1 });
    expect(second.total).toBe(inScopeAll.total);
    expect(second.items[0]?.id).not.toBe(first.items[0]?.id);
    const everything = await list(shopInStaging, { take: 500 });
    expect(everything.items.map((task) => task.id).sort()).toEqual(
      inScopeAll.items.map((task) => task.id).sort(),
    );
    const other = await list(
      userWith(
        grantIn({ projectId: world.otherProject.id, environmentId: world.otherEnvironment.id }, [
          Permission.TaskView,
        ]),
      ),
      {},
    );
    expect(other).toMatchObject({ total: 1, items: [{ id: world.otherDeployment.taskId }] });
    await expect(refusal(list(userWith(), {}))).resolves.toBe(status.PERMISSION_DENIED);
  });

  it('lets a Deployer for Shop in Staging only deploy Shop to Staging, not to Production', async () => {
    const deployer = userWith(
      grantIn(projectScope(world), [Permission.ReleaseView, Permission.EnvironmentView]),
      grantIn(deploymentScope(world), [Permission.DeploymentCreate]),
    );
    const to = (environment: orchestratorV1.Environment) =>
      refusal(
        orchestrator.call(deployer, 'CreateDeployment', {
          releaseId: world.release.id,
          environmentId: environment.id,
        }),
      );
    await expect(to(world.otherEnvironment)).resolves.toBe(status.PERMISSION_DENIED);
    await expect(to(world.environment)).resolves.toBe('OK');
  });

  describe('project variables scoped to environments (VariableView/Edit on Catalog in Staging only)', () => {
    let catalog: orchestratorV1.Project;
    const variable = (name: string, value: string, environmentIds: string[] = [], isSensitive = false) => ({
      name,
      value,
      environmentIds,
      isSensitive,
    });
    const read = (caller: CallerIdentity) =>
      orchestrator
        .call<orchestratorV1.VariableSet>(caller, 'GetVariables', { id: catalog.id })
        .then((set) => set.variables.map((v) => `${v.name}|${v.environmentIds.join(',')}|${v.value}`).sort());
    const write = (caller: CallerIdentity, variables: object[]) =>
      orchestrator.call<orchestratorV1.VariableSet>(caller, 'UpdateVariables', {
        projectId: catalog.id,
        variables,
      });
    /** Reads and edits Catalog's variables in Staging only (and sees the project). */
    const stagingEditor = () =>
      userWith(
        grantIn({ projectId: catalog.id }, [Permission.ProjectView]),
        grantIn({ projectId: catalog.id, environmentId: world.environment.id }, [
          Permission.VariableView,
          Permission.VariableEdit,
        ]),
      );

    beforeEach(async () => {
      catalog ??= await asAdmin<orchestratorV1.Project>('CreateProject', { name: 'Catalog' });
      await write(administrator, [
        variable('Url', 'https://catalog'),
        variable('Url', 'https://staging.catalog', [world.environment.id]),
        variable('DbPassword', 'staging-secret', [world.environment.id], true),
        variable('DbPassword', 'production-secret', [world.otherEnvironment.id], true),
        variable('Region', 'eu', [world.otherEnvironment.id]),
      ]);
    });

    it('shows a Staging-only reader the unscoped and Staging variables, never Production ones', async () => {
      const staging = world.environment.id;
      const expected = [
        `DbPassword|${staging}|`,
        'Url||https://catalog',
        `Url|${staging}|https://staging.catalog`,
      ];
      expect(await read(stagingEditor())).toEqual(expected.sort());
      const readerInProduction = userWith(
        grantIn({ projectId: catalog.id }, [Permission.ProjectView]),
        grantIn({ projectId: catalog.id, environmentId: world.otherEnvironment.id }, [
          Permission.VariableView,
        ]),
      );
      expect(await read(readerInProduction)).toEqual(
        [
          `DbPassword|${world.otherEnvironment.id}|`,
          `Region|${world.otherEnvironment.id}|eu`,
          'Url||https://catalog',
        ].sort(),
      );
      expect(await read(administrator)).toHaveLength(5);
    });

    it('lets a Staging-only editor change Staging variables and keeps the Production ones it never saw', async () => {
      const editor = stagingEditor();
      const seen = await orchestrator.call<orchestratorV1.VariableSet>(editor, 'GetVariables', {
        id: catalog.id,
      });
      const edited = seen.variables.map((v) =>
        v.name === 'Url' && v.environmentIds.length > 0 ? { ...v, value: 'https://new.staging.catalog' } : v,
      );
      const saved = await write(editor, [...edited, variable('Feature', 'on', [world.environment.id])]);
      expect(saved.variables).toHaveLength(4);
      const production = world.otherEnvironment.id;
      expect(await read(administrator)).toEqual(
        [
          `DbPassword|${production}|`,
          `DbPassword|${world.environment.id}|`,
          `Feature|${world.environment.id}|on`,
          `Region|${production}|eu`,
          'Url||https://catalog',
          `Url|${world.environment.id}|https://new.staging.catalog`,
        ].sort(),
      );
    });

    it('refuses a Staging-only editor adding, changing or removing outside Staging, naming the variable', async () => {
      const editor = stagingEditor();
      const seen = (
        await orchestrator.call<orchestratorV1.VariableSet>(editor, 'GetVariables', { id: catalog.id })
      ).variables;
      const refused = (variables: object[]) =>
        write(editor, variables).then(
          () => 'OK',
          (error: { code: status; details: string }) => ({ code: error.code, details: error.details }),
        );
      const production = world.otherEnvironment.id;
      const cases: Array<[object[], RegExp]> = [
        [[...seen, variable('Region', 'us', [production])], /may not add variable "Region"/],
        [
          [...seen, variable('Token', 't', [world.environment.id, production])],
          /may not add variable "Token"/,
        ],
        [[...seen, variable('Token', 't')], /may not add variable "Token" \(every environment\)/],
        [
          seen.map((v) => (v.environmentIds.length === 0 ? { ...v, value: 'changed' } : v)),
          /may not change variable "Url"/,
        ],
        [seen.filter((v) => v.environmentIds.length > 0), /may not remove variable "Url"/],
        [
          seen.map((v) =>
            v.name === 'Url' && v.environmentIds.length > 0 ? { ...v, environmentIds: [production] } : v,
          ),
          /may not add variable "Url" \(environment /,
        ],
      ];
      for (const [variables, message] of cases) {
        const answer = await refused(variables);
        expect(answer).toMatchObject({ code: status.PERMISSION_DENIED });
        expect(typeof answer === 'string' ? answer : answer.details).toMatch(message);
      }
      // Nothing of it was written.
      expect(await read(administrator)).toHaveLength(5);
    });

    it('refuses reading or editing to a grant reaching no environment of the project', async () => {
      const viewer = userWith(
        grantIn({ projectId: catalog.id }, [Permission.ProjectView]),
        grantIn({ projectId: world.otherProject.id, environmentId: world.environment.id }, [
          Permission.VariableView,
          Permission.VariableEdit,
        ]),
      );
      await expect(refusal(read(viewer))).resolves.toBe(status.PERMISSION_DENIED);
      await expect(refusal(write(viewer, []))).resolves.toBe(status.PERMISSION_DENIED);
    });
  });

  it('covers every user-facing OrchestratorService method (a new one fails here until it has a row)', () => {
    const userFacing = Object.entries(CALL_POLICIES.orchestrator)
      .filter(([, policy]) => policy.callers.some((rule) => rule.user !== 'none'))
      .map(([method]) => method)
      .filter((method) => !SYSTEM_WIDE_METHODS.includes(method));
    const covered = [
      ...resourceRows.map((row) => row.method),
      'CreateProject',
      'CreateEnvironment',
      'ListProjects',
      'ListEnvironments',
      'ListDeployments',
      'ListTasks',
    ];
    expect([...covered].sort()).toEqual([...userFacing].sort());
  });
});
