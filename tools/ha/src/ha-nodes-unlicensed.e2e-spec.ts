import {
  ApiClient,
  Deployer,
  eventually,
  FINISHED,
  FlotillaCluster,
  startFlotillaCluster,
} from '@flotilla/testing';

import { listNodes, ping } from './ha-nodes-harness';

/** Without a licence the cluster runs tasks on one node; the others say why they do not. */
describe('nodes on a two-node cluster without a licence', () => {
  let cluster: FlotillaCluster;
  let viaHaproxy: Deployer;

  beforeAll(async () => {
    cluster = await startFlotillaCluster({
      nodes: 2,
      env: { FLOTILLA_HEARTBEAT_INTERVAL_MS: '1000', FLOTILLA_HEARTBEAT_TIMEOUT_MS: '4000' },
    });
    const api = new ApiClient(cluster.baseUrl);
    expect((await api.login(cluster.adminUsername, cluster.adminPassword)).status).toBe(200);
    viaHaproxy = new Deployer(api);
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('runs every deployment on the first node and keeps the second from tasks', async () => {
    const nodes = await eventually(
      async () => {
        const listed = await listNodes(viaHaproxy.api);
        return listed.length === 2 ? listed : undefined;
      },
      30_000,
      'two nodes registered',
    );
    const over = nodes.filter((node) => node.overLicenceLimit);
    expect(over).toHaveLength(1);
    const [refused] = over;
    expect(refused.statusMessage).toContain('Node limit of 1');
    const refusedUrl = cluster.nodes.find((node) => node.name === refused.name)?.baseUrl ?? '';
    const answer = await ping(refusedUrl);
    expect(answer).toMatchObject({ status: 418, body: { name: refused.name, overLicenceLimit: true } });
    expect(answer.body.statusMessage).toContain('Node limit of 1');

    const [environment] = await viaHaproxy.environments(1, 'Unlicensed env');
    const release = await viaHaproxy.release('echo unlicensed', false);
    const taskIds: string[] = [];
    for (let index = 0; index < 6; index += 1) taskIds.push(await viaHaproxy.deploy(release, environment));
    const tasks = await Promise.all(
      taskIds.map((id) =>
        viaHaproxy.waitForTask(id, (task) => FINISHED.includes(task.state), 60_000, 'ends'),
      ),
    );
    const ranOn = [...new Set(tasks.map((task) => task.nodeName))];
    console.log(`no licence: ${refused.name} refused; 6 tasks ran on ${ranOn.join(', ')}`);
    expect(tasks.map((task) => task.state)).toEqual(taskIds.map(() => 'Success'));
    expect(ranOn).toEqual([nodes.find((node) => !node.overLicenceLimit)?.name]);
  }, 90_000);
});
