import type { EventPage, TrailVerification } from '@flotilla/api-interfaces';
import {
  ApiClient,
  FlotillaCluster,
  PostgresOutage,
  RestartablePostgres,
  startFlotillaCluster,
  startRestartablePostgres,
} from '@flotilla/testing';

import { waitUntilAllNodesHealthy } from './support/cluster-health';
import { cleanUpAll, keepClusterOutput } from './support/spec-cleanup';

/** Checkpoints every 2 s, so "a checkpoint after the outage" is seconds away, not minutes. */
const CHECKPOINT_MS = 2000;
const log = (line: string): void => void process.stdout.write(`[faults] ${line}\n`);

interface TrailHealth {
  state: string;
  message: string;
  refusedEvents: number;
  headSequence: number;
  newestCheckpointSignedAt?: string;
}

/**
 * The audit trail on a two-node cluster through the bad days around it: PostgreSQL restarted
 * while changes are being made, and an audit service killed (SIGKILL) in the middle of chaining
 * batches — which may hold the chain head's row lock at that instant. Each time: every change
 * the API acknowledged has exactly one event in the trail, the chain verifies intact, nothing was
 * refused, and the audit services sign checkpoints again.
 */
describe('The audit trail through a database restart and an audit service killed mid-batch', () => {
  let postgres: RestartablePostgres;
  let cluster: FlotillaCluster;
  let api: ApiClient;
  /** Node-1's gateway directly, for the health checks. */
  let nodeApi: ApiClient;
  const figures: string[] = [];

  beforeAll(async () => {
    postgres = await startRestartablePostgres();
    cluster = await startFlotillaCluster({
      nodes: 2,
      licence: { nodeLimit: 2 },
      postgres,
      env: {
        FLOTILLA_HEARTBEAT_INTERVAL_MS: '1000',
        FLOTILLA_HEARTBEAT_TIMEOUT_MS: '4000',
        FLOTILLA_AUDIT_CHECKPOINT_MS: String(CHECKPOINT_MS),
      },
    });
    api = new ApiClient(cluster.baseUrl);
    expect((await api.login(cluster.adminUsername, cluster.adminPassword)).status).toBe(200);
    nodeApi = new ApiClient(cluster.nodes[0].baseUrl);
    expect((await nodeApi.login(cluster.adminUsername, cluster.adminPassword)).status).toBe(200);
  }, 300_000);

  afterAll(async () => {
    log(`figures:\n  ${figures.join('\n  ')}`);
    await cleanUpAll([
      () => keepClusterOutput(cluster, 'audit-trail-outage'),
      async () => postgres?.start().catch(() => undefined),
      async () => cluster?.stop(),
      async () => postgres?.dispose(),
    ]);
  }, 120_000);

  /**
   * Creates projects through HAProxy, one after another from `writers` clients, until stopped;
   * keeps the ids of those the API acknowledged (201). Refusals and dropped connections during a
   * fault are expected and only counted.
   */
  function createProjectsUntilStopped(prefix: string, writers = 2) {
    const acknowledged: string[] = [];
    let failed = 0;
    /** What the failed calls got: status codes, or "dropped". */
    const failures = new Map<string, number>();
    /** The first answer of each failing kind, for the figures. */
    const examples = new Map<string, string>();
    let stopped = false;
    const writer = async (index: number): Promise<void> => {
      for (let n = 0; !stopped; n += 1) {
        let outcome = 'dropped';
        try {
          const reply = await api.post<{ id: string }>('/api/projects', { name: `${prefix} ${index}-${n}` });
          outcome = String(reply.status);
          if (reply.status === 201) acknowledged.push(reply.body.id);
          else if (!examples.has(outcome)) examples.set(outcome, JSON.stringify(reply.body).slice(0, 300));
        } catch {
          // A connection dropped mid-fault: counted below.
        }
        if (outcome !== '201') {
          failed += 1;
          failures.set(outcome, (failures.get(outcome) ?? 0) + 1);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };
    const running = Promise.all(Array.from({ length: writers }, (_, index) => writer(index)));
    return {
      acknowledged,
      failed: () =>
        `${failed} (${[...failures].map(([what, count]) => `${what}: ${count}${examples.has(what) ? ` e.g. ${examples.get(what)}` : ''}`).join(', ')})`,
      anyFailed: () => failed > 0,
      stop: async () => {
        stopped = true;
        await running;
      },
    };
  }

  /** The resource ids of every `project.created` event in the trail, by cursor, newest first. */
  async function projectsInTrail(): Promise<string[]> {
    const ids: string[] = [];
    let after = '';
    for (;;) {
      const query = new URLSearchParams({
        action: 'project.created',
        take: '500',
        ...(after ? { after } : {}),
      });
      const page = await nodeApi.get<EventPage>(`/api/events?${query.toString()}`);
      expect(page.status).toBe(200);
      ids.push(...page.body.items.map((event) => event.resourceId));
      if (!page.body.nextCursor) return ids;
      after = page.body.nextCursor;
    }
  }

  /** Waits until every acknowledged project has its event (the relays copy them within seconds). */
  async function expectEachExactlyOnceInTrail(acknowledged: readonly string[]): Promise<void> {
    const deadline = Date.now() + 90_000;
    let inTrail = await projectsInTrail();
    while (acknowledged.some((id) => !inTrail.includes(id)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      inTrail = await projectsInTrail();
    }
    expect(acknowledged.filter((id) => !inTrail.includes(id))).toEqual([]);
    const seen = new Set<string>();
    expect(inTrail.filter((id) => (seen.has(id) ? true : (seen.add(id), false)))).toEqual([]);
  }

  async function expectChainIntact(): Promise<TrailVerification> {
    const verification = await nodeApi.get<TrailVerification>('/api/events/verification');
    expect(verification.status).toBe(200);
    expect(verification.body.firstBreak).toBeUndefined();
    expect(verification.body).toMatchObject({ intact: true, verifiedEvents: verification.body.headSequence });
    return verification.body;
  }

  /** The chain head's number, as the health endpoint reports it (asked again while it cannot say). */
  async function chainHead(): Promise<number> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const reply = await nodeApi.get<{ auditTrail?: TrailHealth }>('/api/health/diagnostics');
      const head = reply.body.auditTrail?.headSequence;
      if (head !== undefined) return head;
      if (Date.now() > deadline) throw new Error(`no chain head: ${JSON.stringify(reply.body.auditTrail)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Waits for a checkpoint signed after `since` (epoch ms) and returns the trail's health then. */
  async function healthWithCheckpointAfter(since: number): Promise<TrailHealth> {
    const deadline = Date.now() + 10 * CHECKPOINT_MS + 30_000;
    for (;;) {
      const reply = await nodeApi.get<{ auditTrail?: TrailHealth }>('/api/health/diagnostics');
      const health = reply.body.auditTrail;
      const signedAt = health?.newestCheckpointSignedAt ? Date.parse(health.newestCheckpointSignedAt) : 0;
      if ((health && signedAt > since) || Date.now() > deadline) {
        expect(health).toBeDefined();
        expect(signedAt).toBeGreaterThan(since);
        return health as TrailHealth;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  it('loses no acknowledged change and breaks no link when PostgreSQL restarts under writes; checkpoints resume', async () => {
    const writes = createProjectsUntilStopped('DB restart');
    let outage: PostgresOutage;
    try {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      outage = await postgres.restart({ downMs: 3000 });
      await waitUntilAllNodesHealthy(cluster, nodeApi, 120_000);
      await new Promise((resolve) => setTimeout(resolve, 3000));
    } finally {
      await writes.stop();
    }
    const before = writes.acknowledged.length;
    figures.push(
      `database restart: ${before} projects acknowledged, ${writes.failed()} calls refused or dropped, PostgreSQL down ${outage.acceptingAt - outage.stoppingAt} ms`,
    );
    log(figures[figures.length - 1] ?? '');
    // The writers must have worked on both sides of the outage, or the checks prove little.
    expect(before).toBeGreaterThan(10);
    expect(writes.anyFailed()).toBe(true);

    await expectEachExactlyOnceInTrail(writes.acknowledged);
    await expectChainIntact();
    const health = await healthWithCheckpointAfter(outage.acceptingAt);
    expect(health).toMatchObject({ state: 'ok', refusedEvents: 0 });
  }, 300_000);

  it('keeps chaining on the other node and loses nothing when an audit service is killed mid-batch, three times', async () => {
    const writes = createProjectsUntilStopped('Audit killed', 3);
    const victim = cluster.nodes[1];
    let lastKillAt = 0;
    try {
      for (let round = 0; round < 3; round += 1) {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        // Relays send batches every second or sooner; with three writers one is usually under way.
        victim.signalService('audit', 'SIGKILL');
        lastKillAt = Date.now();
        await cluster.refresh();
        // The other node's audit service goes on chaining: it does not wait on a lock the dead one
        // may have held (its transaction ends with its connection).
        const headAtKill = await chainHead();
        const deadline = Date.now() + 20_000;
        let head = headAtKill;
        while (head <= headAtKill + 5 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          head = await chainHead();
        }
        figures.push(
          `kill ${round + 1}: the chain grew from ${headAtKill} to ${head} in ${Date.now() - lastKillAt} ms`,
        );
        expect(head).toBeGreaterThan(headAtKill + 5);
        await victim.start();
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    } finally {
      await writes.stop();
    }
    figures.push(
      `audit service killed 3 times: ${writes.acknowledged.length} projects acknowledged, ${writes.failed()} calls refused or dropped`,
    );
    log(figures[figures.length - 1] ?? '');

    await expectEachExactlyOnceInTrail(writes.acknowledged);
    const verification = await expectChainIntact();
    expect(verification.headSequence).toBeGreaterThan(writes.acknowledged.length);
    const health = await healthWithCheckpointAfter(lastKillAt);
    expect(health).toMatchObject({ state: 'ok', refusedEvents: 0 });
  }, 300_000);
});
