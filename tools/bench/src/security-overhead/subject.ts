/** What security-overhead.ts measures on each tree: a cluster's pickup latency and REST load. */
import { BenchApi } from '../bench-cluster';
import { Teardown } from '../bench-runner';
import { pickupLatencies, pickupOnce, preparePickup, PickupTarget } from '../pickup-run';
import { progress, seconds } from '../report';
import { runOpenLoop } from '../open-loop-load';
import { countOpenedConnections, keepAliveAgent, LoadSettings, runClosedLoop } from '../rest-load';
import { RoundSample } from './comparison';
import { startTreeCluster, TreeCluster } from './tree-cluster';
import { Worktree } from './worktree';
import { SEED_PROJECTS, seedRestRows } from '../rest-seed';

export const NODES = 3;
export const PATHS = ['/api/projects', '/api/tasks?take=30'];
/** Projects with a release each, so the project list is not empty (as bench:rest seeds). */
export const TREES = ['before', 'after'] as const;
export type TreeName = (typeof TREES)[number];

export interface Settings {
  rounds: number;
  pickup: number;
  pickupWarmup: number;
  restMs: number;
  restWarmupMs: number;
  clients: number;
  seedTasks: number;
  /** Offered load of the fixed-rate REST run (req/s); set once the "before" cluster is warm. */
  fixedRate: number;
}

/** One tree under test: its checkout, its running cluster, and what the rounds need on it. */
export interface Subject {
  name: TreeName;
  tree: Worktree;
  cluster: TreeCluster;
  pickupTarget: PickupTarget;
  token: string;
  /** Closed-loop requests/s of the warm-up: what the cluster sustained before any round. */
  warmupRequestsPerSecond: number;
  rounds: RoundSample[];
}

function loadSettings(subject: Subject, settings: Settings, durationMs: number): LoadSettings {
  return {
    paths: PATHS,
    token: subject.token,
    clients: settings.clients,
    durationMs,
    requestTimeoutMs: 30_000,
  };
}

/** Closed-loop REST load: warm-up, then the measured run, on one keep-alive pool. */
async function restRun(subject: Subject, settings: Settings, durationMs: number, warmupMs: number) {
  const load = loadSettings(subject, settings, durationMs);
  const agent = keepAliveAgent(settings.clients, subject.cluster.baseUrl);
  try {
    if (warmupMs > 0) await runClosedLoop(subject.cluster.baseUrl, agent, { ...load, durationMs: warmupMs });
    return await runClosedLoop(subject.cluster.baseUrl, agent, load);
  } finally {
    agent.destroy();
  }
}

/**
 * Both REST measurements of a round on one keep-alive pool: the closed loop (warm-up, then
 * measured: saturation, what the cluster sustains) and then the open loop at settings.fixedRate
 * (the latency a request meets at a fixed offered load), its arrivals seeded by the round so both
 * trees get the same schedule.
 */
async function restRound(subject: Subject, settings: Settings, round: number) {
  const load = loadSettings(subject, settings, settings.restMs);
  const agent = keepAliveAgent(settings.clients, subject.cluster.baseUrl);
  try {
    if (settings.restWarmupMs > 0)
      await runClosedLoop(subject.cluster.baseUrl, agent, { ...load, durationMs: settings.restWarmupMs });
    const saturated = await runClosedLoop(subject.cluster.baseUrl, agent, load);
    const opened = countOpenedConnections(agent);
    const fixedRate = await runOpenLoop(subject.cluster.baseUrl, agent, {
      ...load,
      ratePerSecond: settings.fixedRate,
      seed: round + 1,
    });
    return { saturated, fixedRate: { ...fixedRate, connectionsOpened: opened() } };
  } finally {
    agent.destroy();
  }
}

async function pickupRun(subject: Subject, count: number) {
  const tasks = [];
  for (let index = 0; index < count; index += 1) tasks.push(await pickupOnce(subject.pickupTarget));
  return tasks;
}

/** Starts a tree's cluster, seeds it and warms it up; resolves to the subject the rounds measure. */
export async function prepare(
  teardown: Teardown,
  name: TreeName,
  tree: Worktree,
  settings: Settings,
  env: NodeJS.ProcessEnv,
  clusterEnv: Record<string, string>,
  logFile: string,
): Promise<Subject> {
  progress(`${name}: starting a ${NODES}-node cluster of ${tree.commit.slice(0, 7)} (log: ${logFile})`);
  const startedAt = Date.now();
  const cluster = await teardown.use(
    `the ${name} cluster`,
    startTreeCluster(tree.dir, { nodes: NODES, env: clusterEnv, startTimeoutMs: 300_000 }, env, logFile),
    (started) => started.stop(),
  );
  progress(`${name}: cluster ready in ${seconds(Date.now() - startedAt)} at ${cluster.baseUrl}`);
  if (!cluster.redis) throw new Error(`the ${name} cluster runs without Redis (is redis-server on PATH?)`);
  const api = await BenchApi.signIn(cluster.baseUrl, cluster);
  progress(`${name}: seeding ${SEED_PROJECTS} projects and ${settings.seedTasks} finished deployments`);
  await seedRestRows(api, settings.seedTasks);
  const subject: Subject = {
    name,
    tree,
    cluster,
    pickupTarget: await preparePickup(api),
    token: await api.token(cluster),
    warmupRequestsPerSecond: 0,
    rounds: [],
  };
  progress(
    `${name}: warming up (${settings.pickupWarmup} deployments, ${seconds(2 * settings.restWarmupMs)} of REST)`,
  );
  await pickupRun(subject, settings.pickupWarmup);
  const warmup = await restRun(subject, settings, Math.max(1000, 2 * settings.restWarmupMs), 0);
  subject.warmupRequestsPerSecond = warmup.ok / (warmup.elapsedMs / 1000);
  progress(`${name}: sustained ${subject.warmupRequestsPerSecond.toFixed(0)} REST requests/s in the warm-up`);
  return subject;
}

export async function measureRound(
  subject: Subject,
  settings: Settings,
  round: number,
  label: string,
): Promise<void> {
  progress(`${label}: ${subject.name}: ${settings.pickup} deployments`);
  const tasks = await pickupRun(subject, settings.pickup);
  progress(
    `${label}: ${subject.name}: REST ${seconds(settings.restMs)} closed loop (after ${seconds(settings.restWarmupMs)} warm-up), ` +
      `then ${seconds(settings.restMs)} at ${settings.fixedRate} req/s`,
  );
  const rest = await restRound(subject, settings, round);
  subject.rounds.push({
    pickupMs: pickupLatencies(tasks),
    unsuccessful: tasks.filter((task) => task.state !== 'Success').length,
    rest: rest.saturated,
    fixedRate: rest.fixedRate,
  });
}
