import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  ApiClient,
  Deployer,
  FINISHED,
  FlotillaCluster,
  Identified,
  readRuns,
  recordedScript,
  setDraining,
  startFlotillaCluster,
} from '@flotilla/testing';

import { cleanUpAll, keepClusterOutput } from './support/spec-cleanup';

const HEARTBEAT_TIMEOUT_MS = 4000;
/** Far longer than the test: the window stays open until the node is killed. */
const HOLD_COMPLETION_MS = 600_000;
const VICTIM = 'node-1';
const log = (line: string): void => void process.stdout.write(`[faults] ${line}\n`);

/** A record of a task's log as the API serves it. */
interface LogRecord {
  level: string;
  message: string;
}

/** Recovery's note for a task whose every step was recorded but whose completion died with its node. */
const COMPLETION_LOST = new RegExp(
  `^node ${VICTIM} stopped responding at \\S+Z after all 1 step\\(s\\) had completed; ` +
    'its completion was lost with the node, so the task is recorded as Success$',
);

/**
 * A node killed with SIGKILL after a script ended and its step was acknowledged, but before its
 * task's completion was recorded. The window is held open on purpose: node-1's executor starts
 * through a test entry point that holds every CompleteTask (printing "test hook: holding
 * completion of task <id>"), and the node dies the moment that line appears. All the work was
 * done and recorded, so recovery finishes both tasks, one-shot and retryable, as Success with a
 * note (Success with warnings), re-queuing nothing; the task's state and its log agree, and the
 * log's last record says what happened.
 */
describe('kill -9 of a node in the completion window', () => {
  let cluster: FlotillaCluster;
  let sideDir: string;
  let deployer: Deployer;
  let environments: Identified[];

  beforeAll(async () => {
    sideDir = await mkdtemp(join(tmpdir(), 'flotilla-faults-window-'));
    // Scripts run as the unprivileged script user now, and record their runs in this folder.
    await chmod(sideDir, 0o777);
    cluster = await startFlotillaCluster({
      nodes: 3,
      licence: { nodeLimit: 3 },
      holdCompletion: { nodes: [VICTIM], holdMs: HOLD_COMPLETION_MS },
      env: {
        FLOTILLA_HEARTBEAT_INTERVAL_MS: '1000',
        FLOTILLA_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
      },
    });
    // Straight to a survivor: HAProxy takes a moment to notice the victim is gone.
    const api = new ApiClient(cluster.nodes[1].baseUrl);
    expect((await api.login(cluster.adminUsername, cluster.adminPassword)).status).toBe(200);
    deployer = new Deployer(api);
    environments = await deployer.environments(2, 'Completion window env');
  }, 300_000);

  afterAll(async () => {
    await cleanUpAll([
      () => keepClusterOutput(cluster, 'completion-window'),
      async () => cluster?.stop(),
      async () => sideDir && rm(sideDir, { recursive: true, force: true }),
    ]);
  }, 120_000);

  it('records both a one-shot and a retryable task as Success with warnings, saying why in the log, without running or re-queuing anything', async () => {
    const file = join(sideDir, 'window.txt');
    const script = recordedScript(file, 'echo "the work"\nsleep 1');
    const oneShot = await deployer.release(script, false);
    const retryable = await deployer.release(script, true);

    // Only the victim claims while the two run, so both are in its completion window when it dies.
    const survivors = cluster.nodes.filter((node) => node.name !== VICTIM).map((node) => node.name);
    for (const name of survivors) await setDraining(cluster, name, true);
    const oneShotId = await deployer.deploy(oneShot, environments[0]);
    const retryableId = await deployer.deploy(retryable, environments[1]);
    await Promise.all(
      [oneShotId, retryableId].map((taskId) =>
        cluster.waitForOutput(
          new RegExp(`\\[${VICTIM}/deployment-executor\\] test hook: holding completion of task ${taskId}`),
          90_000,
        ),
      ),
    );
    // The survivors take work again before the victim dies: were a task re-queued, one of them
    // would run it, and the node it ends on would show it.
    for (const name of survivors) await setDraining(cluster, name, false);
    const victim = cluster.nodes.find((node) => node.name === VICTIM);
    if (!victim) throw new Error(`the cluster has no node ${VICTIM}`);
    victim.kill('SIGKILL');
    const killedAt = Date.now();
    log(`${VICTIM} killed with SIGKILL while holding the completions of ${oneShotId} and ${retryableId}`);

    const finished = await Promise.all(
      [oneShotId, retryableId].map((taskId) =>
        deployer.waitForTask(taskId, (task) => FINISHED.includes(task.state), 90_000, 'to finish'),
      ),
    );

    // Each script ran exactly once, on the victim, to its end.
    const runs = readRuns(file);
    expect(
      runs.map((run) => `${run.taskId} ${run.node} ${run.endedAt ? 'ended' : 'cut short'}`).sort(),
    ).toEqual([`${oneShotId} ${VICTIM} ended`, `${retryableId} ${VICTIM} ended`].sort());

    for (const [index, task] of finished.entries()) {
      const kind = index === 0 ? 'one-shot' : 'retryable';
      log(
        `${kind}: ${task.state} on ${task.nodeName} after ${Date.parse(task.completedAt) - killedAt} ms: ${task.errorMessage}`,
      );
      // Success with warnings, finished by recovery where it ran: never re-queued elsewhere.
      expect({ state: task.state, nodeName: task.nodeName }).toEqual({ state: 'Success', nodeName: VICTIM });
      expect(task.errorMessage).toMatch(COMPLETION_LOST);
      const view = await deployer.api.get<{ hasWarningsOrErrors: boolean }>(`/api/tasks/${task.id}`);
      expect(view.body.hasWarningsOrErrors).toBe(true);

      const response = await deployer.api.get<{ lines: LogRecord[] }>(`/api/tasks/${task.id}/log`);
      expect(response.status).toBe(200);
      const records = response.body.lines;
      log(`${kind} log: ${records.map((record) => `${record.level} ${record.message}`).join(' | ')}`);
      const messages = records.map((record) => record.message);
      // The step ran once and completed; nothing was resumed.
      expect(messages.filter((message) => message.startsWith('Step 1 of 1: Run'))).toHaveLength(1);
      expect(messages).toContain('Step Run completed');
      expect(messages.filter((message) => message.includes('nothing left to run'))).toEqual([]);
      // State and log agree: the last record is recovery's one warning, saying the same as the task.
      expect(records.filter((record) => record.message.startsWith('Recovery: '))).toHaveLength(1);
      expect(records.at(-1)).toMatchObject({
        level: 'Warning',
        message: `Recovery: ${task.errorMessage}.`,
      });
    }
  }, 180_000);
});
