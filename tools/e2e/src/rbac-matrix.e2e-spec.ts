import { Permission, Role, ROLE_DEFINITIONS } from '@flotilla/api-interfaces';
import { ApiClient, eventually, FlotillaNode, startFlotillaNode, trustingFetch } from '@flotilla/testing';

import { declaredRoutes, isScopedPermission, permissionOf } from './rbac-matrix-routes';

/**
 * The REST RBAC matrix (issue 10 point 4) on a real node: every route of the gateway's controllers
 * has a row here (a new route fails the first test until it gets one). Users get their roles only
 * from teams (POST /api/teams) whose grants are restricted to projects and environments:
 * - a route on a project / environment resource: a user holding the permission in its scope gets
 *   through, one holding it in another project and environment only gets 404 (the resource is not
 *   disclosed), one lacking it 403;
 * - a list: in-scope and out-of-scope users each see only their own project's / environment's rows;
 * - a system-wide permission (users, teams, packages, audit trail, cluster administration): an
 *   unrestricted grant gets through, a restricted one never gives it (403), nor does lacking it;
 *   reading the feed and one's own API keys stay given by a restricted grant (harmless);
 * - public and signed-in routes need no permission.
 */

interface Identified {
  id: string;
}
interface Deployment extends Identified {
  taskId: string;
}
interface ItemList {
  items: Identified[];
}

interface World {
  project: Identified;
  otherProject: Identified;
  doomedProject: Identified;
  environment: Identified;
  otherEnvironment: Identified;
  doomedEnvironment: Identified;
  release: Identified;
  slowRelease: Identified;
  deployment: Deployment;
  otherDeployment: Deployment;
}

interface Target {
  path: string;
  body?: unknown;
}

type Row =
  /** One resource in the scoped users' project and environment. */
  | { kind: 'resource'; target(world: World): Target | Promise<Target> }
  /** A list: the ids it must hold for the in-scope user, and for the out-of-scope one. */
  | { kind: 'list'; path: string; inScope(world: World): string; outOfScope(world: World): string }
  /** A permission with no project or environment: an example request with placeholder ids. */
  | { kind: 'system'; path: string }
  /** Cluster state needing TaskView held somewhere (nodes belong to no project). */
  | { kind: 'cluster-wide'; path: string }
  | { kind: 'open'; why: string };

const script = (body: string) => [
  { name: 'Run', actionType: 'run-script', properties: { scriptBody: body } },
];

