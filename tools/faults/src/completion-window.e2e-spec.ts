import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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

const HEARTBEAT_TIMEOUT_MS = 4000;
/** Far longer than the test: the window stays open until the node is killed. */
const HOLD_COMPLETION_MS = 600_000;
const VICTIM = 'node-1';
const log = (line: string): void => void process.stdout.write(`[faults] ${line}\n`);

/** The messages of `lines` from the first that matches `first` on. */
function from(lines: string[], first: (message: string) => boolean): string[] {
  const at = lines.findIndex(first);
  return at < 0 ? [] : lines.slice(at);
}

/**
 * A node killed with SIGKILL after a script ended but before its task's completion was recorded.
 * The window is held open on purpose: node-1's executor starts through a test entry point that
 * holds every CompleteTask (printing "test hook: holding completion of task <id>"), and the node
 * dies the moment that line appears. The task's state and its log must agree, and the log must
 * say why: a one-shot task is Failed because its node stopped responding; a retryable one resumes
 * elsewhere with nothing left to run and succeeds, its script having run once.
 */
describe('kill -9 of a node in the completion window', () => {
  let cluster: FlotillaCluster;
  let sideDir: string;
  let deployer: Deployer;
  let environments: Identified[];

  beforeAll(async () => {
    sideDir = await mkdtemp(join(tmpdir(), 'flotilla-faults-window-'));
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
    // FAULTS_CLUSTER_OUTPUT=<file> keeps what the cluster's processes printed (<file>-completion-window), for diagnosis.
    const outputFile = process.env['FAULTS_CLUSTER_OUTPUT'];
    if (outputFile && cluster) await writeFile(`${outputFile}-completion-window`, cluster.output());
    await cluster?.stop();
    if (sideDir) await rm(sideDir, { recursive: true, force: true });
  }, 120_000);

  it('fails a one-shot task with the reason in its log, and resumes a retryable one without running its script again', async () => {
    const file = join(sideDir, 'window.txt');
    const script = recordedScript(file, 'echo "the work"\nsleep 1');
    const oneShot = await deployer.release(script, false);
    const retryable = await deployer.release(script, true);

    // Only the victim claims while the two run, so both are in its completion window when it dies.
    const survivors = cluster.nodes.filter((node) => node.name !== VICTIM).map((node) => node.name);
    for (const name of survivors) await setDraining(cluster, name, true);
    const failedId = await deployer.deploy(oneShot, environments[0]);
    const resumedId = await deployer.deploy(retryable, environments[1]);
    await Promise.all(
      [failedId, resumedId].map((taskId) =>
        cluster.waitForOutput(
          new RegExp(`\\[${VICTIM}/deployment-executor\\] test hook: holding completion of task ${taskId}`),
          90_000,
        ),
      ),
    );
    // The survivors may take work again before the victim dies: the re-queued task must find one.
    for (const name of survivors) await setDraining(cluster, name, false);
    cluster.nodes.find((node) => node.name === VICTIM)?.kill('SIGKILL');
    const killedAt = Date.now();
    log(`${VICTIM} killed with SIGKILL while holding the completions of ${failedId} and ${resumedId}`);

    const [failed, resumed] = await Promise.all(
      [failedId, resumedId].map((taskId) =>
        deployer.waitForTask(taskId, (task) => FINISHED.includes(task.state), 90_000, 'to finish'),
      ),
    );
    log(
      `one-shot: ${failed.state} after ${Date.parse(failed.completedAt) - killedAt} ms: ${failed.errorMessage}`,
    );
    log(
      `retryable: ${resumed.state} on ${resumed.nodeName} after ${Date.parse(resumed.completedAt) - killedAt} ms`,
    );

    // Each script ran exactly once, on the victim, to its end.
    const runs = readRuns(file);
    expect(
      runs.map((run) => `${run.taskId} ${run.node} ${run.endedAt ? 'ended' : 'cut short'}`).sort(),
    ).toEqual([`${failedId} ${VICTIM} ended`, `${resumedId} ${VICTIM} ended`].sort());

    // One-shot: Failed because its node stopped responding; the log shows the step completed,
    // then a system record of recovery saying why.
    expect(failed.state).toBe('Failed');
    expect(failed.errorMessage).toMatch(new RegExp(`^node ${VICTIM} stopped responding`));
    const failedLog = await deployer.logMessages(failedId);
    log(`one-shot log: ${failedLog.join(' | ')}`);
    const afterStep = from(failedLog, (message) => message === 'Step Run completed');
    expect(afterStep).not.toEqual([]);
    expect(afterStep.filter((message) => message.startsWith('Recovery: '))).toEqual([
      expect.stringContaining(`node ${VICTIM} stopped responding`),
    ]);
    // The reason is the log's last word: nothing after it claims the deployment went on.
    expect(failedLog.at(-1)).toMatch(/^Recovery: /);

    // Retryable: re-queued, resumed on a survivor past its only step, Success; its log says why it
    // moved and never starts the step again.
    expect(resumed.state).toBe('Success');
    expect(survivors).toContain(resumed.nodeName);
    const resumedLog = await deployer.logMessages(resumedId);
    log(`retryable log: ${resumedLog.join(' | ')}`);
    expect(resumedLog.filter((message) => message.startsWith('Step 1 of 1: Run'))).toHaveLength(1);
    const recovery = from(
      from(resumedLog, (message) => message === 'Step Run completed'),
      (message) => message.startsWith('Recovery: '),
    );
    expect(recovery[0]).toEqual(expect.stringContaining(`node ${VICTIM} stopped responding`));
    expect(recovery.at(-1)).toBe('Deployment completed successfully');
  }, 180_000);
});
