import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  ApiClient,
  Deployer,
  FINISHED,
  FlotillaCluster,
  Identified,
  PostgresOutage,
  readRuns,
  recordedScript,
  RestartablePostgres,
  startFlotillaCluster,
  startRestartablePostgres,
  Task,
} from '@flotilla/testing';

import { allNodesHealthy, waitUntilAllNodesHealthy } from './support/cluster-health';
import { haproxyRequestsBetween } from './support/haproxy-access-log';
import { describeCall, RestRecorder, summarise, unacceptableCalls } from './support/rest-recorder';
import { cleanUpAll, keepClusterOutput } from './support/spec-cleanup';

const HEARTBEAT_TIMEOUT_MS = 4000;
/** Three nodes of three: 9 of the 20 deployments execute at once, the rest wait their turn. */
const TASK_CAP = 3;
const DEPLOYMENTS = 20;
const SCRIPT_SECONDS = 4;
/** HAProxy takes a gateway back two checks, 1 s apart, after its ping answers 200 (rise 2, inter 1s). */
const HAPROXY_READMIT_MS = 3000;
const log = (line: string): void => void process.stdout.write(`[faults] ${line}\n`);

/**
 * PostgreSQL restarted under a running three-node cluster (its own server, so nothing else is
 * touched), once for less and once for more than the heartbeat timeout, while about half of 20
 * deployments execute: nothing fails, nothing runs twice, no user sees a 500 — only 503s with
 * Retry-After while the database is out — and the nodes are all healthy again soon after.
 */
