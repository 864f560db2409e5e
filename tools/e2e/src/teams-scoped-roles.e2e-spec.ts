import { readFileSync } from 'node:fs';

import { Client } from 'ldapts';

import {
  FlotillaNode,
  SAMBA_AD_ADMINISTRATOR_PASSWORD,
  SambaAd,
  sambaDirectoryEnvironment,
  startFlotillaNode,
  startSambaAd,
} from '@flotilla/testing';

import { call, signIn } from './rest-client';

interface Identified {
  id: string;
}

interface PermissionGrantReply {
  permissions: string[];
  projectIds?: string[];
  environmentIds?: string[];
}

interface Me {
  userId: string;
  permissions: string[];
  grants?: PermissionGrantReply[];
}

/** objectSid's text form (MS-DTYP 2.4.2), as directory sign-in records a group's id. */
function sidText(bytes: Buffer): string {
  const count = bytes.readUInt8(1);
  const subAuthorities = Array.from({ length: count }, (_, i) => bytes.readUInt32LE(8 + i * 4));
  return ['S', bytes.readUInt8(0), bytes.readUIntBE(2, 6), ...subAuthorities].join('-');
}

/** A group's objectSid, read as the domain administrator. */
async function groupSid(ad: SambaAd, dn: string): Promise<string> {
  const client = new Client({
    url: ad.ldapsUrl,
    tlsOptions: { ca: readFileSync(ad.caFile, 'utf8'), servername: ad.hostName },
  });
  await client.bind(`CN=Administrator,CN=Users,${ad.baseDn}`, SAMBA_AD_ADMINISTRATOR_PASSWORD);
  try {
    const { searchEntries } = await client.search(dn, {
      scope: 'base',
      attributes: ['objectSid'],
      explicitBufferAttributes: ['objectSid'],
    });
    const sid = searchEntries[0]?.['objectSid'];
    if (!Buffer.isBuffer(sid)) throw new Error(`${dn} has no objectSid`);
    return sidText(sid);
  } finally {
    await client.unbind();
  }
}

/**
 * Teams with scoped roles on a real node (all six services, PostgreSQL) signing in to Samba AD:
 * alice is in flotilla-level-3 only through two levels of nesting (alice -> level-1 -> level-2 ->
 * level-3). A team whose member is that group grants Deployer on project Shop in Staging only;
 * what alice may do follows from it, and a removed grant is refused on the first request after the
 * gateway's 1 s principal cache. (Every gateway of a cluster asks auth the same way, which reads
 * the shared database; a 2-node cluster did not start within the cluster tool's fixed 180 s on the
 * loaded machine this was written on, so the spec runs one node.)
 */