const ROWS: Record<string, Row> = {
  'GET /api/projects': {
    kind: 'list',
    path: '/api/projects',
    inScope: (w) => w.project.id,
    outOfScope: (w) => w.otherProject.id,
  },
  'POST /api/projects': { kind: 'system', path: '/api/projects' },
  'GET /api/projects/:id': { kind: 'resource', target: (w) => ({ path: `/api/projects/${w.project.id}` }) },
  'PUT /api/projects/:id': {
    kind: 'resource',
    target: (w) => ({
      path: `/api/projects/${w.project.id}`,
      body: { name: 'Matrix Shop', description: 'edited' },
    }),
  },
  'DELETE /api/projects/:id': {
    kind: 'resource',
    target: (w) => ({ path: `/api/projects/${w.doomedProject.id}` }),
  },
  'GET /api/projects/:id/deploymentprocess': {
    kind: 'resource',
    target: (w) => ({ path: `/api/projects/${w.project.id}/deploymentprocess` }),
  },
  'PUT /api/projects/:id/deploymentprocess': {
    kind: 'resource',
    target: (w) => ({
      path: `/api/projects/${w.project.id}/deploymentprocess`,
      body: { steps: script('echo hi'), retryable: false },
    }),
  },
  'GET /api/projects/:id/variables': {
    kind: 'resource',
    target: (w) => ({ path: `/api/projects/${w.project.id}/variables` }),
  },
  'PUT /api/projects/:id/variables': {
    kind: 'resource',
    target: (w) => ({ path: `/api/projects/${w.project.id}/variables`, body: { variables: [] } }),
  },
  'GET /api/projects/:id/releases': {
    kind: 'resource',
    target: (w) => ({ path: `/api/projects/${w.project.id}/releases` }),
  },
  'POST /api/projects/:id/releases': {
    kind: 'resource',
    target: (w) => ({
      path: `/api/projects/${w.project.id}/releases`,
      body: { version: '3.0.0', packages: [] },
    }),
  },
  'GET /api/releases/:id': { kind: 'resource', target: (w) => ({ path: `/api/releases/${w.release.id}` }) },
  'GET /api/environments': {
    kind: 'list',
    path: '/api/environments',
    inScope: (w) => w.environment.id,
    outOfScope: (w) => w.otherEnvironment.id,
  },
  'POST /api/environments': { kind: 'system', path: '/api/environments' },
  'GET /api/environments/:id': {
    kind: 'resource',
    target: (w) => ({ path: `/api/environments/${w.environment.id}` }),
  },
  'DELETE /api/environments/:id': {
    kind: 'resource',
    target: (w) => ({ path: `/api/environments/${w.doomedEnvironment.id}` }),
  },
  'POST /api/deployments': {
    kind: 'resource',
    target: (w) => ({
      path: '/api/deployments',
      body: { releaseId: w.release.id, environmentId: w.environment.id },
    }),
  },
  'GET /api/deployments': {
    kind: 'list',
    path: '/api/deployments',
    inScope: (w) => w.deployment.id,
    outOfScope: (w) => w.otherDeployment.id,
  },
  'GET /api/deployments/:id': {
    kind: 'resource',
    target: (w) => ({ path: `/api/deployments/${w.deployment.id}` }),
  },
  'GET /api/tasks': {
    kind: 'list',
    path: '/api/tasks?take=500',
    inScope: (w) => w.deployment.taskId,
    outOfScope: (w) => w.otherDeployment.taskId,
  },
  'GET /api/tasks/:id': { kind: 'resource', target: (w) => ({ path: `/api/tasks/${w.deployment.taskId}` }) },
  'POST /api/tasks/:id/cancel': {
    kind: 'resource',
    // A deployment that sleeps, queued just now: cancelling it succeeds whether it started or not.
    target: async (w) => ({
      path: `/api/tasks/${(await deployAsAdmin(w.slowRelease, w.environment)).taskId}/cancel`,
    }),
  },
  'GET /api/tasks/:id/log': {
    kind: 'resource',
    target: (w) => ({ path: `/api/tasks/${w.deployment.taskId}/log` }),
  },
  'POST /api/tasks/:id/log/stream-tickets': {
    kind: 'resource',
    target: (w) => ({ path: `/api/tasks/${w.deployment.taskId}/log/stream-tickets` }),
  },
  'GET /api/tasks/:id/log/stream': {
    kind: 'resource',
    target: (w) => ({ path: `/api/tasks/${w.deployment.taskId}/log/stream` }),
  },
  'GET /api/events': { kind: 'system', path: '/api/events' },
  'GET /api/events/verification': { kind: 'system', path: '/api/events/verification' },
  'POST /api/events/export-tickets': { kind: 'system', path: '/api/events/export-tickets' },
  'GET /api/events/export': { kind: 'system', path: '/api/events/export?action=no.such.action' },
  'GET /api/events/retention': { kind: 'system', path: '/api/events/retention' },
  'PUT /api/events/retention': { kind: 'system', path: '/api/events/retention' },
  'GET /api/events/archives': { kind: 'system', path: '/api/events/archives' },
  'GET /api/events/archives/:day': { kind: 'system', path: '/api/events/archives/2000-01-01' },
  'GET /api/events/archives/:day/manifest': {
    kind: 'system',
    path: '/api/events/archives/2000-01-01/manifest',
  },
  'DELETE /api/events/archives/:day': { kind: 'system', path: '/api/events/archives/2000-01-01' },
  'GET /api/audit-streams': { kind: 'system', path: '/api/audit-streams' },
  'POST /api/audit-streams': { kind: 'system', path: '/api/audit-streams' },
  'PUT /api/audit-streams/:id': {
    kind: 'system',
    path: '/api/audit-streams/00000000-0000-4000-8000-000000000000',
  },
  'DELETE /api/audit-streams/:id': {
    kind: 'system',
    path: '/api/audit-streams/00000000-0000-4000-8000-000000000000',
  },
  'GET /api/nodes': { kind: 'cluster-wide', path: '/api/nodes' },
  'GET /api/nodes/:name': { kind: 'cluster-wide', path: '/api/nodes/no-such-node' },
  'PUT /api/nodes/:name': { kind: 'system', path: '/api/nodes/no-such-node' },
  'DELETE /api/nodes/:name': { kind: 'system', path: '/api/nodes/no-such-node' },
  'GET /api/health/diagnostics': { kind: 'cluster-wide', path: '/api/health/diagnostics' },
  'GET /api/health/ping': { kind: 'open', why: 'the load balancer asks it without credentials' },
  'GET /api/auth/providers': { kind: 'open', why: 'the sign-in page asks it before anyone signed in' },
  'POST /api/users/login': { kind: 'open', why: 'signing in' },
  'POST /api/users/password': { kind: 'open', why: 'changing an expired password before signing in' },
  'POST /api/users/logout': { kind: 'open', why: 'any signed-in user ends their own session' },
  'GET /api/users/me': { kind: 'open', why: 'any signed-in user reads their own profile' },
  'GET /api/users': { kind: 'system', path: '/api/users' },
  'POST /api/users': { kind: 'system', path: '/api/users' },
  'POST /api/users/:id/disable': { kind: 'system', path: '/api/users/no-such-user/disable' },
  'POST /api/users/:id/enable': { kind: 'system', path: '/api/users/no-such-user/enable' },
  'POST /api/users/:id/sessions/revoke': { kind: 'system', path: '/api/users/no-such-user/sessions/revoke' },
  'POST /api/users/:id/password/reset': { kind: 'system', path: '/api/users/no-such-user/password/reset' },
  'GET /api/teams': { kind: 'system', path: '/api/teams' },
  'GET /api/teams/:id': { kind: 'system', path: '/api/teams/no-such-team' },
  'POST /api/teams': { kind: 'system', path: '/api/teams' },
  'PUT /api/teams/:id': { kind: 'system', path: '/api/teams/no-such-team' },
  'DELETE /api/teams/:id': { kind: 'system', path: '/api/teams/no-such-team' },
  'GET /api/apikeys': { kind: 'system', path: '/api/apikeys' },
  'POST /api/apikeys': { kind: 'system', path: '/api/apikeys' },
  'DELETE /api/apikeys/:id': { kind: 'system', path: '/api/apikeys/no-such-key' },
  'POST /api/packages': { kind: 'system', path: '/api/packages' },
  'POST /api/packages/raw': { kind: 'system', path: '/api/packages/raw' },
  'GET /api/packages': { kind: 'system', path: '/api/packages' },
  'GET /api/packages/:packageId/:version': { kind: 'system', path: '/api/packages/No.Such/1.0.0' },
  'GET /api/packages/:packageId/:version/raw': { kind: 'system', path: '/api/packages/No.Such/1.0.0/raw' },
  'DELETE /api/packages/:packageId/:version': { kind: 'system', path: '/api/packages/No.Such/1.0.0' },
  'GET /api/directory/sync': { kind: 'system', path: '/api/directory/sync' },
  'POST /api/directory/diagnostics': { kind: 'system', path: '/api/directory/diagnostics' },
  'GET /api/settings/trusted-proxies': { kind: 'system', path: '/api/settings/trusted-proxies' },
  // No body: an administrator gets through to the validation (400), nobody's list changes.
  'PUT /api/settings/trusted-proxies': { kind: 'system', path: '/api/settings/trusted-proxies' },
};