describe('PostgreSQL restarts while deployments run on a three-node cluster', () => {
  let postgres: RestartablePostgres;
  let cluster: FlotillaCluster;
  let sideDir: string;
  let deployer: Deployer;
  /** Signed in on node-1's gateway directly, for the health checks. */
  let nodeApi: ApiClient;
  let token: string;
  let environments: Identified[];
  const figures: string[] = [];

  beforeAll(async () => {
    sideDir = await mkdtemp(join(tmpdir(), 'flotilla-faults-db-'));
    // Scripts run as the unprivileged script user now, and record their runs in this folder.
    await chmod(sideDir, 0o777);
    postgres = await startRestartablePostgres();
    cluster = await startFlotillaCluster({
      nodes: 3,
      licence: { nodeLimit: 3 },
      postgres,
      env: {
        FLOTILLA_HEARTBEAT_INTERVAL_MS: '1000',
        FLOTILLA_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
        FLOTILLA_TASK_CAP: String(TASK_CAP),
        // A call with no answer (stop 14's CI: 'other side closed' outside any outage) is explained
        // by what HAProxy logged around it.
        FLOTILLA_HAPROXY_ACCESS_LOG: '1',
      },
    });
    const api = new ApiClient(cluster.baseUrl);
    const login = await api.login(cluster.adminUsername, cluster.adminPassword);
    expect(login.status).toBe(200);
    token = login.body.token;
    deployer = new Deployer(api);
    nodeApi = new ApiClient(cluster.nodes[0].baseUrl);
    expect((await nodeApi.login(cluster.adminUsername, cluster.adminPassword)).status).toBe(200);
    environments = await deployer.environments(DEPLOYMENTS / 2, 'DB restart env');
  }, 300_000);

  afterAll(async () => {
    log(`figures:\n  ${figures.join('\n  ')}`);
    await cleanUpAll([
      () => keepClusterOutput(cluster, 'database-restart'),
      // The database is dropped by cluster.stop(): the server must be up for it.
      async () => postgres?.start().catch(() => undefined),
      async () => cluster?.stop(),
      async () => postgres?.dispose(),
      async () => sideDir && rm(sideDir, { recursive: true, force: true }),
    ]);
  }, 120_000);

  const executingCount = async (): Promise<number> => {
    const response = await deployer.api.get<{ total: number }>('/api/tasks?state=Executing&take=1');
    return response.status === 200 ? response.body.total : 0;
  };

  it.each([
    ['shorter', 800],
    ['longer', 9_000],
  ])(
    'an outage %s than the heartbeat timeout fails nothing, runs nothing twice, answers no 500',
    async (kind, downMs) => {
      const file = join(sideDir, `${kind}.txt`);
      const script = recordedScript(file, `sleep ${SCRIPT_SECONDS}`);
      // One project per kind of process and one environment per deployment of it: no two share the
      // one-at-a-time key, so the cap alone decides how many run at once.
      const retryable = await deployer.release(script, true);
      const oneShot = await deployer.release(script, false);

      const recorder = new RestRecorder({ baseUrl: cluster.baseUrl, token });
      recorder.start();
      const taskIds: string[] = [];
      let outage: PostgresOutage;
      let healthyAt: number;
      let executing = 0;
      const tasks: Task[] = [];
      try {
        for (const environment of environments) {
          taskIds.push(await deployer.deploy(retryable, environment));
          taskIds.push(await deployer.deploy(oneShot, environment));
        }
        // About half executing (the caps' 9 of 20) when the database goes.
        const deadline = Date.now() + 60_000;
        while ((executing = await executingCount()) < TASK_CAP * 3 - 1) {
          if (Date.now() > deadline) throw new Error(`only ${executing} tasks executing after 60 s`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        outage = await postgres.restart({ downMs });
        healthyAt = await waitUntilAllNodesHealthy(cluster, nodeApi, 120_000);
        // Straight to node-1, healthy by now: HAProxy may not have taken the gateways back yet.
        const direct = new Deployer(nodeApi);
        for (const taskId of taskIds)
          tasks.push(
            await direct.waitForTask(taskId, (task) => FINISHED.includes(task.state), 120_000, 'to finish'),
          );
        // Keep calling a moment after the last task finished: late 500s count too.
        await new Promise((resolve) => setTimeout(resolve, 1000));
      } finally {
        await recorder.stop();
      }

      const down = outage.acceptingAt - outage.stoppingAt;
      const figure = `${kind} outage: PostgreSQL down ${down} ms with ${executing} of ${DEPLOYMENTS} tasks executing; accepting connections → every node healthy: ${healthyAt - outage.acceptingAt} ms`;
      figures.push(figure);
      log(figure);
      // PostgreSQL's own start-up time adds to downMs; on a starved machine it can exceed the
      // timeout. The assertions below hold for any outage, but say that this one was not short.
      if (kind === 'shorter' && down >= HEARTBEAT_TIMEOUT_MS)
        log(
          `WARNING: the "shorter" outage lasted ${down} ms, not less than the ${HEARTBEAT_TIMEOUT_MS} ms heartbeat timeout (machine too busy?)`,
        );

      expect(
        tasks
          .filter((task) => task.state !== 'Success')
          .map((task) => `${task.id} ${task.state} on ${task.nodeName}: ${task.errorMessage}`),
      ).toEqual([]);
      // Every script ran exactly once per deployment: one start and one end each, none missing.
      const runs = readRuns(file);
      expect(runs.map((run) => run.taskId).sort()).toEqual([...taskIds].sort());
      expect(runs.filter((run) => run.endedAt === undefined)).toEqual([]);

      const origin = recorder.calls[0]?.startedAt ?? 0;
      // 503s with Retry-After are fine from the stop until HAProxy has taken the healthy gateways back.
      const outageWindow = { from: outage.stoppingAt, to: healthyAt + HAPROXY_READMIT_MS };
      const whileDown = recorder.during(outage.stoppingAt, outage.acceptingAt);
      log(
        `${kind} outage: ${summarise(recorder.calls)}; ${whileDown.length} under way while the database was down`,
      );
      for (const call of recorder.calls.filter((each) => each.retriedAfter !== undefined))
        log(
          [
            `${kind} outage: a GET sent again: ${describeCall(call, origin)}; HAProxy logged:`,
            ...haproxyRequestsBetween(cluster.output(), call.startedAt, call.endedAt),
          ].join('\n  '),
        );
      const servedAgain = recorder.calls.find(
        (call) => call.startedAt >= outage.acceptingAt && call.status === call.expected,
      );
      const served = `${kind} outage: accepting connections → first answer through HAProxy: ${servedAgain ? `${servedAgain.endedAt - outage.acceptingAt} ms` : 'none'}`;
      figures.push(served);
      log(served);
      // The recorder must have seen the outage, or the checks below prove nothing.
      expect(whileDown.length).toBeGreaterThan(0);
      const unacceptable = unacceptableCalls(recorder.calls, outageWindow);
      expect(
        unacceptable.map((call) => ({
          call: describeCall(call, origin),
          haproxy: haproxyRequestsBetween(cluster.output(), call.startedAt, call.endedAt),
        })),
      ).toEqual([]);
      expect(recorder.calls.filter((call) => call.status === 500)).toEqual([]);

      expect(await allNodesHealthy(cluster, nodeApi)).toBe(true);
    },
    240_000,
  );
});