describe('teams with scoped roles through a nested AD group (Samba AD)', () => {
  let ad: SambaAd;
  let node: FlotillaNode;
  let base: string;
  let admin: string;
  let shop: Identified;
  let other: Identified;
  let staging: Identified;
  let production: Identified;

  beforeAll(async () => {
    ad = await startSambaAd({ seed: 'basic' });
    // Generous: a busy machine can take minutes to start the node's services.
    node = await startFlotillaNode({ env: sambaDirectoryEnvironment(ad), startTimeoutMs: 480_000 });
    base = node.baseUrl;
    admin = await signIn(base, node.adminUsername, node.adminPassword);
    const create = async (path: string, name: string) => {
      const reply = await call<Identified>(base, 'POST', path, admin, { name });
      if (reply.status !== 201) throw new Error(`POST ${path} ${name}: ${reply.status}`);
      return reply.body;
    };
    shop = await create('/api/projects', 'Shop');
    other = await create('/api/projects', 'Billing');
    // A release needs a deployment process to snapshot.
    for (const project of [shop, other]) {
      const process = await call(base, 'PUT', `/api/projects/${project.id}/deploymentprocess`, admin, {
        steps: [{ name: 'Announce', actionType: 'run-script', properties: { scriptBody: 'echo hello' } }],
        retryable: false,
      });
      if (process.status !== 200) throw new Error(`deployment process of ${project.id}: ${process.status}`);
    }
    staging = await create('/api/environments', 'Staging');
    production = await create('/api/environments', 'Production');
  }, 720_000);

  afterAll(async () => {
    await node?.stop();
    await ad?.stop();
  });

  it('gives a member of a nested group exactly the team grant, and takes it back within a second', async () => {
    const alice = ad.users['alice'];
    const level3 = ad.groups['level3'];
    if (!alice || !level3) throw new Error('the seed has no alice or level3');
    const sid = await groupSid(ad, level3.dn);
    const grant = { role: 'Deployer', projectIds: [shop.id], environmentIds: [staging.id] };

    const team = await call<Identified & { members: unknown[]; grants: unknown[] }>(
      base,
      'POST',
      '/api/teams',
      admin,
      {
        name: 'Shop staging deployers',
        members: [{ kind: 'group', id: sid.toLowerCase(), displayName: level3.name }],
        grants: [grant],
      },
    );
    expect(team.status).toBe(201);
    expect(team.body).toMatchObject({
      members: [{ kind: 'group', id: sid, displayName: level3.name }],
      grants: [grant],
    });

    // Directory sign-in records alice's nested groups; the token's principal carries the team's grant.
    const token = await signIn(base, alice.upn, alice.password);
    const me = await call<Me>(base, 'GET', '/api/users/me', token);
    expect(me.status).toBe(200);
    expect(me.body.grants).toEqual([
      {
        permissions: expect.arrayContaining(['ReleaseCreate', 'DeploymentCreate']) as unknown,
        projectIds: [shop.id],
        environmentIds: [staging.id],
      },
    ]);
    expect(me.body.permissions).toEqual(expect.arrayContaining(['ReleaseCreate', 'DeploymentCreate']));
    // A restricted grant never gives system power, even from a role that has it.
    expect(me.body.permissions).not.toEqual(expect.arrayContaining(['ProjectCreate']));
    expect(me.body.permissions).not.toContain('UserView');
    expect((await call(base, 'GET', '/api/teams', token)).status).toBe(403);

    const shopRelease = await call(base, 'POST', `/api/projects/${shop.id}/releases`, token, {
      version: '1.0.0',
      packages: [],
    });
    expect(shopRelease.status).toBe(201);
    const otherRelease = await call(base, 'POST', `/api/projects/${other.id}/releases`, token, {
      version: '1.0.0',
      packages: [],
    });
    // Out of scope the orchestrator answers like a missing project: alice cannot tell Billing exists.
    expect(otherRelease.status).toBe(404);
    const visible = await call<{ items: { name: string }[] }>(base, 'GET', '/api/projects', token);
    expect(visible.body.items.map((project) => project.name)).toEqual(['Shop']);
    const environments = await call<{ items: { name: string }[] }>(base, 'GET', '/api/environments', token);
    expect(environments.body.items.map((environment) => environment.name)).toEqual(['Staging']);
    expect(production.id).not.toBe(staging.id);

    // The grant removed: refused on the first request after the gateway's 1 s cache.
    const emptied = await call(base, 'PUT', `/api/teams/${team.body.id}`, admin, {
      name: 'Shop staging deployers',
      members: [{ kind: 'group', id: sid, displayName: level3.name }],
      grants: [],
    });
    expect(emptied.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const after = await call<Me>(base, 'GET', '/api/users/me', token);
    expect(after.body).toMatchObject({ permissions: [] });
    expect(after.body.grants).toBeUndefined();
    const refused = await call(base, 'POST', `/api/projects/${shop.id}/releases`, token, {
      version: '1.0.1',
      packages: [],
    });
    expect(refused.status).toBe(403);
  });

  it('refuses unknown roles and user ids with a clear 400, a duplicate name in another case with 409, and 403 without UserEdit', async () => {
    const badRole = await call<{ message: string }>(base, 'POST', '/api/teams', admin, {
      name: 'Bad role',
      members: [],
      grants: [{ role: 'Root' }],
    });
    expect(badRole).toMatchObject({
      status: 400,
      body: { message: 'Unknown role "Root": one of Administrator, Deployer, Auditor' },
    });
    const badUser = await call<{ message: string }>(base, 'POST', '/api/teams', admin, {
      name: 'Bad user',
      members: [{ kind: 'user', id: 'no-such-user' }],
      grants: [],
    });
    expect(badUser).toMatchObject({ status: 400, body: { message: 'Unknown user id(s): no-such-user' } });
    expect(
      (await call(base, 'POST', '/api/teams', admin, { name: 'Ops', members: [], grants: [] })).status,
    ).toBe(201);
    expect(
      (await call(base, 'POST', '/api/teams', admin, { name: 'OPS', members: [], grants: [] })).status,
    ).toBe(409);
    const bob = ad.users['bob'];
    if (!bob) throw new Error('the seed has no bob');
    const bobToken = await signIn(base, bob.upn, bob.password);
    expect(
      (await call(base, 'POST', '/api/teams', bobToken, { name: 'Mine', members: [], grants: [] })).status,
    ).toBe(403);
  });
});
