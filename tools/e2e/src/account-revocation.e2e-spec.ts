import { FlotillaCluster, startFlotillaCluster } from '@flotilla/testing';

import { call, signIn } from './rest-client';

interface UserReply {
  id: string;
  username: string;
  isActive: boolean;
  mustChangePassword?: boolean;
}

interface ApiKeyReply {
  id: string;
  expiresAt?: string;
  expired?: boolean;
}

/** The status GET /api/users/me answers this credential with on this node. */
async function meStatus(baseUrl: string, credential: string): Promise<number> {
  return (await call(baseUrl, 'GET', '/api/users/me', credential)).status;
}

/**
 * Polls every 50 ms until the credential is refused (401) on the node; resolves to how long that
 * took. Fails when it is still accepted after the 1 s the issue allows.
 */
async function refusedWithinASecond(baseUrl: string, credential: string): Promise<number> {
  const start = Date.now();
  for (;;) {
    const status = await meStatus(baseUrl, credential);
    const elapsed = Date.now() - start;
    if (status === 401) return elapsed;
    if (status !== 200) throw new Error(`unexpected ${status} from ${baseUrl} while waiting for 401`);
    if (elapsed > 1_000) throw new Error(`still accepted on ${baseUrl} ${elapsed} ms after the revocation`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Polls every 50 ms until `path` answers `wanted` to the credential on the node; resolves to how
 * long that took. Fails when it still answers otherwise after the 1 s the issue allows.
 */
async function answeredWithinASecond(
  baseUrl: string,
  path: string,
  credential: string,
  wanted: number,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    const { status } = await call(baseUrl, 'GET', path, credential);
    const elapsed = Date.now() - start;
    if (status === wanted) return elapsed;
    if (elapsed > 1_000)
      throw new Error(`${path} still answers ${status}, not ${wanted}, on ${baseUrl} after ${elapsed} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Account administration across a real 2-node cluster with Redis: a revocation made through one
 * node's gateway is honoured by the other node's gateway, which had the credential cached.
 */
describe('account revocation across nodes (Redis)', () => {
  let cluster: FlotillaCluster;
  let nodeA: string;
  let nodeB: string;
  let admin: string;
  let alice: UserReply;
  const alicePassword = 'alice password 123';

  beforeAll(async () => {
    cluster = await startFlotillaCluster({ nodes: 2, redis: true });
    const [first, second] = cluster.nodes;
    if (!first || !second) throw new Error('the cluster started without two nodes');
    nodeA = first.baseUrl;
    nodeB = second.baseUrl;
    admin = await signIn(nodeA, cluster.adminUsername, cluster.adminPassword);
    const created = await call<UserReply>(nodeA, 'POST', '/api/users', admin, {
      username: 'alice',
      displayName: 'Alice',
      password: alicePassword,
      roles: ['Deployer'],
    });
    expect(created.status).toBe(201);
    alice = created.body;
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('signs in on A, uses the token on B, signs out on B: refused on A at once', async () => {
    const token = await signIn(nodeA, 'alice', alicePassword);
    // Both gateways now hold the token in their caches.
    expect(await meStatus(nodeA, token)).toBe(200);
    expect(await meStatus(nodeB, token)).toBe(200);

    expect((await call(nodeB, 'POST', '/api/users/logout', token)).status).toBe(204);

    // The very next request, with no wait: auth published the sign-out before B answered.
    expect(await meStatus(nodeA, token)).toBe(401);
    expect(await meStatus(nodeB, token)).toBe(401);
  });

  it("disables a user on A: their session and API key are refused on B within a second; re-enabled, they're back", async () => {
    const token = await signIn(nodeA, 'alice', alicePassword);
    const key = await call<{ secret: string }>(nodeA, 'POST', '/api/apikeys', token, { purpose: 'ci' });
    expect(key.status).toBe(201);
    for (const node of [nodeA, nodeB])
      for (const credential of [token, key.body.secret]) expect(await meStatus(node, credential)).toBe(200);

    const disabled = await call<UserReply>(nodeA, 'POST', `/api/users/${alice.id}/disable`, admin);

    expect(disabled).toMatchObject({ status: 200, body: { id: alice.id, isActive: false } });
    await refusedWithinASecond(nodeB, token);
    await refusedWithinASecond(nodeB, key.body.secret);
    expect(await meStatus(nodeA, key.body.secret)).toBe(401);
    const refusedSignIn = await call(nodeB, 'POST', '/api/users/login', undefined, {
      username: 'alice',
      password: alicePassword,
    });
    expect(refusedSignIn.status).toBe(401);
    const listed = await call<{ items: UserReply[] }>(nodeB, 'GET', '/api/users', admin);
    expect(listed.body.items.find((user) => user.id === alice.id)).toMatchObject({ isActive: false });

    const enabled = await call<UserReply>(nodeB, 'POST', `/api/users/${alice.id}/enable`, admin);

    expect(enabled).toMatchObject({ status: 200, body: { isActive: true } });
    const again = await signIn(nodeA, 'alice', alicePassword);
    expect(await meStatus(nodeB, again)).toBe(200);
    expect(await meStatus(nodeB, key.body.secret)).toBe(200);
    // The session the disable ended stays ended.
    expect(await meStatus(nodeA, token)).toBe(401);
  });

  it('revokes all sessions of a user on B: refused on A within a second; a reset password must be changed', async () => {
    const token = await signIn(nodeA, 'alice', alicePassword);
    expect(await meStatus(nodeA, token)).toBe(200);

    const revoked = await call<{ count: number }>(
      nodeB,
      'POST',
      `/api/users/${alice.id}/sessions/revoke`,
      admin,
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.count).toBeGreaterThanOrEqual(1);
    await refusedWithinASecond(nodeA, token);

    const second = await signIn(nodeB, 'alice', alicePassword);
    expect(await meStatus(nodeA, second)).toBe(200);
    const reset = await call<UserReply>(nodeB, 'POST', `/api/users/${alice.id}/password/reset`, admin, {
      newPassword: 'told over the phone 7',
    });
    expect(reset).toMatchObject({ status: 200, body: { mustChangePassword: true } });
    await refusedWithinASecond(nodeA, second);
    const mustChange = await call<{ error: string }>(nodeA, 'POST', '/api/users/login', undefined, {
      username: 'alice',
      password: 'told over the phone 7',
    });
    expect(mustChange).toMatchObject({ status: 403, body: { error: 'PasswordChangeRequired' } });
    const changed = await call(nodeA, 'POST', '/api/users/password', undefined, {
      username: 'alice',
      currentPassword: 'told over the phone 7',
      newPassword: alicePassword,
    });
    expect(changed.status).toBe(204);
  });

  it('refuses an API key past its expiry on every node, and lists it as expired', async () => {
    const token = await signIn(nodeA, 'alice', alicePassword);
    const expiresAt = new Date(Math.ceil((Date.now() + 2_000) / 1_000) * 1_000);
    const key = await call<{ secret: string; key: ApiKeyReply }>(nodeA, 'POST', '/api/apikeys', token, {
      purpose: 'short lived',
      expiresAt: expiresAt.toISOString(),
    });
    expect(key).toMatchObject({ status: 201, body: { key: { expiresAt: expiresAt.toISOString() } } });
    expect(await meStatus(nodeA, key.body.secret)).toBe(200);
    expect(await meStatus(nodeB, key.body.secret)).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now()));

    await refusedWithinASecond(nodeA, key.body.secret);
    await refusedWithinASecond(nodeB, key.body.secret);
    const listed = await call<{ items: ApiKeyReply[] }>(nodeB, 'GET', '/api/apikeys', token);
    expect(listed.body.items.find((item) => item.id === key.body.key.id)).toMatchObject({ expired: true });
  });

  it("gives a team's scoped grant, made on A, on B within a second, and takes it back the same way", async () => {
    const tess = await call<UserReply>(nodeA, 'POST', '/api/users', admin, {
      username: 'tess',
      displayName: 'Tess',
      password: 'tess password 123',
      roles: [],
    });
    expect(tess.status).toBe(201);
    const shop = await call<{ id: string }>(nodeA, 'POST', '/api/projects', admin, { name: 'Team shop' });
    expect(shop.status).toBe(201);
    const projectPath = `/api/projects/${shop.body.id}`;
    const token = await signIn(nodeB, 'tess', 'tess password 123');
    // No role and no team: refused on both nodes, and both gateways now hold her principal.
    expect((await call(nodeA, 'GET', projectPath, token)).status).toBe(403);
    expect((await call(nodeB, 'GET', projectPath, token)).status).toBe(403);
    const team = (grants: unknown[]) => ({
      name: 'Shop readers',
      members: [{ kind: 'user', id: tess.body.id }],
      grants,
    });

    const created = await call<{ id: string }>(
      nodeA,
      'POST',
      '/api/teams',
      admin,
      team([{ role: 'Auditor', projectIds: [shop.body.id] }]),
    );
    expect(created.status).toBe(201);
    await answeredWithinASecond(nodeB, projectPath, token, 200);
    // In scope only: the project list holds Shop and nothing else.
    const listed = await call<{ items: { id: string }[] }>(nodeB, 'GET', '/api/projects', token);
    expect(listed.body.items.map((project) => project.id)).toEqual([shop.body.id]);

    const emptied = await call(nodeB, 'PUT', `/api/teams/${created.body.id}`, admin, team([]));
    expect(emptied.status).toBe(200);
    await answeredWithinASecond(nodeA, projectPath, token, 403);
  });

  it('refuses to disable oneself or the last enabled Administrator with 409', async () => {
    const me = await call<{ userId: string }>(nodeA, 'GET', '/api/users/me', admin);
    const self = await call<{ message: string }>(
      nodeB,
      'POST',
      `/api/users/${me.body.userId}/disable`,
      admin,
    );
    expect(self).toMatchObject({ status: 409, body: { message: 'You cannot disable your own account' } });
    expect(await meStatus(nodeA, admin)).toBe(200);
  });
});

/**
 * Without Redis nothing tells the other gateway: the bound rests on its cache lifetime (1 s, counted
 * from when it asked auth) alone.
 */
describe('account revocation across nodes (no Redis)', () => {
  let cluster: FlotillaCluster;
  let nodeA: string;
  let nodeB: string;
  let admin: string;

  beforeAll(async () => {
    cluster = await startFlotillaCluster({ nodes: 2, redis: false });
    const [first, second] = cluster.nodes;
    if (!first || !second) throw new Error('the cluster started without two nodes');
    nodeA = first.baseUrl;
    nodeB = second.baseUrl;
    admin = await signIn(nodeA, cluster.adminUsername, cluster.adminPassword);
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('still refuses on A within a second a session signed out on B, and a user disabled on B', async () => {
    const created = await call<UserReply>(nodeA, 'POST', '/api/users', admin, {
      username: 'bob',
      displayName: 'Bob',
      password: 'bob password 1234',
      roles: ['Deployer'],
    });
    expect(created.status).toBe(201);
    const token = await signIn(nodeB, 'bob', 'bob password 1234');
    expect(await meStatus(nodeA, token)).toBe(200);
    expect((await call(nodeB, 'POST', '/api/users/logout', token)).status).toBe(204);
    await refusedWithinASecond(nodeA, token);

    const again = await signIn(nodeB, 'bob', 'bob password 1234');
    expect(await meStatus(nodeA, again)).toBe(200);
    expect((await call(nodeB, 'POST', `/api/users/${created.body.id}/disable`, admin)).status).toBe(200);
    await refusedWithinASecond(nodeA, again);
  });
});
