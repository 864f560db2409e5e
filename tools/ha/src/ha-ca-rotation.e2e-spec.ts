import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { status } from '@grpc/grpc-js';

import { PkiLayout } from '@flotilla/platform/pki';
import {
  ApiClient,
  Deployer,
  FINISHED,
  FlotillaCluster,
  Identified,
  readRuns,
  recordedScript,
  startFlotillaCluster,
  Task,
} from '@flotilla/testing';

import {
  adminSocketOf,
  copyLeaf,
  grpcServerStates,
  isOut,
  isRefusedCheck,
  listNodesWith,
  outputLineCount,
  runPki,
  serviceCertificateFiles,
  waitForReloads,
} from './ha-ca-rotation-harness';
import { ClientLoad, describeRequest } from './client-load';
import { stopKeepingOutput } from './ha-cluster-teardown';

const stage = (what: string): void =>
  void process.stdout.write(`[ha-ca-rotation] ${new Date().toISOString()} ${what}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Short, so the phases follow each other in seconds (production: 5 s). */
const PKI_REFRESH_MS = 500;
/** Generous: 18 processes on a loaded 2-core machine each notice a change within PKI_REFRESH_MS. */
const RELOAD_TIMEOUT_MS = 30_000;
/** The rotation window must have seen at least this many deployments started (an idle load cannot pass). */
const MIN_DEPLOYMENTS_DURING_ROTATION = 10;

/**
 * CA rotation on a live three-node cluster (issue 9): while clients deploy and read through
 * HAProxy, the internal CA is rotated with the operator's own command (`npm run pki -- rotate-ca`
 * begin → reissue, with HAProxy's check certificate swapped through its runtime API → finish), and
 * the caller-token signing key rotated too. Not one client request may fail, every deployment must
 * succeed with its script run exactly once, HAProxy must keep every gRPC server UP throughout, and
 * afterwards a certificate of the old CA must be refused where one of the new CA is served.
 */
describe('CA rotation on a three-node cluster under load', () => {
  let cluster: FlotillaCluster;
  let api: ApiClient;
  let environments: Identified[];
  let workDir: string;
  let pkiDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'flotilla-ha-ca-rotation-'));
    // Scripts run as the unprivileged script user and record their runs here.
    await chmod(workDir, 0o777);
    // The cluster's own PKI (not the test run's), so rotating it disturbs nothing else.
    pkiDir = join(workDir, 'pki');
    cluster = await startFlotillaCluster({
      nodes: 3,
      licence: { nodeLimit: 'Unlimited' },
      env: {
        FLOTILLA_PKI_DIR: pkiDir,
        FLOTILLA_PKI_REFRESH_MS: String(PKI_REFRESH_MS),
        FLOTILLA_HEARTBEAT_INTERVAL_MS: '1000',
        FLOTILLA_HEARTBEAT_TIMEOUT_MS: '6000',
        FLOTILLA_TASK_CAP: '5',
      },
    });
    api = new ApiClient(cluster.baseUrl);
    expect((await api.login(cluster.adminUsername, cluster.adminPassword)).status).toBe(200);
    environments = await new Deployer(api).environments(3, 'Rotation env');
  }, 300_000);

  afterAll(async () => {
    await stopKeepingOutput(cluster);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 60_000);

  it('rotates the CA and the caller-token key while deployments run: no failed deployment, no failed request', async () => {
    const adminSocket = adminSocketOf(cluster.sharedStorage);
    const layout = new PkiLayout(pkiDir);
    const output = () => cluster.output();
    const processFiles = serviceCertificateFiles(
      pkiDir,
      cluster.nodes.map((node) => node.name),
    );
    // Kept aside: a leaf of the old CA, to present once the rotation is over.
    const oldLeaf = copyLeaf(pkiDir, 'node-1', 'operator');
    const before = await grpcServerStates(adminSocket);
    expect(Object.keys(before)).toHaveLength(5 * 3);
    expect(Object.values(before).filter(isOut)).toEqual([]);

    const runsFile = join(workDir, 'runs.txt');
    const token = (await api.login(cluster.adminUsername, cluster.adminPassword)).body.token;
    const load = new ClientLoad({
      baseUrl: cluster.baseUrl,
      token,
      environmentIds: environments.map((environment) => environment.id),
      scriptBody: recordedScript(runsFile, 'true'),
      readers: 2,
      writers: 2,
      uploaders: 1,
      pauseMs: 100,
    });
    // HAProxy's view of every gRPC server, sampled throughout (a check's outcome stays shown until
    // the next check, a second later): none may be taken out, and no check may be refused at the
    // TLS layer — what a check certificate the servers no longer trust looks like. A check that
    // timed out on this loaded machine (one of two allowed) is printed, not failed.
    const out: string[] = [];
    const refused: string[] = [];
    const slow = new Set<string>();
    let sampling = true;
    let samples = 0;
    const sampler = (async () => {
      while (sampling) {
        const at = new Date().toISOString();
        for (const [server, state] of Object.entries(await grpcServerStates(adminSocket))) {
          const seen = `${server} ${state.status} ${state.checkStatus} ${state.lastCheck}`;
          if (isOut(state)) out.push(`${at} ${seen}`);
          if (isRefusedCheck(state)) refused.push(`${at} ${seen}`);
          else if (state.status !== 'UP') slow.add(seen);
        }
        samples += 1;
        await sleep(250);
      }
    })();

    const phases: { phase: string; commandMs: number; reloadedMs: number }[] = [];
    const phase = async (name: string, args: string[], reloads: boolean): Promise<string> => {
      const mark = outputLineCount(output);
      const from = Date.now();
      const printed = await runPki(pkiDir, ...args);
      const commandMs = Date.now() - from;
      if (reloads) await waitForReloads(output, mark - 1, processFiles, RELOAD_TIMEOUT_MS);
      phases.push({ phase: name, commandMs, reloadedMs: Date.now() - from });
      stage(
        `${name}: ${printed.split('\n').join(' | ')} (command ${commandMs} ms, then every process ` +
          `reloaded within ${Date.now() - from - commandMs} ms)`,
      );
      return printed;
    };

    const origin = Date.now();
    let rotationFrom = 0;
    let rotationTo = 0;
    load.start();
    try {
      await sleep(3000);
      rotationFrom = Date.now();
      await phase('begin', ['rotate-ca', 'begin'], true);
      await phase('rotate-caller-token', ['rotate-caller-token'], false);
      const reissued = await phase(
        'reissue + HAProxy swap',
        ['rotate-ca', 'reissue', '--haproxy-socket', adminSocket],
        true,
      );
      expect(reissued).toMatch(/HAProxy presents .*haproxy\.crt now: serial [0-9A-F]+/);
      await phase('finish', ['rotate-ca', 'finish'], true);
      rotationTo = Date.now();
      // HAProxy checks every second and takes a server out after two failed checks: give the
      // checks (now trusted by the new CA alone) several rounds, and the gateways time to sign
      // with the new caller-token key (they look every 5 s).
      await sleep(6000);
    } finally {
      await load.stop();
      sampling = false;
      await sampler;
    }

    const failures = load.failures().map((request) => describeRequest(request, origin));
    const durations = load.requests
      .map((request) => request.endedAt - request.startedAt)
      .sort((a, b) => a - b);
    const during = load.during(rotationFrom, rotationTo);
    const duringMax = Math.max(...during.map((request) => request.endedAt - request.startedAt));
    const deploymentsDuring = during.filter(
      (request) => request.method === 'POST' && request.path === '/api/deployments',
    ).length;
    stage(
      `rotation ${rotationTo - rotationFrom} ms (${phases.map((step) => `${step.phase} ${step.commandMs} + ${step.reloadedMs - step.commandMs} ms`).join(', ')}); ` +
        `requests ${load.requests.length} (${during.length} during the rotation, max ${duringMax} ms), ` +
        `p50 ${durations[Math.floor(durations.length / 2)]} ms, p99 ${durations[Math.floor(durations.length * 0.99)]} ms, ` +
        `max ${durations.at(-1)} ms; deployments ${load.taskIds.length} (${deploymentsDuring} started during the rotation), ` +
        `packages ${load.packages.length}; HAProxy sampled ${samples} times, ` +
        `checks that failed without a TLS refusal: ${[...slow].join('; ') || 'none'}; ` +
        `load average ${loadavg()
          .map((value) => value.toFixed(1))
          .join(' ')}`,
    );
    if (failures.length) stage(`FAILED requests:\n${failures.join('\n')}`);
    expect(failures).toEqual([]);
    expect(out).toEqual([]);
    expect(refused).toEqual([]);
    expect(samples).toBeGreaterThan(10);
    expect(deploymentsDuring).toBeGreaterThanOrEqual(MIN_DEPLOYMENTS_DURING_ROTATION);

    // After: the old CA is gone from the trust bundle, and every server follows it.
    const trustPem = await readFile(layout.trustBundle, 'utf8');
    const newLeaf = copyLeaf(pkiDir, 'node-1', 'operator');
    const orchestrator = cluster.grpcUrls['orchestrator'];
    // Six fresh connections each, so HAProxy (round robin) hands them to every node's orchestrator.
    const withOld: status[] = [];
    const withNew: status[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      withOld.push(await listNodesWith(orchestrator, oldLeaf, trustPem));
      withNew.push(await listNodesWith(orchestrator, newLeaf, trustPem));
    }
    expect(withOld).toEqual(Array(6).fill(status.UNAVAILABLE));
    expect(withNew).toEqual(Array(6).fill(status.OK));
    expect(Object.values(await grpcServerStates(adminSocket)).filter(isOut)).toEqual([]);

    // Every deployment started reached Success, its script run exactly once.
    const deployer = new Deployer(api);
    const tasks: Task[] = [];
    for (const taskId of load.taskIds)
      tasks.push(
        await deployer.waitForTask(taskId, (task) => FINISHED.includes(task.state), 120_000, 'to finish'),
      );
    expect(
      tasks
        .filter((task) => task.state !== 'Success')
        .map((task) => `${task.id} ${task.state} ${task.errorMessage}`),
    ).toEqual([]);
    const runs = readRuns(runsFile);
    expect(runs.map((run) => run.taskId).sort()).toEqual([...load.taskIds].sort());
    expect(runs.filter((run) => run.endedAt === undefined)).toEqual([]);
  }, 240_000);
});