/** System permissions a restricted grant still gives (HARMLESS_UNSCOPED in permission-grants.ts). */
const GIVEN_BY_A_RESTRICTED_GRANT: readonly Permission[] = [Permission.FeedView, Permission.ApiKeyEdit];

/** The smallest role holding `permission`: the users of a row get only what it needs. */
function roleHolding(permission: Permission): Role {
  const role = [Role.Auditor, Role.Deployer, Role.Administrator].find((r) =>
    ROLE_DEFINITIONS[r].permissions.includes(permission),
  );
  if (!role) throw new Error(`no role holds ${permission}`);
  return role;
}

/** The largest role lacking `permission` (undefined: even the Auditor holds it; then no role at all). */
function roleLacking(permission: Permission): Role | undefined {
  return [Role.Deployer, Role.Auditor].find((r) => !ROLE_DEFINITIONS[r].permissions.includes(permission));
}

/** A signed-in user's session token. */
type User = string;

/** The status of one request as `user`; the body is read (a stream to its end) but not parsed. */
async function statusOf(baseUrl: string, user: User, method: string, path: string, body?: unknown) {
  const response = await trustingFetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${user}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await response.text();
  return response.status;
}

/** One request as `user`, with its JSON body (an error's body names what was refused). */
async function replyOf<T>(baseUrl: string, user: User, method: string, path: string, body?: unknown) {
  const response = await trustingFetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${user}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

interface Variable {
  name: string;
  value: string;
  environmentIds: string[];
  isSensitive: boolean;
}

let admin: ApiClient;
let adminToken: User;
async function deployAsAdmin(release: Identified, environment: Identified): Promise<Deployment> {
  const reply = await admin.post<Deployment>('/api/deployments', {
    releaseId: release.id,
    environmentId: environment.id,
  });
  if (reply.status !== 201) throw new Error(`deployment: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

describe('REST RBAC matrix with team grants scoped to projects and environments', () => {
  let node: FlotillaNode;
  let world: World;
  /** By role: a member of a team granting it on the world's project and environment, and one elsewhere. */
  const inScope = new Map<Role, User>();
  const outOfScope = new Map<Role, User>();
  /** A signed-in user with no role and no team. */
  let nobody: User;
  let users = 0;

  async function created<T>(reply: Promise<{ status: number; body: T }>, what: string): Promise<T> {
    const { status, body } = await reply;
    if (status !== 201) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  /** A local user in a team granting `role` restricted as given (no team: no role at all). */
  async function userWith(grant?: { role: Role; projectIds: string[]; environmentIds: string[] }) {
    users += 1;
    const username = `matrix-${users}`;
    const password = `Matrix-password-${users}`;
    const user = await created(
      admin.post<Identified>('/api/users', { username, displayName: username, password, roles: [] }),
      `user ${username}`,
    );
    if (grant) {
      await created(
        admin.post<Identified>('/api/teams', {
          name: `Matrix team ${users}`,
          members: [{ kind: 'user', id: user.id }],
          grants: [grant],
        }),
        `team of ${username}`,
      );
    }
    const login = await new ApiClient(node.baseUrl).login(username, password);
    if (login.status !== 200) throw new Error(`sign-in of ${username}: ${login.status}`);
    return login.body.token;
  }

  beforeAll(async () => {
    node = await startFlotillaNode({});
    admin = new ApiClient(node.baseUrl);
    const signedIn = await admin.login(node.adminUsername, node.adminPassword);
    expect(signedIn.status).toBe(200);
    adminToken = signedIn.body.token;
    const project = (name: string) => created(admin.post<Identified>('/api/projects', { name }), name);
    const environment = (name: string) =>
      created(admin.post<Identified>('/api/environments', { name }), name);
    const release = async (of: Identified, version: string, body: string) => {
      expect(
        (
          await admin.put(`/api/projects/${of.id}/deploymentprocess`, {
            steps: script(body),
            retryable: false,
          })
        ).status,
      ).toBe(200);
      return created(
        admin.post<Identified>(`/api/projects/${of.id}/releases`, { version, packages: [] }),
        version,
      );
    };
    const shop = await project('Matrix Shop');
    const billing = await project('Matrix Billing');
    const staging = await environment('Matrix Staging');
    const production = await environment('Matrix Production');
    const shopRelease = await release(shop, '1.0.0', 'echo hi');
    const billingRelease = await release(billing, '1.0.0', 'echo hi');
    const deployment = await deployAsAdmin(shopRelease, staging);
    await eventually(
      async () => {
        const task = await admin.get<{ state: string }>(`/api/tasks/${deployment.taskId}`);
        return task.body.state === 'Success' ? true : undefined;
      },
      120_000,
      'the first deployment to succeed',
    );
    world = {
      project: shop,
      otherProject: billing,
      doomedProject: await project('Matrix Doomed'),
      environment: staging,
      otherEnvironment: production,
      doomedEnvironment: await environment('Matrix Doomed'),
      release: shopRelease,
      slowRelease: await release(shop, '2.0.0', 'sleep 60'),
      deployment,
      otherDeployment: await deployAsAdmin(billingRelease, production),
    };
    for (const role of [Role.Auditor, Role.Deployer, Role.Administrator]) {
      inScope.set(
        role,
        await userWith({
          role,
          projectIds: [world.project.id, world.doomedProject.id],
          environmentIds: [world.environment.id, world.doomedEnvironment.id],
        }),
      );
      outOfScope.set(
        role,
        await userWith({
          role,
          projectIds: [world.otherProject.id],
          environmentIds: [world.otherEnvironment.id],
        }),
      );
    }
    nobody = await userWith();
  }, 400_000);

  afterAll(async () => {
    await node?.stop();
  }, 60_000);

  const lacking = (permission: Permission): User => {
    const role = roleLacking(permission);
    return role ? (inScope.get(role) as User) : nobody;
  };
  const holding = (users: Map<Role, User>, role: Role) => users.get(role) as User;

  it('has a row for every route of the gateway, and no row for a route that does not exist', () => {
    const routes = declaredRoutes().map((route) => route.key);
    expect(Object.keys(ROWS).sort()).toEqual([...routes].sort());
    for (const route of declaredRoutes()) {
      const permission = permissionOf(route);
      const row = ROWS[route.key];
      // A route on a project / environment has a scoped row; a system permission never has one.
      if (row.kind === 'resource' || row.kind === 'list')
        expect({ route: route.key, scoped: permission && isScopedPermission(permission) }).toEqual({
          route: route.key,
          scoped: true,
        });
      if (row.kind === 'system')
        expect({ route: route.key, scoped: permission && isScopedPermission(permission) }).toEqual({
          route: route.key,
          scoped: false,
        });
    }
  });

  const routesOf = (kind: Row['kind']) => declaredRoutes().filter((route) => ROWS[route.key]?.kind === kind);

  it.each(routesOf('resource').map((route) => [route.key, route] as const))(
    '%s: in scope works, out of scope 404, without the permission 403',
    async (key, route) => {
      const permission = permissionOf(route) as Permission;
      const row = ROWS[key] as Extract<Row, { kind: 'resource' }>;
      const target = await row.target(world);
      const method = key.slice(0, key.indexOf(' '));
      const send = (user: User) => statusOf(node.baseUrl, user, method, target.path, target.body);
      const role = roleHolding(permission);
      expect({ lacking: await send(lacking(permission)) }).toEqual({ lacking: 403 });
      expect({ outOfScope: await send(holding(outOfScope, role)) }).toEqual({ outOfScope: 404 });
      const status = await send(holding(inScope, role));
      expect({ inScope: status >= 200 && status < 300 ? 'ok' : status }).toEqual({ inScope: 'ok' });
    },
    120_000,
  );

  it.each(routesOf('list').map((route) => [route.key, route] as const))(
    '%s: each user sees only their own scope, without the permission 403',
    async (key, route) => {
      const permission = permissionOf(route) as Permission;
      const row = ROWS[key] as Extract<Row, { kind: 'list' }>;
      const ids = async (user: User) => {
        const response = await trustingFetch(`${node.baseUrl}${row.path}`, {
          headers: { authorization: `Bearer ${user}` },
        });
        expect(response.status).toBe(200);
        return ((await response.json()) as ItemList).items.map((item) => item.id);
      };
      const role = roleHolding(permission);
      expect(await statusOf(node.baseUrl, lacking(permission), 'GET', row.path)).toBe(403);
      const mine = await ids(holding(inScope, role));
      expect(mine).toContain(row.inScope(world));
      expect(mine).not.toContain(row.outOfScope(world));
      const theirs = await ids(holding(outOfScope, role));
      expect(theirs).toContain(row.outOfScope(world));
      expect(theirs).not.toContain(row.inScope(world));
    },
    120_000,
  );

  it.each(routesOf('system').map((route) => [route.key, route] as const))(
    '%s: a system permission, never given by a restricted grant (unless harmless)',
    async (key, route) => {
      const permission = permissionOf(route) as Permission;
      const row = ROWS[key] as Extract<Row, { kind: 'system' }>;
      const method = key.slice(0, key.indexOf(' '));
      const send = (user: User) => statusOf(node.baseUrl, user, method, row.path);
      const restricted = await send(holding(inScope, Role.Administrator));
      if (GIVEN_BY_A_RESTRICTED_GRANT.includes(permission)) expect(restricted).not.toBe(403);
      else expect({ restricted }).toEqual({ restricted: 403 });
      expect({ lacking: await send(nobody) }).toEqual({ lacking: 403 });
      expect(await send(adminToken)).not.toBe(403);
    },
    120_000,
  );

  it.each(routesOf('cluster-wide').map((route) => [route.key, route] as const))(
    '%s: cluster state for anyone holding its permission somewhere',
    async (key) => {
      const row = ROWS[key] as Extract<Row, { kind: 'cluster-wide' }>;
      expect(await statusOf(node.baseUrl, holding(inScope, Role.Auditor), 'GET', row.path)).not.toBe(403);
      expect(await statusOf(node.baseUrl, nobody, 'GET', row.path)).toBe(403);
    },
    120_000,
  );

  it('project variables follow the environment of a Deployer restricted to Staging', async () => {
    const catalog = await created(
      admin.post<Identified>('/api/projects', { name: 'Matrix Catalog' }),
      'catalog',
    );
    const staging = world.environment.id;
    const production = world.otherEnvironment.id;
    const variable = (name: string, value: string, environmentIds: string[] = [], isSensitive = false) => ({
      name,
      value,
      environmentIds,
      isSensitive,
    });
    const path = `/api/projects/${catalog.id}/variables`;
    expect(
      (
        await admin.put(path, {
          variables: [
            variable('Url', 'https://catalog'),
            variable('Url', 'https://staging.catalog', [staging]),
            variable('DbPassword', 'staging-secret', [staging], true),
            variable('DbPassword', 'production-secret', [production], true),
            variable('Region', 'eu', [production]),
          ],
        })
      ).status,
    ).toBe(200);
    const summary = (variables: Variable[]) =>
      variables.map((v) => `${v.name}|${v.environmentIds.join(',')}|${v.value}`).sort();
    const deployer = await userWith({
      role: Role.Deployer,
      projectIds: [catalog.id],
      environmentIds: [staging],
    });

    const seen = await replyOf<{ variables: Variable[] }>(node.baseUrl, deployer, 'GET', path);
    expect(seen.status).toBe(200);
    expect(summary(seen.body.variables)).toEqual(
      [`DbPassword|${staging}|`, 'Url||https://catalog', `Url|${staging}|https://staging.catalog`].sort(),
    );

    const put = (variables: unknown[]) =>
      replyOf<{ message?: string }>(node.baseUrl, deployer, 'PUT', path, { variables });
    const refused = [
      { variables: [...seen.body.variables, variable('Region', 'us', [production])], names: 'Region' },
      { variables: [...seen.body.variables, variable('Token', 'x')], names: 'Token' },
      { variables: seen.body.variables.filter((v) => v.environmentIds.length > 0), names: 'Url' },
    ];
    for (const { variables, names } of refused) {
      const reply = await put(variables);
      expect(reply.status).toBe(403);
      expect(reply.body.message).toContain(`variable "${names}"`);
    }
    const edited = seen.body.variables.map((v) =>
      v.name === 'Url' && v.environmentIds.length > 0 ? { ...v, value: 'https://new.staging.catalog' } : v,
    );
    expect((await put(edited)).status).toBe(200);
    const all = await admin.get<{ variables: Variable[] }>(path);
    expect(summary(all.body.variables)).toEqual(
      [
        `DbPassword|${production}|`,
        `DbPassword|${staging}|`,
        `Region|${production}|eu`,
        'Url||https://catalog',
        `Url|${staging}|https://new.staging.catalog`,
      ].sort(),
    );
  }, 120_000);
});
