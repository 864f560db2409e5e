import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import type { DataSource } from 'typeorm';

import { createDataSource } from '@flotilla/platform/persistence';
import {
  ensureMasterKeyFile,
  formatMasterKey,
  generateMasterKey,
  readMasterKeyFile,
} from '@flotilla/platform/secrets';
import {
  ApiClient,
  describeOnEachDialect,
  eventually,
  FlotillaNode,
  freePort,
  startFlotillaNode,
} from '@flotilla/testing';

const repoRoot = resolve(__dirname, '..', '..', '..');

interface Identified {
  id: string;
}
interface Deployment extends Identified {
  taskId: string;
}
interface LogChunk {
  lines: { message: string }[];
}

/** Runs a repository command to its end; resolves with its exit code and everything it printed. */
function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectRun(new Error(`${command} ${args.join(' ')} did not end in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, output });
    });
  });
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Secrets at rest on a real node, on each database: the database never holds a sensitive value in
 * clear; `npm run secrets -- rotate-master-key` re-encrypts every one while the node runs and
 * deployments keep getting the right value; an orchestrator given a wrong key does not start.
 */
describeOnEachDialect('secrets at rest, end to end', ({ dialect }) => {
  let node: FlotillaNode;
  let api: ApiClient;
  let database: DataSource;
  let keyDir: string;
  let keyFile: string;
  let environment: Identified;
  let project: Identified;
  const secret = `hunter2-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    keyDir = mkdtempSync(join(tmpdir(), 'flotilla-master-key-'));
    keyFile = ensureMasterKeyFile(join(keyDir, 'master.key')).path;
    // The node reads its key from the file (as `npm start` does), not the run's FLOTILLA_MASTER_KEY.
    node = await startFlotillaNode({
      dialect,
      env: { FLOTILLA_MASTER_KEY: '', FLOTILLA_MASTER_KEY_FILE: keyFile },
    });
    api = new ApiClient(node.baseUrl);
    expect((await api.login(node.adminUsername, node.adminPassword)).status).toBe(200);
    database = await createDataSource(
      { dialect, url: node.databaseUrl },
      { applicationName: 'secrets-e2e', entities: [], poolSize: 1 },
    ).initialize();
    environment = (await api.post<Identified>('/api/environments', { name: 'Production', description: '' }))
      .body;
    project = (await api.post<Identified>('/api/projects', { name: 'Payroll' })).body;
    const process = await api.put(`/api/projects/${project.id}/deploymentprocess`, {
      retryable: false,
      steps: [
        {
          name: 'Use the secret',
          actionType: 'run-script',
          properties: {
            // The value's hash proves the script got it exactly; the echo shows the log masks it.
            scriptBody:
              'echo "digest=$(printf \'%s\' "$DbPassword" | sha256sum | cut -c1-64)"\necho "password=$DbPassword"',
          },
        },
      ],
    });
    expect(process.status).toBe(200);
    const variables = await api.put(`/api/projects/${project.id}/variables`, {
      variables: [{ name: 'DbPassword', value: secret, environmentIds: [environment.id], isSensitive: true }],
    });
    expect(variables.status).toBe(200);
  }, 240_000);

  afterAll(async () => {
    await database?.destroy();
    await node?.stop();
    rmSync(keyDir, { recursive: true, force: true });
  }, 60_000);

  const rawVariableColumns = async () =>
    [
      ...(await database.query<{ variables: string }[]>('SELECT variables FROM variable_sets')),
      ...(await database.query<{ variables: string }[]>('SELECT variables FROM releases')),
    ].map((row) => row.variables);

  const keyIdsInDatabase = async () =>
    new Set(
      (await rawVariableColumns()).flatMap((column) =>
        [...column.matchAll(/enc:v1:([0-9a-f]+):/g)].map((match) => match[1]),
      ),
    );

  async function createRelease(version: string): Promise<Identified> {
    const release = await api.post<Identified>(`/api/projects/${project.id}/releases`, {
      version,
      packages: [],
    });
    expect(release.status).toBe(201);
    return release.body;
  }

  /** Deploys a release and returns its task's log. */
  async function deployedLog(releaseId: string): Promise<string> {
    const deployment = await api.post<Deployment>('/api/deployments', {
      releaseId,
      environmentId: environment.id,
    });
    expect(deployment.status).toBe(201);
    const task = await eventually(
      async () => {
        const current = await api.get<{ state: string }>(`/api/tasks/${deployment.body.taskId}`);
        return ['Success', 'Failed', 'Canceled', 'TimedOut'].includes(current.body.state)
          ? current.body
          : undefined;
      },
      60_000,
      'the deployment to finish',
    );
    const log = await api.get<LogChunk>(`/api/tasks/${deployment.body.taskId}/log`);
    const text = log.body.lines.map((line) => line.message).join('\n');
    expect({ state: task.state, log: text }).toMatchObject({ state: 'Success' });
    return text;
  }

  it('keeps no sensitive value in clear in the database, and the deployment gets it', async () => {
    const release = await createRelease('1.0.0');
    const columns = await rawVariableColumns();
    expect(columns).toHaveLength(2);
    for (const column of columns) {
      expect(column).not.toContain(secret);
      expect(column).toContain('"isSensitive":true');
    }
    expect(await keyIdsInDatabase()).toEqual(new Set([readMasterKeyFile(keyFile)[0]?.id]));
    const shown = await api.get<{ variables: { value: string }[] }>(`/api/projects/${project.id}/variables`);
    expect(shown.body.variables.map((variable) => variable.value)).toEqual(['']);

    const log = await deployedLog(release.id);
    expect(log).toContain(`digest=${sha256(secret)}`);
    expect(log).not.toContain(secret);
  }, 120_000);

  it('rotates the master key while the node runs; old and new releases still deploy with the right value', async () => {
    const [oldKey] = readMasterKeyFile(keyFile);
    const rotation = await run('npm', ['run', '--silent', 'secrets', '--', 'rotate-master-key'], {
      ...process.env,
      FLOTILLA_DB_DIALECT: dialect,
      FLOTILLA_DB_URL: node.databaseUrl,
      FLOTILLA_MASTER_KEY: '',
      FLOTILLA_MASTER_KEY_FILE: keyFile,
    });
    expect(rotation).toMatchObject({ code: 0 });
    // One value in the variable set, one in release 1.0.0.
    expect(rotation.output).toMatch(/Re-encrypted 2 sensitive value\(s\) under master key [0-9a-f]{16}/);
    const keys = readMasterKeyFile(keyFile);
    expect(keys).toHaveLength(1);
    expect(keys[0]?.id).not.toBe(oldKey?.id);
    expect(await keyIdsInDatabase()).toEqual(new Set([keys[0]?.id]));

    const [oldRelease] = await database.query<{ id: string }[]>(
      `SELECT id FROM releases WHERE version = '1.0.0'`,
    );
    expect(await deployedLog(oldRelease?.id ?? '')).toContain(`digest=${sha256(secret)}`);
    const newRelease = await createRelease('1.0.1');
    expect(await deployedLog(newRelease.id)).toContain(`digest=${sha256(secret)}`);
    expect(await keyIdsInDatabase()).toEqual(new Set([keys[0]?.id]));
  }, 180_000);

  it('stops an orchestrator given a wrong master key at start-up, saying what to do', async () => {
    const started = await run(
      process.execPath,
      ['-r', '@swc-node/register', join(repoRoot, 'apps/task-orchestrator/src/main.ts')],
      {
        ...process.env,
        SWC_NODE_PROJECT: join(repoRoot, 'tsconfig.base.json'),
        FLOTILLA_DB_DIALECT: dialect,
        FLOTILLA_DB_URL: node.databaseUrl,
        FLOTILLA_NODE_NAME: 'wrong-key-node',
        FLOTILLA_ORCHESTRATOR_GRPC_LISTEN: `127.0.0.1:${await freePort()}`,
        FLOTILLA_MASTER_KEY: formatMasterKey(generateMasterKey()),
        FLOTILLA_MASTER_KEY_FILE: '',
      },
      90_000,
    );
    expect(started.code).not.toBe(0);
    expect(started.output).toMatch(
      /Wrong master key: this database's sensitive values are sealed under master key [0-9a-f]{16}/,
    );
    expect(started.output).toContain(
      'Give every orchestrator and the migrate step the key this database was set up with',
    );
  }, 120_000);
});

