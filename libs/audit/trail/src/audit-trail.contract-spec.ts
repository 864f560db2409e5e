import { randomUUID } from 'node:crypto';

import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import type { auditV1 } from '@flotilla/contracts';
import { CallerIdentity, FORWARDED_FOR_MAX_LENGTH } from '@flotilla/platform/grpc';
import { dialectSql } from '@flotilla/platform/persistence';
import {
  createMigratedTestDatabase,
  MigratedTestDatabase,
  TestDatabase,
  testMssqlKind,
} from '@flotilla/testing';

import {
  NO_PROVENANCE,
  sentFields,
  SOME_PROVENANCE,
  UNCHAINED,
  undoMigrationsAfter,
} from './event/audit-event.test-support';
import { AuditEventRepository } from './audit-event.repository';
import { AuditCheckpointWriter } from './chain/audit-checkpoint-writer';
import { testAuditTrailKeys } from './chain/audit-trail-keys.test-support';
import { AUDIT_EVENT_LIMITS } from './event/audit-event.columns';
import { AuditTrailService, EVENT_VIEW } from './audit-trail.service';
import { AuditTrailEntities, AuditTrailMigrations } from './index';
import { queryRequest } from './query/query-request.test-support';
import { AUDIT_EVENTS_GUARD_TRIGGER } from './migrations/1764200000202-make-audit-events-append-only';
import { emptyAuditTrailAsOwner } from './migrations/empty-audit-trail-as-owner';

/** The audit keys of this file's trail (the cluster's live in the PKI folder). */
const KEYS = testAuditTrailKeys();
const CONFIG = { auditCheckpointMs: 300_000, nodeName: 'node-spec' };
const repositoryOf = (dataSource: MigratedTestDatabase['dataSource']) =>
  new AuditEventRepository(dataSource, KEYS.chainKey);
const trailOf = (dataSource: MigratedTestDatabase['dataSource']) =>
  new AuditTrailService(repositoryOf(dataSource), KEYS, CONFIG);

const auditor: CallerIdentity = {
  userId: 'u9',
  username: 'auditor',
  clientIp: '',
  permissions: [EVENT_VIEW],
};
const noFilter = queryRequest({ take: 500 });
/**
 * Creating a database and running migrations reads the catalogue table by table: seconds on
 * PostgreSQL, up to a minute on Babelfish on a busy 2-core machine. The jest default (30 s) would
 * fail on load, not on a defect; tests and hooks that migrate get this instead.
 */
const MIGRATION_RUN_MS = 120_000;

const BASE = Date.parse('2025-03-01T00:00:00.000Z');
const ACTORS = [
  { actorId: 'u1', actorName: 'Alice' },
  { actorId: 'u2', actorName: 'bob' },
  { actorId: 'u3', actorName: 'Carol' },
];
const KINDS = [
  { action: 'project.created', resourceType: 'Project' },
  { action: 'project.updated', resourceType: 'Project' },
  { action: 'environment.created', resourceType: 'Environment' },
  { action: 'deployment.queued', resourceType: 'Deployment' },
  { action: 'projectgroup.created', resourceType: 'ProjectGroup' },
];

/** 50 events a minute apart, except every fifth shares its predecessor's time (ties for paging). */
function dataset(): auditV1.AuditEvent[] {
  return Array.from({ length: 50 }, (_, i) => ({
    id: randomUUID(),
    occurredAt: new Date(BASE + (i % 5 === 4 ? i - 1 : i) * 60_000).toISOString(),
    ...ACTORS[i % ACTORS.length],
    ...KINDS[i % KINDS.length],
    resourceId: `r${i % 7}`,
    details: JSON.stringify({ index: i }),
    clientIp: '192.0.2.7',
    source: 'spec',
    forwardedFor: i % 2 === 0 ? '' : '192.0.2.7, 10.0.0.1',
    ...NO_PROVENANCE,
    ...UNCHAINED,
  }));
}

/** The order the API promises: newest first, then id descending. */
function newestFirst(events: auditV1.AuditEvent[]): string[] {
  return [...events]
    .sort((a, b) => b.occurredAt.localeCompare(a.occurredAt) || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0))
    .map((event) => event.id);
}

