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

interface SyncStatus {
  configured: boolean;
  lastSuccessAt: string;
  directoryReachable: boolean;
  usersChecked: number;
  usersDeactivated: number;
  ranOn: string;
  intervalMs: number;
}

const INTERVAL_MS = 2000;

/**
 * The directory sync on a real 2-node cluster against Samba AD: a user disabled in AD loses the
 * session they opened on node A, on node B, within the interval plus a tick, and the status
 * route answers the same on both nodes.
 */
describe('directory sync across a 2-node cluster (Samba AD)', () => {
  let ad: SambaAd;
  let cluster: FlotillaCluster;
  let nodeA: string;
  let nodeB: string;
  let admin: string;

  beforeAll(async () => {
    ad = await startSambaAd({ seed: 'basic' });
    cluster = await startFlotillaCluster({
      nodes: 2,
      redis: true,
      env: sambaDirectoryEnvironment(ad, { FLOTILLA_DIRECTORY_SYNC_INTERVAL_MS: String(INTERVAL_MS) }),
    });
    const [first, second] = cluster.nodes;
    if (!first || !second) throw new Error('the cluster started without two nodes');
    nodeA = first.baseUrl;
    nodeB = second.baseUrl;
    admin = await signIn(nodeA, cluster.adminUsername, cluster.adminPassword);
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
    await ad?.stop();
  });

  it('revokes on node B the session a user opened on node A once AD disables them; the status says so on both nodes', async () => {
    const alice = ad.users['alice'];
    if (!alice) throw new Error('the seed has no alice');
    const token = await signIn(nodeA, alice.upn, alice.password);
    expect((await call(nodeB, 'GET', '/api/users/me', token)).status).toBe(200);

    const directoryAdmin = new Client({
      url: ad.ldapsUrl,
      tlsOptions: { ca: readFileSync(ad.caFile, 'utf8'), servername: ad.hostName },
    });
    await directoryAdmin.bind(`CN=Administrator,CN=Users,${ad.baseDn}`, SAMBA_AD_ADMINISTRATOR_PASSWORD);
    try {
      await directoryAdmin.modify(
        alice.dn,
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'userAccountControl', values: ['514'] }),
        }),
      );
    } finally {
      await directoryAdmin.unbind();
    }

    const start = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - start < INTERVAL_MS * 3) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await call(nodeB, 'GET', '/api/users/me', token)).status;
    }
    expect(status).toBe(401);

    const onA = await call<SyncStatus>(nodeA, 'GET', '/api/directory/sync', admin);
    const onB = await call<SyncStatus>(nodeB, 'GET', '/api/directory/sync', admin);
    expect(onA.status).toBe(200);
    expect(onA.body).toMatchObject({ configured: true, directoryReachable: true, intervalMs: INTERVAL_MS });
    expect(onB.body.lastSuccessAt).toBeTruthy();
    expect(onB.body.ranOn).toBeTruthy();
  });

  it('refuses the status to a user without AdministerSystem', async () => {
    const bob = ad.users['bob'];
    if (!bob) throw new Error('the seed has no bob');
    const token = await signIn(nodeB, bob.upn, bob.password);
    expect((await call(nodeB, 'GET', '/api/directory/sync', token)).status).toBe(403);
  });
});
