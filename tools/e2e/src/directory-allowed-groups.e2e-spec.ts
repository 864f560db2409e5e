import { readFileSync } from 'node:fs';

import { Attribute, Change, Client } from 'ldapts';

import {
  FlotillaCluster,
  SAMBA_AD_ADMINISTRATOR_PASSWORD,
  SambaAd,
  sambaDirectoryEnvironment,
  startFlotillaCluster,
  startSambaAd,
} from '@flotilla/testing';

import { call, signIn } from './rest-client';

/** The part of GET /api/health/diagnostics this spec reads. */
interface Diagnostics {
  nodeName: string;
  directorySync?: {
    state: string;
    outcome?: string;
    reason?: string;
    lastPassAt?: string;
    overdue: boolean;
    usersChecked?: number;
  };
}

/**
 * Polls until `done` holds; a generous cap (a loaded 2-core machine), the cap is no assertion of
 * speed. Tests that poll take a timeout above it.
 */
async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  capMs = 90_000,
): Promise<T> {
  const start = Date.now();
  let value = await read();
  while (!done(value) && Date.now() - start < capMs) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    value = await read();
  }
  return value;
}

const INTERVAL_MS = 2000;

/**
 * FLOTILLA_DIRECTORY_ALLOWED_GROUPS on a real cluster against Samba AD (sync every 2 s): sign-in
 * refused over HTTP for a user outside the groups, a user taken out of the allowed group loses
 * their session, and a DC that stops answering aborts the passes (nobody revoked) and shows as
 * degraded in the health document while the node stays in the load balancer (ping 200). One node:
 * the cross-node revocation itself is directory-sync.e2e-spec.ts's, and one node starts in time
 * on a loaded 2-core machine.
 */
describe('allowed groups and the sync health on a cluster (Samba AD)', () => {
  let ad: SambaAd;
  let directoryAdmin: Client;
  let cluster: FlotillaCluster;
  let node: string;
  let admin: string;

  const seeded = (key: string) => {
    const user = ad.users[key];
    if (!user) throw new Error(`the seed has no ${key}`);
    return user;
  };
  const groupDn = (key: string) => {
    const group = ad.groups[key];
    if (!group) throw new Error(`the seed has no group ${key}`);
    return group.dn;
  };
  const setMember = (group: string, user: string, operation: 'add' | 'delete') =>
    directoryAdmin.modify(
      groupDn(group),
      new Change({ operation, modification: new Attribute({ type: 'member', values: [seeded(user).dn] }) }),
    );
  const diagnostics = (node: string) => call<Diagnostics>(node, 'GET', '/api/health/diagnostics', admin);

  beforeAll(async () => {
    ad = await startSambaAd({ seed: 'basic' });
    directoryAdmin = new Client({
      url: ad.ldapsUrl,
      tlsOptions: { ca: readFileSync(ad.caFile, 'utf8'), servername: ad.hostName },
    });
    await directoryAdmin.bind(`CN=Administrator,CN=Users,${ad.baseDn}`, SAMBA_AD_ADMINISTRATOR_PASSWORD);
    cluster = await startFlotillaCluster({
      nodes: 1,
      redis: true,
      startTimeoutMs: 420_000,
      env: sambaDirectoryEnvironment(ad, {
        FLOTILLA_DIRECTORY_SYNC_INTERVAL_MS: String(INTERVAL_MS),
        // level3 holds level2 holds level1 holds alice; carol by her primary group (a DN, any case).
        FLOTILLA_DIRECTORY_ALLOWED_GROUPS: `${groupDn('level3')};${groupDn('primary').toLowerCase()}`,
      }),
    });
    const [first] = cluster.nodes;
    if (!first) throw new Error('the cluster started without a node');
    node = first.baseUrl;
    admin = await signIn(node, cluster.adminUsername, cluster.adminPassword);
  }, 480_000);

  afterAll(async () => {
    ad?.resume();
    await directoryAdmin?.unbind().catch(() => undefined);
    await cluster?.stop();
    await ad?.stop();
  });

  it('refuses sign-in over HTTP to a user in none of the allowed groups, with what to do', async () => {
    const bob = seeded('bob');
    const reply = await call<{ error: string; message: string }>(
      node,
      'POST',
      '/api/users/login',
      undefined,
      {
        username: bob.upn,
        password: bob.password,
      },
    );
    expect(reply.status).toBe(403);
    // The gateway answers the refusal's code and its message apart.
    expect(reply.body.error).toBe('DirectoryGroupNotAllowed');
    expect(reply.body.message).toMatch(/^your account is not in a group allowed to use Flotilla; ask /);
    // Members by nesting and by primary group get in.
    await signIn(node, seeded('alice').upn, seeded('alice').password);
    await signIn(node, seeded('primary').sam, seeded('primary').password);
  });

  it("shows the sync's last pass in the health document for an administrator", async () => {
    const reply = await eventually(
      () => diagnostics(node),
      (value) =>
        value.body.directorySync?.state === 'ok' && (value.body.directorySync.usersChecked ?? 0) >= 2,
    );
    expect(reply.status).toBe(200);
    expect(reply.body.directorySync).toMatchObject({ state: 'ok', outcome: 'ok', overdue: false });
    // A caller without AdministerSystem gets no sync status (auth would refuse it the reasons).
    const carol = await signIn(node, seeded('primary').sam, seeded('primary').password);
    const asCarol = await call<Diagnostics>(node, 'GET', '/api/health/diagnostics', carol);
    expect(asCarol.body?.directorySync).toBeUndefined();
  }, 200_000);

  it('revokes the session of a user AD takes out of the allowed group', async () => {
    const token = await signIn(node, seeded('alice').upn, seeded('alice').password);
    expect((await call(node, 'GET', '/api/users/me', token)).status).toBe(200);
    await setMember('level1', 'alice', 'delete');
    try {
      const status = await eventually(
        async () => (await call(node, 'GET', '/api/users/me', token)).status,
        (value) => value !== 200,
      );
      expect(status).toBe(401);
      const carol = await signIn(node, seeded('primary').sam, seeded('primary').password);
      expect((await call(node, 'GET', '/api/users/me', carol)).status).toBe(200);
    } finally {
      await setMember('level1', 'alice', 'add');
    }
  }, 200_000);

  it('aborts the passes while the DC is suspended: nobody revoked, health degraded with the reason, ping still 200', async () => {
    const carol = await signIn(node, seeded('primary').sam, seeded('primary').password);
    const before = (await diagnostics(node)).body.directorySync?.lastPassAt ?? '';
    ad.suspend();
    try {
      const degraded = await eventually(
        () => diagnostics(node),
        (value) =>
          value.body.directorySync?.outcome === 'aborted' &&
          (value.body.directorySync.lastPassAt ?? '') > before,
      );
      expect(degraded.status).toBe(200);
      expect(degraded.body.directorySync).toMatchObject({ state: 'degraded', outcome: 'aborted' });
      expect(degraded.body.directorySync?.reason).toMatch(
        /No domain controller answered|timeout|took longer/i,
      );
      expect((await call(node, 'GET', '/api/health/ping')).status).toBe(200);
      expect((await call(cluster.baseUrl, 'GET', '/api/health/ping')).status).toBe(200);
      expect((await call(node, 'GET', '/api/users/me', carol)).status).toBe(200);
    } finally {
      ad.resume();
    }
    const recovered = await eventually(
      () => diagnostics(node),
      (value) => value.body.directorySync?.state === 'ok',
    );
    expect(recovered.body.directorySync?.state).toBe('ok');
    expect((await call(node, 'GET', '/api/users/me', carol)).status).toBe(200);
  }, 200_000);
});