/** The environment of each of this node's service processes, by service (read from /proc). */
function serviceEnvironments(sharedStorage: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const service = /apps\/([a-z-]+)\/src\/main\.ts/.exec(command)?.[1];
      if (!service) continue;
      const environment = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (environment.includes(`FLOTILLA_SHARED_STORAGE=${sharedStorage}`)) found.set(service, environment);
    } catch {
      // A process that ended meanwhile.
    }
  }
  return found;
}

describe('npm start without a configured master key', () => {
  let node: FlotillaNode | undefined;
  afterAll(async () => {
    await node?.stop();
  }, 60_000);

  it('makes <data folder>/master.key (0600) at first start and runs on it', async () => {
    node = await startFlotillaNode({ env: { FLOTILLA_MASTER_KEY: '', FLOTILLA_MASTER_KEY_FILE: '' } });
    // The node's data folder is the parent of its shared storage (the launcher's layout).
    const keyFile = join(dirname(node.sharedStorage), 'master.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readMasterKeyFile(keyFile)).toHaveLength(1);
    expect(node.output()).toContain(`Made the master key for sensitive values: ${keyFile}`);
    // Only the orchestrator is given the key.
    const environments = serviceEnvironments(node.sharedStorage);
    expect([...environments.keys()].sort()).toEqual(
      ['artifact-store', 'audit', 'auth', 'deployment-executor', 'gateway', 'task-orchestrator'].sort(),
    );
    for (const [service, environment] of environments) {
      const keyVariables = environment.filter(
        // Set and not empty (this test clears the run's FLOTILLA_MASTER_KEY with an empty value).
        (entry) => entry.startsWith('FLOTILLA_MASTER_KEY') && !entry.endsWith('='),
      );
      expect({ service, keyVariables }).toEqual({
        service,
        keyVariables: service === 'task-orchestrator' ? [`FLOTILLA_MASTER_KEY_FILE=${keyFile}`] : [],
      });
    }
    const api = new ApiClient(node.baseUrl);
    expect((await api.login(node.adminUsername, node.adminPassword)).status).toBe(200);
    const project = await api.post<Identified>('/api/projects', { name: 'Keyed' });
    const saved = await api.put(`/api/projects/${project.body.id}/variables`, {
      variables: [{ name: 'Token', value: 'x', environmentIds: [], isSensitive: true }],
    });
    expect(saved.status).toBe(200);
  }, 240_000);
});
