import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { SqlDialect } from '@flotilla/platform/config';
import type {
  ClusterCommand,
  ClusterMessage,
  ClusterNodeSummary,
  ClusterSummary,
} from '@flotilla/cluster/protocol';

import { cleanUpFailedStart, dropTestDatabaseWhenReleased } from './flotilla-node';
import { IpcChild, withinTimeout } from './ipc-child';
import { forgetPublicCertificate, trustPublicCertificate } from './public-tls';
import { createTestDatabase } from './test-database';

type Command = ClusterCommand['command'];

export interface FlotillaClusterOptions {
  nodes: number;
  /** Extra environment for every service (e.g. short heartbeat timeouts, FLOTILLA_LICENCE). */
  env?: Record<string, string>;
  /** Run a redis-server for the cluster (default true). */
  redis?: boolean;
  startTimeoutMs?: number;
  /**
   * A licence with this node limit, signed with a key pair made at start; the nodes' orchestrators
   * start through the test entry point trusting it. Without it only one node runs tasks.
   */
  licence?: { nodeLimit: number | 'Unlimited' };
  /**
   * The PostgreSQL server to create the cluster's database on (default: the test server, shared
   * by every spec), e.g. a RestartablePostgres a fault spec stops and starts.
   */
  postgres?: { baseUrl: string };
  /**
   * The database the cluster runs on (default postgres): a fresh database on the run's server for
   * that dialect (the SQL Server one is FLOTILLA_TEST_MSSQL_BASE_URL). `postgres` above implies
   * the postgres dialect.
   */
  dialect?: SqlDialect;
  /**
   * TEST ONLY: these nodes run their deployment executor through the test entry point that holds
   * every CompleteTask for `holdMs` before sending it, printing
   * "test hook: holding completion of task <id>" first (see waitForOutput).
   */
  holdCompletion?: { nodes: string[]; holdMs: number };
}

export interface FlotillaClusterNode {
  name: string;
  /** The node's own gateway, bypassing HAProxy. */
  baseUrl: string;
  /** Process ids of the node's service processes now running. */
  readonly pids: number[];
  /** The same processes by service ('deployment-executor', 'task-orchestrator', 'gateway'...). */
  readonly servicePids: Record<string, number>;
  /** Signals one service process of the node (e.g. SIGSTOP its deployment-executor). */
  signalService(service: string, signal: NodeJS.Signals): void;
  /** Signals every service process of the node (SIGKILL, SIGSTOP, SIGCONT...). */
  kill(signal: NodeJS.Signals): void;
  /** Graceful stop (SIGTERM; SIGKILL after 15 s). */
  stop(): Promise<void>;
  /** Starts the node's stopped services again; resolves once its gateway answers its ping. */
  start(): Promise<void>;
}