/** Counts sessions of this database waiting for another's lock, as column `waiting`. */
function waitingSessionsSql(dialect: TestDatabase['dialect']): string {
  if (dialect === 'postgres')
    return "SELECT COUNT(*) AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
  // Babelfish has no sys.dm_exec_requests, and its sys.sysprocesses reports sessions as blocked
  // when none waits; its PostgreSQL catalog, readable from T-SQL, knows (documented difference).
  if (testMssqlKind() === 'babelfish')
    return "SELECT COUNT(*) AS waiting FROM pg_catalog.pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%audit_chain_head%'";
  return 'SELECT COUNT(*) AS waiting FROM sys.dm_exec_requests WHERE database_id = DB_ID() AND blocking_session_id <> 0';
}

/** Resolves once some session waits for another's lock (polls for up to 20 s). */
async function someSessionWaits(db: MigratedTestDatabase): Promise<void> {
  const waiting = waitingSessionsSql(db.dialect);
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
    const [row] = await db.dataSource.query<{ waiting: number | string }[]>(waiting);
    if (Number(row?.waiting) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no session started waiting for the held insert within 20 s');
}

/** How many triggers named like the append-only guard the database holds (0 or 1). */
async function guardTriggers(db: MigratedTestDatabase): Promise<number> {
  const sql =
    db.dialect === 'postgres'
      ? 'SELECT COUNT(*) AS n FROM pg_trigger WHERE tgname = $1'
      : 'SELECT COUNT(*) AS n FROM sys.triggers WHERE name = @0';
  const [row] = await db.dataSource.query<{ n: number | string }[]>(sql, [AUDIT_EVENTS_GUARD_TRIGGER]);
  return Number(row?.n);
}

async function rpcCode(promise: Promise<unknown>): Promise<unknown> {
  const failure = await promise.then(
    () => new Error('expected a failure'),
    (error: unknown) => error,
  );
  return failure instanceof RpcException ? failure.getError() : failure;
}

describe(AuditTrailService.name, () => {
  const parts = { entities: AuditTrailEntities, migrations: AuditTrailMigrations };

  describe('migrations', () => {
    // These tests take the schema apart, so they share a database apart from the data tests';
    // each starts by migrating it up to date, whatever the one before left.
    let own: MigratedTestDatabase;
    let reader: AuditTrailService;

    beforeAll(async () => {
      own = await createMigratedTestDatabase(parts);
      reader = trailOf(own.dataSource);
    }, MIGRATION_RUN_MS);
    beforeEach(() => own.dataSource.runMigrations(), MIGRATION_RUN_MS);
    afterAll(() => own.dispose());

    it(
      'migrates down step by step: first without the client IP key, then without checkpoints, then without the chain, then without the append-only guard, then without forwarded_for, then to no audit table',
      async () => {
        const runner = own.dataSource.createQueryRunner();
        const later = await undoMigrationsAfter(own.dataSource, 'AddAuditEventsClientIpKey1764200000205');
        expect(later).toContain('AddAuditEventsProvenance1764200000220');
        for (const column of ['outcome', 'request_id', 'socket_peer', 'link_version'])
          await expect(runner.hasColumn('audit_events', column)).resolves.toBe(false);
        await own.dataSource.undoLastMigration();
        await expect(runner.hasColumn('audit_events', 'client_ip_key')).resolves.toBe(false);
        await own.dataSource.undoLastMigration();
        await expect(runner.hasTable('audit_checkpoints')).resolves.toBe(false);
        await own.dataSource.undoLastMigration();
        await expect(runner.hasTable('audit_chain_head')).resolves.toBe(false);
        await expect(runner.hasColumn('audit_events', 'sequence_number')).resolves.toBe(false);
        await own.dataSource.undoLastMigration();
        await expect(guardTriggers(own)).resolves.toBe(0);
        await own.dataSource.undoLastMigration();
        await expect(runner.hasColumn('audit_events', 'forwarded_for')).resolves.toBe(false);
        await expect(runner.hasColumn('audit_events', 'client_ip')).resolves.toBe(true);
        await own.dataSource.undoLastMigration();
        await expect(runner.hasTable('audit_events')).resolves.toBe(false);
        await runner.release();
      },
      MIGRATION_RUN_MS,
    );

    it(
      'reads an event stored before forwarded_for existed as having no raw header',
      async () => {
        const [event] = dataset();
        const runner = own.dataSource.createQueryRunner();
        await undoMigrationsAfter(own.dataSource, 'AddAuditEventsClientIpKey1764200000205');
        await own.dataSource.undoLastMigration(); // the client IP key
        await own.dataSource.undoLastMigration(); // the checkpoints
        await own.dataSource.undoLastMigration(); // the chain
        await own.dataSource.undoLastMigration(); // the append-only guard
        await own.dataSource.undoLastMigration(); // forwarded_for
        const sql = dialectSql(own.dialect);
        await runner.query(
          `INSERT INTO audit_events (id, occurred_at, actor_id, actor_name, action, resource_type, resource_id, details, client_ip, source)
         VALUES (${sql.param(1)}, ${sql.now}, 'u1', 'Alice', 'project.created', 'Project', 'p1', '{}', '192.0.2.7', 'spec')`,
          [event?.id],
        );
        await own.dataSource.runMigrations();
        await runner.release();
        const page = await reader.query(auditor, noFilter);
        expect(page.items).toEqual([
          expect.objectContaining({ id: event?.id, clientIp: '192.0.2.7', forwardedFor: '' }),
        ]);
      },
      MIGRATION_RUN_MS,
    );
  });

  // One database for the rest of the file, emptied before each test: a fresh database a test
  // costs seconds on a TDS server (new database, catalog queries of the migrations, new sessions).
  let db: MigratedTestDatabase;
  let sut: AuditTrailService;

  beforeAll(async () => {
    db = await createMigratedTestDatabase(parts);
    sut = trailOf(db.dataSource);
  }, MIGRATION_RUN_MS);
  // The services cannot DELETE audit rows (the append-only trigger); the test empties the table as its owner.
  beforeEach(() => emptyAuditTrailAsOwner(db.dataSource));
  afterAll(() => db.dispose());

  describe('record', () => {
    it('stores a re-sent id once, counting only newly stored events', async () => {
      const events = dataset();
      await expect(sut.record(events.slice(0, 30))).resolves.toEqual({ recorded: 30 });
      await expect(sut.record(events.slice(20, 50))).resolves.toEqual({ recorded: 20 });
      await expect(sut.record(events)).resolves.toEqual({ recorded: 0 });
      expect((await sut.query(auditor, noFilter)).items).toHaveLength(50);
    });

    it('stores each id once when two relays send the same batch at the same moment', async () => {
      const events = dataset();
      // Sessions opened beforehand, so the three inserts really overlap instead of queueing behind
      // logins (seconds each on a loaded TDS server).
      await Promise.all([1, 2, 3].map(() => db.dataSource.query('SELECT 1 AS warm')));
      const replies = await Promise.all([sut.record(events), sut.record(events), sut.record(events)]);
      expect(replies.reduce((sum, reply) => sum + reply.recorded, 0)).toBe(50);
      expect((await sut.query(auditor, noFilter)).items).toHaveLength(50);
    });

    it("waits for another audit service's chained batch to commit, then chains after it and skips its ids", async () => {
      const events = dataset();
      const held = events[7];
      if (!held) throw new Error('the dataset is empty');
      // Another audit service's transaction has chained one of the ids and not committed: it holds
      // the chain head's lock, so the batch must wait for it, then see its row and skip that id.
      const other = db.dataSource.createQueryRunner();
      await other.startTransaction();
      try {
        const heldRow = { ...held, occurredAt: new Date(held.occurredAt) };
        await expect(repositoryOf(db.dataSource).insertNewIn(other.manager, [heldRow])).resolves.toBe(1);
        const recording = sut.record(events);
        await someSessionWaits(db);
        await other.commitTransaction();
        await expect(recording).resolves.toEqual({ recorded: 49 });
      } finally {
        if (other.isTransactionActive) await other.rollbackTransaction();
        await other.release();
      }
      expect((await sut.query(auditor, noFilter)).items).toHaveLength(50);
      await new AuditCheckpointWriter(repositoryOf(db.dataSource), KEYS, CONFIG).writeIfDue();
      await expect(sut.verify(auditor)).resolves.toMatchObject({ intact: true, verifiedEvents: 50 });
    });

    it('round-trips every field and stamps recorded_at from the database clock', async () => {
      const [event] = dataset();
      const sent = {
        ...event,
        ...SOME_PROVENANCE,
        actorName: 'Zoë Ødegaard',
        details: '{"name":"Wéb","n":[1,2]}',
      };
      await sut.record([sent]);
      const page = await sut.query(auditor, noFilter);
      expect(page.items).toEqual([
        {
          ...sentFields(sent),
          sequenceNumber: expect.any(Number) as number,
          chainHash: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
          recordedAt: expect.any(String) as string,
        },
      ]);
      const [stamp] = await db.dataSource.query<{ recorded_at: Date; db_now: Date }[]>(
        `SELECT recorded_at, ${dialectSql(db.dialect).now} AS db_now FROM audit_events`,
      );
      const lagMs = (stamp?.db_now.getTime() ?? NaN) - (stamp?.recorded_at.getTime() ?? NaN);
      expect(lagMs).toBeGreaterThanOrEqual(0);
      expect(lagMs).toBeLessThan(60_000);
    });

    it('stores whatever origin a producer sends: a 2 KB raw header cut, non-address text never as the IP', async () => {
      const [twoKb, script, ipv6] = dataset();
      const header = `203.0.113.9, ${'9'.repeat(2048)}`;
      await sut.record([
        { ...twoKb, clientIp: '203.0.113.9', forwardedFor: header },
        { ...script, clientIp: '<script>x</script>', forwardedFor: '' },
        { ...ipv6, clientIp: '::FFFF:192.0.2.44', forwardedFor: '\u00e9' },
      ]);
      const stored = new Map((await sut.query(auditor, noFilter)).items.map((item) => [item.id, item]));
      expect(stored.get(twoKb?.id ?? '')).toMatchObject({ clientIp: '203.0.113.9' });
      expect(stored.get(twoKb?.id ?? '')?.forwardedFor).toHaveLength(FORWARDED_FOR_MAX_LENGTH);
      expect(stored.get(twoKb?.id ?? '')?.forwardedFor).toMatch(
        /^203\.0\.113\.9, 9+\.\.\.\[cut, 2061 characters\]\.\.\./,
      );
      expect(stored.get(script?.id ?? '')).toMatchObject({
        clientIp: '',
        forwardedFor: '<script>x</script>',
      });
      expect(stored.get(ipv6?.id ?? '')).toMatchObject({ clientIp: '192.0.2.44', forwardedFor: '\\xe9' });
    });

    it('keeps a batch all-or-nothing across insert statements', async () => {
      const rows = dataset()
        .concat(dataset(), dataset().slice(0, 3))
        .map((event) => ({ ...event, occurredAt: new Date(event.occurredAt) }));
      // Bypasses validation to make the last statement fail inside the database: rows are chained
      // in (occurred_at, id) order, so the latest of them is in the last statement (rows 100..102);
      // a name longer than its column is refused by every database (NUL would be stored by SQL Server).
      const later = (a: (typeof rows)[number], b: (typeof rows)[number]) =>
        a.occurredAt.getTime() - b.occurredAt.getTime() || (a.id < b.id ? -1 : 1);
      const last = rows.reduce((max, row, index) => (later(row, rows[max]) > 0 ? index : max), 0);
      rows[last] = { ...rows[last], actorName: 'x'.repeat(AUDIT_EVENT_LIMITS.actorName + 1) };
      await expect(repositoryOf(db.dataSource).insertNew(rows)).rejects.toThrow();
      await expect(sut.query(auditor, noFilter)).resolves.toMatchObject({ items: [] });
    });
  });

  describe('query', () => {
    let events: auditV1.AuditEvent[];

    beforeEach(async () => {
      events = dataset();
      await sut.record(events);
    });

    /** Every matching id, newest first, following the pages' cursors to the last. */
    async function ids(
      request: Partial<auditV1.QueryEventsRequest>,
    ): Promise<{ ids: string[]; total: number }> {
      const found: string[] = [];
      let after = '';
      do {
        const page = await sut.query(auditor, { ...noFilter, ...request, after });
        found.push(...page.items.map((item) => item.id));
        after = page.nextCursor;
      } while (after);
      return { ids: found, total: found.length };
    }

    function expected(keep: (event: auditV1.AuditEvent) => boolean): { ids: string[]; total: number } {
      const kept = events.filter(keep);
      expect(kept.length).toBeGreaterThan(0);
      return { ids: newestFirst(kept), total: kept.length };
    }

    it('returns everything newest first with the default page size', async () => {
      const page = await sut.query(auditor, { ...noFilter, take: 0 });
      expect(page.take).toBe(30);
      expect(page.nextCursor).not.toBe('');
      expect(page.items.map((item) => item.id)).toEqual(newestFirst(events).slice(0, 30));
    });

    it('matches the actor by name without case, or by id exactly', async () => {
      await expect(ids({ actor: 'ALICE' })).resolves.toEqual(expected((e) => e.actorName === 'Alice'));
      await expect(ids({ actor: 'u2' })).resolves.toEqual(expected((e) => e.actorId === 'u2'));
      await expect(ids({ actor: 'U2' })).resolves.toEqual({ ids: [], total: 0 });
    });

    it('matches an action exactly or by a prefix ending in *', async () => {
      await expect(ids({ action: 'project.created' })).resolves.toEqual(
        expected((e) => e.action === 'project.created'),
      );
      await expect(ids({ action: 'project.*' })).resolves.toEqual(
        expected((e) => e.action.startsWith('project.')),
      );
      await expect(ids({ action: 'project*' })).resolves.toEqual(
        expected((e) => e.action.startsWith('project')),
      );
      await expect(ids({ action: 'project' })).resolves.toEqual({ ids: [], total: 0 });
      // Case counts on every database (SQL Server's default collation would ignore it).
      await expect(ids({ action: 'Project.created' })).resolves.toEqual({ ids: [], total: 0 });
      await expect(ids({ action: 'PROJECT.*' })).resolves.toEqual({ ids: [], total: 0 });
    });

    it('takes _ % [ and \\ in an action prefix literally', async () => {
      const [template] = events;
      if (!template) throw new Error('the dataset is empty');
      const actions = [
        'user_x.created',
        'userAx.created',
        'user%x.created',
        'user[x].created',
        'userx.created',
        'user\\x.created',
      ];
      const extra = actions.map((action): auditV1.AuditEvent => ({ ...template, id: randomUUID(), action }));
      await sut.record(extra);
      const only = (action: string) => ({
        ids: newestFirst(extra.filter((e) => e.action === action)),
        total: 1,
      });
      await expect(ids({ action: 'user_*' })).resolves.toEqual(only('user_x.created'));
      await expect(ids({ action: 'user%*' })).resolves.toEqual(only('user%x.created'));
      await expect(ids({ action: 'user[x]*' })).resolves.toEqual(only('user[x].created'));
      await expect(ids({ action: 'user[x*' })).resolves.toEqual(only('user[x].created'));
      await expect(ids({ action: 'user\\*' })).resolves.toEqual(only('user\\x.created'));
      await expect(ids({ action: 'user*' })).resolves.toMatchObject({ total: actions.length });
    });

    it('matches resource type and id, combining every filter with AND', async () => {
      await expect(ids({ resourceType: 'Environment' })).resolves.toEqual(
        expected((e) => e.resourceType === 'Environment'),
      );
      await expect(ids({ resourceType: 'environment' })).resolves.toEqual({ ids: [], total: 0 });
      await expect(ids({ resourceType: 'Project', resourceId: 'R1' })).resolves.toEqual({
        ids: [],
        total: 0,
      });
      await expect(ids({ resourceType: 'Project', resourceId: 'r1' })).resolves.toEqual(
        expected((e) => e.resourceType === 'Project' && e.resourceId === 'r1'),
      );
      await expect(ids({ actor: 'carol', action: 'project.*', resourceType: 'Project' })).resolves.toEqual(
        expected((e) => e.actorName === 'Carol' && e.action.startsWith('project.')),
      );
    });

    it('includes from and excludes to', async () => {
      const from = new Date(BASE + 10 * 60_000).toISOString();
      const to = new Date(BASE + 20 * 60_000).toISOString();
      const inRange = expected((e) => e.occurredAt >= from && e.occurredAt < to);
      await expect(ids({ from, to })).resolves.toEqual(inRange);
      expect(events.filter((e) => e.occurredAt === from).length).toBeGreaterThan(0);
      expect(events.filter((e) => e.occurredAt === to).length).toBeGreaterThan(0);
      await expect(
        ids({ from: '2025-03-01T00:10:00+00:00', to: '2025-03-01T01:20:00+01:00' }),
      ).resolves.toEqual(inRange);
      await expect(ids({ to: new Date(BASE).toISOString() })).resolves.toEqual({ ids: [], total: 0 });
      await expect(ids({ from: '2025-03-01' })).resolves.toMatchObject({ total: 50 });
    });

    it('pages stably through ties by cursor: every event exactly once, no cursor after the last', async () => {
      const seen: string[] = [];
      let after = '';
      let pages = 0;
      do {
        const page = await sut.query(auditor, { ...noFilter, after, take: 7 });
        expect(page.take).toBe(7);
        seen.push(...page.items.map((item) => item.id));
        after = page.nextCursor;
        pages++;
      } while (after);
      expect(pages).toBe(8);
      expect(seen).toEqual(newestFirst(events));
      // A page that ends exactly at the last event says so; one event short, it does not.
      await expect(sut.query(auditor, { ...noFilter, take: 50 })).resolves.toMatchObject({ nextCursor: '' });
      expect((await sut.query(auditor, { ...noFilter, take: 49 })).nextCursor).not.toBe('');
      const first = await sut.query(auditor, { ...noFilter, action: 'project.*', take: 4 });
      const second = await sut.query(auditor, {
        ...noFilter,
        action: 'project.*',
        take: 4,
        after: first.nextCursor,
      });
      expect([...first.items, ...second.items].map((item) => item.id)).toEqual(
        expected((e) => e.action.startsWith('project.')).ids.slice(0, 8),
      );
    });

    it('matches the client address or a CIDR block, IPv4 and IPv6, and text in the details', async () => {
      const [template] = events;
      if (!template) throw new Error('the dataset is empty');
      const at = (clientIp: string): auditV1.AuditEvent => ({ ...template, id: randomUUID(), clientIp });
      const inBlock = [at('10.1.16.5'), at('10.1.31.200')];
      const outside = at('10.1.32.1');
      const ipv6 = at('2001:db8::5');
      await sut.record([...inBlock, outside, ipv6]);
      await expect(ids({ clientIp: '10.1.16.0/20' })).resolves.toEqual({
        ids: newestFirst(inBlock),
        total: 2,
      });
      await expect(ids({ clientIp: '10.1.32.1' })).resolves.toEqual({ ids: [outside.id], total: 1 });
      await expect(ids({ clientIp: '::ffff:10.1.32.1' })).resolves.toEqual({ ids: [outside.id], total: 1 });
      await expect(ids({ clientIp: '2001:db8::/32' })).resolves.toEqual({ ids: [ipv6.id], total: 1 });
      await expect(ids({ clientIp: '192.0.2.0/24' })).resolves.toMatchObject({ total: 50 });
      await expect(ids({ text: '"index":4' })).resolves.toEqual(
        expected((e) => e.details.includes('"index":4')),
      );
      // Literal text: a LIKE wildcard in it matches only itself.
      await expect(ids({ text: '"index":_' })).resolves.toEqual({ ids: [], total: 0 });
    });

    it('refuses a caller without EventView and bad timestamps', async () => {
      await expect(
        rpcCode(sut.query({ ...auditor, permissions: ['ProjectView'] }, noFilter)),
      ).resolves.toMatchObject({
        code: status.PERMISSION_DENIED,
      });
      await expect(rpcCode(sut.query(auditor, { ...noFilter, from: 'yesterday' }))).resolves.toMatchObject({
        code: status.INVALID_ARGUMENT,
        message: expect.stringContaining('from') as string,
      });
      for (const [field, request] of [
        ['after', { after: 'not-a-cursor' }],
        ['clientIp', { clientIp: '10.0.0.0/33' }],
      ] as const) {
        await expect(rpcCode(sut.query(auditor, { ...noFilter, ...request }))).resolves.toMatchObject({
          code: status.INVALID_ARGUMENT,
          message: expect.stringContaining(field) as string,
        });
      }
    });
  });
});
