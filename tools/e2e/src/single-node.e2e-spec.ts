import { chmodSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import {
  ApiClient,
  buildZip,
  describeOnEachDialect,
  eventually,
  FlotillaNode,
  startFlotillaNode,
} from '@flotilla/testing';

interface Identified {
  id: string;
}
interface Task extends Identified {
  state: string;
  errorMessage: string;
}
interface Deployment extends Identified {
  taskId: string;
}
interface LogChunk {
  lines: { timestamp: string; level: string; message: string }[];
  nextOffset: number;
  complete: boolean;
}
interface EventPage {
  items: { action: string; actorName: string; clientIp: string; resourceType: string }[];
  total: number;
}

const FINISHED = ['Success', 'Failed', 'Canceled', 'TimedOut'];

/**
 * Whether a process still runs. A killed process whose parent is gone can stay a zombie when the
 * container's PID 1 does not reap orphans; a zombie runs nothing, so it counts as gone.
 */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
const MAX_PACKAGE_BYTES = 4 * 1024 * 1024;

/**
 * The whole single-node deployment path against real processes: six services, the database,
 * shared storage and bash, driven only through the REST API as a user or a script would. The same
 * steps run on PostgreSQL and on SQL Server (the run's TDS server); without one that is skipped,
 * saying why.
 */
describeOnEachDialect('single node, end to end', ({ dialect }) => {
  let node: FlotillaNode;
  let api: ApiClient;
  let staging: Identified;

  beforeAll(async () => {
    node = await startFlotillaNode({
      dialect,
      env: { FLOTILLA_MAX_PACKAGE_BYTES: String(MAX_PACKAGE_BYTES) },
    });
    api = new ApiClient(node.baseUrl);
    expect((await api.login(node.adminUsername, node.adminPassword)).status).toBe(200);
    const environment = await api.post<Identified>('/api/environments', {
      name: 'Staging',
      description: 'pre-prod',
    });
    expect(environment.status).toBe(201);
    staging = environment.body;
  }, 240_000);

  afterAll(async () => {
    await node?.stop();
  }, 60_000);

  async function createProject(name: string, steps: unknown[]): Promise<Identified> {
    const project = await api.post<Identified>('/api/projects', { name });
    expect(project.status).toBe(201);
    const process = await api.put(`/api/projects/${project.body.id}/deploymentprocess`, {
      steps,
      retryable: false,
    });
    expect(process.status).toBe(200);
    return project.body;
  }

  async function deploy(projectId: string, version: string, packages: unknown[] = []): Promise<Deployment> {
    const release = await api.post<Identified>(`/api/projects/${projectId}/releases`, { version, packages });
    expect(release.status).toBe(201);
    const deployment = await api.post<Deployment>('/api/deployments', {
      releaseId: release.body.id,
      environmentId: staging.id,
    });
    expect(deployment.status).toBe(201);
    return deployment.body;
  }

  function waitForTask(taskId: string, states = FINISHED, timeoutMs = 60_000): Promise<Task> {
    return eventually(
      async () => {
        const task = await api.get<Task>(`/api/tasks/${taskId}`);
        return states.includes(task.body.state) ? task.body : undefined;
      },
      timeoutMs,
      `task ${taskId} to reach ${states.join('/')}`,
    );
  }

  async function logText(taskId: string): Promise<string> {
    const log = await api.get<LogChunk>(`/api/tasks/${taskId}/log`);
    expect(log.status).toBe(200);
    return log.body.lines.map((line) => `${line.level}: ${line.message}`).join('\n');
  }

  it('deploys a script and a package, keeps the log, flips current and audits it all', async () => {
    const upload = await api.upload<{ sha256: string }>(
      'Acme.Web.1.0.0.zip',
      buildZip([
        { name: 'index.html', content: '<h1>Acme 1.0.0</h1>' },
        { name: 'app/main.js', content: 'console.log(1)' },
      ]),
    );
    expect(upload.status).toBe(201);
    expect(upload.body.sha256).toMatch(/^[0-9a-f]{64}$/);

    const project = await createProject('Acme Web', [
      {
        name: 'Announce',
        actionType: 'run-script',
        properties: {
          scriptBody: 'echo "Deploying #{Octopus.Release.Number} to #{Octopus.Environment.Name}: $Greeting"',
        },
      },
      { name: 'Unpack', actionType: 'deploy-package', properties: { packageId: 'Acme.Web' } },
    ]);
    const variables = await api.put(`/api/projects/${project.id}/variables`, {
      variables: [
        { name: 'Greeting', value: 'hello everywhere', environmentIds: [], isSensitive: false },
        { name: 'Greeting', value: 'hello staging', environmentIds: [staging.id], isSensitive: false },
      ],
    });
    expect(variables.status).toBe(200);

    const deployment = await deploy(project.id, '1.0.0', [
      { stepName: 'Unpack', packageId: 'Acme.Web', version: '1.0.0' },
    ]);
    const task = await waitForTask(deployment.taskId);
    const log = await logText(deployment.taskId);
    expect(task.state).toBe('Success');
    expect(log).toContain('Deploying 1.0.0 to Staging: hello staging');

    const target = join(node.deployRoot, 'acme-web', 'staging');
    expect(readFileSync(join(target, 'releases', '1.0.0', 'index.html'), 'utf8')).toBe('<h1>Acme 1.0.0</h1>');
    expect(readFileSync(join(target, 'releases', '1.0.0', 'app', 'main.js'), 'utf8')).toBe('console.log(1)');
    expect(readlinkSync(join(target, 'current'))).toMatch(/releases[/\\]1\.0\.0$/);
    expect(existsSync(join(node.sharedStorage, 'TaskLogs', `${deployment.taskId}.log`))).toBe(true);

    const actions = await eventually(
      async () => {
        const page = await api.get<EventPage>('/api/events?take=200');
        const seen = new Set(page.body.items.map((event) => event.action));
        const wanted = [
          'user.login',
          'environment.created',
          'project.created',
          'process.modified',
          'package.pushed',
          'release.created',
          'deployment.queued',
        ];
        return wanted.every((action) => seen.has(action)) ? page.body.items : undefined;
      },
      15_000,
      'audit events of the deployment path',
    );
    const queued = actions.find((event) => event.action === 'deployment.queued');
    expect(queued).toMatchObject({ actorName: 'admin', clientIp: '127.0.0.1' });
  }, 120_000);

  it('fails a deployment whose script exits non-zero, with the exit code in the log', async () => {
    const project = await createProject('Failing Script', [
      { name: 'Break', actionType: 'run-script', properties: { scriptBody: 'echo "about to fail"\nexit 3' } },
    ]);
    const deployment = await deploy(project.id, '1.0.0');
    const task = await waitForTask(deployment.taskId);
    expect(task.state).toBe('Failed');
    const log = await logText(deployment.taskId);
    expect(log).toContain('about to fail');
    expect(log).toMatch(/exited with code 3/);
  }, 60_000);

  it('cancels a long script: the task is Canceled and its processes are gone', async () => {
    // Scripts run as the unprivileged script user, which cannot write to the deploy root (only
    // the executor installs releases there): the pids go to a folder open to it.
    const pidFolder = mkdtempSync(join(tmpdir(), 'flotilla-e2e-pids-'));
    chmodSync(pidFolder, 0o777);
    const pidFile = join(pidFolder, 'long-script.pids');
    const project = await createProject('Long Script', [
      {
        name: 'Wait',
        actionType: 'run-script',
        properties: {
          scriptBody: `mkdir -p "${dirname(pidFile)}"\nsleep 300 &\necho "$$ $!" > "${pidFile}"\necho "started"\nwait`,
        },
      },
    ]);
    const deployment = await deploy(project.id, '1.0.0');
    await eventually(
      async () => ((await logText(deployment.taskId)).includes('started') ? true : undefined),
      30_000,
      'script start',
    );
    const pids = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number);

    const cancel = await api.post<Task>(`/api/tasks/${deployment.taskId}/cancel`);
    expect([200, 201]).toContain(cancel.status);
    const task = await waitForTask(deployment.taskId, FINISHED, 15_000);
    expect(task.state).toBe('Canceled');
    const alive = pids.filter(isRunning);
    expect(alive).toEqual([]);
    rmSync(pidFolder, { recursive: true, force: true });
  }, 60_000);

  it('fails a package step whose zip tries to escape, writing nothing outside the target', async () => {
    const upload = await api.upload(
      'Evil.Pkg.1.0.0.zip',
      buildZip([
        { name: 'ok.txt', content: 'ok' },
        { name: '../../escape.txt', content: 'pwned' },
      ]),
    );
    expect(upload.status).toBe(201);
    const project = await createProject('Zip Slip', [
      { name: 'Unpack', actionType: 'deploy-package', properties: { packageId: 'Evil.Pkg' } },
    ]);
    const deployment = await deploy(project.id, '1.0.0', [
      { stepName: 'Unpack', packageId: 'Evil.Pkg', version: '1.0.0' },
    ]);
    const task = await waitForTask(deployment.taskId);
    expect(task.state).toBe('Failed');
    expect(await logText(deployment.taskId)).toMatch(/unsafe/i);
    const target = join(node.deployRoot, 'zip-slip', 'staging');
    for (const place of [
      join(target, 'escape.txt'),
      join(target, '..', 'escape.txt'),
      join(node.deployRoot, 'escape.txt'),
    ]) {
      expect(existsSync(place)).toBe(false);
    }
    expect(existsSync(join(target, 'current'))).toBe(false);
  }, 60_000);

  it('runs deployments of one project to one environment one at a time', async () => {
    const project = await createProject('Serial', [
      { name: 'Nap', actionType: 'run-script', properties: { scriptBody: 'sleep 1\necho done' } },
    ]);
    const first = await deploy(project.id, '1.0.0');
    const second = await deploy(project.id, '1.0.1');
    const tasks = await Promise.all([waitForTask(first.taskId), waitForTask(second.taskId)]);
    expect(tasks.map((task) => task.state)).toEqual(['Success', 'Success']);
    const detail = await Promise.all(
      tasks.map((task) => api.get<{ startedAt: string; completedAt: string }>(`/api/tasks/${task.id}`)),
    );
    const [a, b] = detail.map((response) => response.body);
    const overlap =
      Date.parse(a.startedAt) < Date.parse(b.completedAt) &&
      Date.parse(b.startedAt) < Date.parse(a.completedAt);
    expect(overlap).toBe(false);
  }, 60_000);

  it('answers bad input with 400, 401, 404, 409 or 413 and leaves nothing half done', async () => {
    expect((await new ApiClient(node.baseUrl).get('/api/projects')).status).toBe(401);
    expect((await api.get('/api/projects/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    expect((await api.post('/api/projects', { name: '' })).status).toBe(400);
    expect((await api.post('/api/projects', { name: 'Acme Web' })).status).toBe(409);

    const project = await createProject('Validation', [
      { name: 'Hi', actionType: 'run-script', properties: { scriptBody: 'echo hi' } },
    ]);
    const badProcess = await api.put(`/api/projects/${project.id}/deploymentprocess`, {
      steps: [{ name: 'X', actionType: 'launch-rockets', properties: {} }],
      retryable: false,
    });
    expect(badProcess.status).toBe(400);
    expect(
      (await api.post(`/api/projects/${project.id}/releases`, { version: 'not-a-version', packages: [] }))
        .status,
    ).toBe(400);
    expect(
      (await api.post('/api/deployments', { releaseId: 'nope', environmentId: staging.id })).status,
    ).toBe(404);
    const releases = await api.get<{ items: unknown[] }>(`/api/projects/${project.id}/releases`);
    expect(releases.body.items).toEqual([]);

    const zip = buildZip([{ name: 'a.txt', content: 'a' }]);
    expect((await api.upload('Dup.Pkg.1.0.0.zip', zip)).status).toBe(201);
    expect((await api.upload('Dup.Pkg.1.0.0.zip', buildZip([{ name: 'b.txt', content: 'b' }]))).status).toBe(
      409,
    );
    expect(readFileSync(join(node.sharedStorage, 'Packages', 'Dup.Pkg.1.0.0.zip')).equals(zip)).toBe(true);
    expect((await api.upload('NotAZip.1.0.0.zip', Buffer.from('just text'))).status).toBe(400);
    expect((await api.upload('no-version.zip', zip)).status).toBe(400);
    expect(
      (await api.upload('Huge.Pkg.1.0.0.zip', Buffer.concat([zip, Buffer.alloc(MAX_PACKAGE_BYTES)]))).status,
    ).toBe(413);
    const huge = await api.get<{ items: unknown[] }>('/api/packages?packageId=Huge.Pkg');
    expect(huge.body.items).toEqual([]);
  }, 60_000);
});