export interface FlotillaCluster {
  /**
   * HAProxy's HTTPS frontend (`https://127.0.0.1:<port>`). Its certificate is self-signed; this
   * process trusts it for this origin alone while the cluster runs: ApiClient and trustingFetch
   * use it, node:https clients take publicTlsCa(url) (public-tls.ts). Plain fetch refuses it.
   */
  baseUrl: string;
  /** HAProxy's plain HTTP frontend: every request is answered 308 to the same URL on baseUrl. */
  httpRedirectUrl: string;
  /** The certificate baseUrl presents (PEM). */
  publicCertificatePem: string;
  /** HAProxy's stats page, on the internal address (127.0.0.2); it wants statsAuthorization. */
  statsUrl: string;
  statsUsername: string;
  statsPassword: string;
  /** The `authorization` header value the stats page wants (HTTP basic). */
  statsAuthorization: string;
  adminUsername: string;
  adminPassword: string;
  dialect: SqlDialect;
  databaseUrl: string;
  /** The shared folder every node mounts (Packages/, TaskLogs/, Artifacts/, EventExports/). */
  sharedStorage: string;
  /** HAProxy's gRPC frontends (internal host:port, 127.0.0.2) by service. */
  grpcUrls: Record<string, string>;
  nodes: FlotillaClusterNode[];
  redis?: { stop(): Promise<void>; start(): Promise<void> };
  /** Re-reads the node process lists (after processes were killed outside start/stop). */
  refresh(): Promise<void>;
  /** Everything the cluster's processes printed so far (for failure messages). */
  output(): string;
  /**
   * Resolves with the first line the cluster's processes print (or printed) matching `pattern`;
   * rejects after `timeoutMs`.
   */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/**
 * A real local cluster for HA tests — `npm run cluster` (tools/cluster) in a child process with an
 * IPC channel: N nodes of six services behind real HAProxy, its own fresh database and shared folder.
 */
export async function startFlotillaCluster(options: FlotillaClusterOptions): Promise<FlotillaCluster> {
  const dialect = options.dialect ?? 'postgres';
  if (options.postgres && dialect !== 'postgres')
    throw new Error(`a PostgreSQL server was given for a cluster on the ${dialect} dialect`);
  const database = await createTestDatabase({
    dialect,
    baseUrl: options.postgres?.baseUrl,
    productServer: true,
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-cluster-'));
  const startTimeoutMs = options.startTimeoutMs ?? 240_000;
  const child = new IpcChild<ClusterMessage>(
    'tools/cluster/src/main.ts',
    [
      '--nodes',
      String(options.nodes),
      // The cluster gives up a little before this harness does, so its error (which node, which
      // service) is the one reported.
      '--start-timeout-ms',
      String(Math.max(30_000, startTimeoutMs - 15_000)),
      ...(options.licence ? ['--test-licence-node-limit', String(options.licence.nodeLimit)] : []),
      ...(options.holdCompletion
        ? [
            '--test-hold-completion-on',
            options.holdCompletion.nodes.join(','),
            '--test-hold-completion-ms',
            String(options.holdCompletion.holdMs),
          ]
        : []),
    ],
    {
      ...process.env,
      FLOTILLA_DATA_DIR: dataDir,
      FLOTILLA_DB_DIALECT: database.dialect,
      FLOTILLA_DB_URL: database.url,
      FLOTILLA_POLL_INTERVAL_MS: '500',
      FLOTILLA_CLUSTER_REDIS: options.redis === false ? 'off' : 'on',
      ...options.env,
    },
  );
  let summary: ClusterSummary | undefined;
  const ready = new Promise<ClusterSummary>((resolveReady, rejectReady) => {
    child.onMessage((message) => {
      if (message.type === 'ready') resolveReady(message.cluster);
      else if (message.type === 'failed')
        rejectReady(new Error(`${message.error}\ncluster output:\n${child.tail(80)}`));
      else if (message.ok) {
        summary = message.cluster;
        child.settle(message.id, { reply: undefined });
      } else child.settle(message.id, { error: new Error(message.error) });
    });
    void child.exited.then(() => rejectReady(new Error(`cluster exited:\n${child.tail(80)}`)));
  });

  const command = (name: Command, node?: string): Promise<void> =>
    child.request((id) => ({ type: 'command', id, command: name, node }));

  const stop = async (): Promise<void> => {
    if (child.running) {
      child.kill('SIGTERM');
      await child.exited;
    }
    if (summary) await forgetPublicCertificate(summary.baseUrl);
    try {
      await dropTestDatabaseWhenReleased(database);
    } finally {
      // A drop that fails (its server gone) must not also leave the data folder behind.
      await rm(dataDir, { recursive: true, force: true });
    }
  };

  try {
    summary = await withinTimeout(ready, startTimeoutMs, () => `cluster not ready:\n${child.tail(80)}`);
  } catch (error) {
    await cleanUpFailedStart(stop, 'cluster');
    throw error;
  }
  const started = summary;
  trustPublicCertificate(started.baseUrl, started.publicCertificatePem);
  const nodeSummary = (name: string): ClusterNodeSummary | undefined =>
    (summary ?? started).nodes.find((node) => node.name === name);
  const pidsOf = (name: string): number[] => nodeSummary(name)?.pids ?? [];
  const signal = (pid: number, signalName: NodeJS.Signals): void => {
    try {
      process.kill(pid, signalName);
    } catch (error) {
      // Already gone (e.g. a second SIGKILL): the list refreshes on the next command.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };

  return {
    baseUrl: started.baseUrl,
    httpRedirectUrl: started.httpRedirectUrl,
    publicCertificatePem: started.publicCertificatePem,
    statsUrl: started.statsUrl,
    statsUsername: started.statsUsername,
    statsPassword: started.statsPassword,
    statsAuthorization: `Basic ${Buffer.from(`${started.statsUsername}:${started.statsPassword}`).toString('base64')}`,
    adminUsername: started.adminUsername,
    adminPassword: started.adminPassword,
    dialect: database.dialect,
    databaseUrl: started.databaseUrl,
    // tools/cluster keeps the shared folder under the data folder (local-cluster.ts).
    sharedStorage: join(dataDir, 'shared'),
    grpcUrls: started.grpcUrls,
    nodes: started.nodes.map((node) => ({
      name: node.name,
      baseUrl: node.baseUrl,
      get pids() {
        return pidsOf(node.name);
      },
      get servicePids() {
        return { ...nodeSummary(node.name)?.servicePids };
      },
      signalService: (service: string, signalName: NodeJS.Signals) => {
        const pid = nodeSummary(node.name)?.servicePids[service];
        if (pid === undefined) throw new Error(`${node.name} runs no ${service} process`);
        signal(pid, signalName);
      },
      kill: (signalName: NodeJS.Signals) => {
        for (const pid of pidsOf(node.name)) signal(pid, signalName);
      },
      stop: () => command('stopNode', node.name),
      start: () => command('startNode', node.name),
    })),
    redis: started.redisControl
      ? { stop: () => command('stopRedis'), start: () => command('startRedis') }
      : undefined,
    refresh: () => command('describe'),
    output: () => child.lines.join('\n'),
    waitForOutput: (pattern, timeoutMs) => child.waitForLine(pattern, timeoutMs),
    stop,
  };
}
