import { ApiClient, eventually, FlotillaCluster, setDraining, startFlotillaCluster } from '@flotilla/testing';

interface NodePing {
  name: string;
  state: string;
  isDraining: boolean;
  overLicenceLimit: boolean;
  statusMessage: string;
}

async function ping(baseUrl: string): Promise<{ status: number; body: NodePing }> {
  const response = await fetch(`${baseUrl}/api/health/ping`);
  return { status: response.status, body: (await response.json()) as NodePing };
}

/** Server status per backend/server from HAProxy's CSV stats (`;csv` after the stats URI). */
async function haproxyStatus(statsUrl: string): Promise<Map<string, string>> {
  const csv = await (await fetch(`${statsUrl};csv`)).text();
  const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
  const columns = header.split(',');
  const column = (name: string) => columns.indexOf(name);
  return new Map(
    rows.map((row) => {
      const cells = row.split(',');
      return [`${cells[column('pxname')]}/${cells[column('svname')]}`, cells[column('status')]];
    }),
  );
}

describe('local cluster behind real HAProxy', () => {
  let cluster: FlotillaCluster;
  let api: ApiClient;

  beforeAll(async () => {
    cluster = await startFlotillaCluster({
      nodes: 2,
      env: { FLOTILLA_HEARTBEAT_INTERVAL_MS: '1000', FLOTILLA_HEARTBEAT_TIMEOUT_MS: '6000' },
    });
    api = new ApiClient(cluster.baseUrl);
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('signs in and creates a project through HAProxy', async () => {
    await expect(api.login(cluster.adminUsername, cluster.adminPassword)).resolves.toMatchObject({
      status: 200,
    });
    await expect(api.post('/api/projects', { name: 'Through HAProxy' })).resolves.toMatchObject({
      status: 201,
    });
  });

  it('has every node answer its ping: 200, or 418 only when the licence keeps it out', async () => {
    const pings = await Promise.all(cluster.nodes.map((node) => ping(node.baseUrl)));
    expect(pings.filter((answer) => answer.status === 200).length).toBeGreaterThanOrEqual(1);
    for (const [index, answer] of pings.entries()) {
      expect(answer.body.name).toBe(cluster.nodes[index].name);
      if (answer.status !== 200) {
        expect(answer).toMatchObject({ status: 418, body: { overLicenceLimit: true } });
        expect(answer.body.statusMessage).toMatch(/licen/i);
      }
    }
  });

  it('drains a node: its ping turns 418, HAProxy takes it out, users are still served', async () => {
    const pings = await Promise.all(cluster.nodes.map((node) => ping(node.baseUrl)));
    // Without a licence only one node may serve; drain the other so users keep a gateway.
    const serving = pings.findIndex((answer) => answer.status === 200);
    const target = cluster.nodes[serving === 0 ? 1 : 0];
    const other = cluster.nodes[serving === 0 ? 0 : 1];
    await setDraining(cluster, target.name, true);
    try {
      await eventually(
        async () => {
          const answer = await ping(target.baseUrl);
          return answer.status === 418 && answer.body.isDraining ? answer : undefined;
        },
        5000,
        `${target.name} ping 418 draining`,
      );
      await eventually(
        async () => {
          const status = await haproxyStatus(cluster.statsUrl);
          return status.get(`gateways/${target.name}`)?.startsWith('DOWN') &&
            status.get(`gateways/${other.name}`) === 'UP'
            ? status
            : undefined;
        },
        10_000,
        `HAProxy marking ${target.name} DOWN`,
      );
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const projects = await api.get<{ items: { name: string }[] }>('/api/projects');
        expect(projects.status).toBe(200);
        expect(projects.body.items.map((project) => project.name)).toContain('Through HAProxy');
      }
    } finally {
      await setDraining(cluster, target.name, false);
    }
    await eventually(
      async () => ((await ping(target.baseUrl)).body.isDraining ? undefined : true),
      5000,
      `${target.name} no longer draining`,
    );
  });
});
