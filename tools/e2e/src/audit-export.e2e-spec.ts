import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { EventPage } from '@flotilla/api-interfaces';
import { createDataSource } from '@flotilla/platform/persistence';
import { FlotillaNode, startFlotillaNode, trustingFetch } from '@flotilla/testing';
import type { DataSource } from 'typeorm';

// The benchmark's seed: the same 100,000 events, in SQL, as the export benchmark exports.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { seedAuditTrail, TRAIL_SHAPE } from '../../bench/src/audit/audit-trail-seed';
import {
  checkJsonlExport,
  cpuMilliseconds,
  checkpointPublicKey,
  residentBytes,
  sampleResidentPeak,
  serviceProcessId,
} from './audit-export.test-support';
import { call, signIn } from './rest-client';

/** The figure: an export of 100,000 events streams with flat memory. */
const EVENTS = 100_000;
const MB = 1024 * 1024;
/** The client stops reading this far into the file... */
const PAUSE_AFTER_BYTES = 2 * MB;
/**
 * ...lets what the way to it can hold fill up (the gateway's response and the loopback TCP buffers
 * take a few MB: the audit service goes on producing until they are full): at least this long, and
 * on until the audit service's CPU goes quiet (a busy machine fills them slower: a fresh-clone CI
 * run, with a fixed 3 s, caught the audit service still producing: 300 ms of CPU in the pause)...
 */
const PAUSE_SETTLE_MS = 3_000;
/** Quiet: at most this much of the audit service's CPU in one window of SETTLE_WINDOW_MS. */
const SETTLE_WINDOW_MS = 500;
const SETTLED_CPU_MS = 30;
/** Settling gives up after this long; the bounds below then say what kept moving. */
const MAX_SETTLE_MS = 20_000;
/** ...then watches the processes for this long, */
const PAUSE_MS = 4_000;
/**
 * ...in which neither may grow more than this, and the audit service, blocked mid-export, may use
 * at most MAX_PAUSED_AUDIT_CPU_MS of CPU. With backpressure nothing moves while the client reads
 * nothing: the audit service waits for its call to drain before reading its next page, the gateway
 * for the response to drain before reading its next message, and what is in flight is bounded (a
 * page of 500 events, 16 chunks of 64 KB in the call, HTTP/2 windows, socket buffers). Without it
 * the audit service would go on reading and formatting the rest of the file (some 1 s of CPU per
 * 2 MB here) and the rows would pile up in one of the processes.
 *
 * Peak growth over the whole export is printed, not bounded: it is V8's garbage between full
 * collections (the heap grows while 100,000 rows are parsed and formatted, and a full collection
 * brings it back: measured in-process, 177 MB before and 64 MB after one), the same whatever the
 * export's size, not the file.
 */
const MAX_PAUSED_GROWTH_BYTES = 2 * MB;
const MAX_PAUSED_AUDIT_CPU_MS = 250;

/** Waits PAUSE_SETTLE_MS, then for a quiet SETTLE_WINDOW_MS of `pid` (at most MAX_SETTLE_MS in all). */
async function settled(pid: number): Promise<number> {
  const startedAt = Date.now();
  const giveUpAt = startedAt + MAX_SETTLE_MS;
  await sleep(PAUSE_SETTLE_MS);
  for (;;) {
    const before = await cpuMilliseconds(pid);
    await sleep(SETTLE_WINDOW_MS);
    if ((await cpuMilliseconds(pid)) - before <= SETTLED_CPU_MS || Date.now() >= giveUpAt)
      return Date.now() - startedAt;
  }
}

/** Growth and CPU of each process while the client reads nothing, and whether the export was still under way. */
async function pausedGrowth(node: FlotillaNode, pids: readonly number[]) {
  const settleMs = await settled(pids[1]);
  const start = await Promise.all(pids.map(residentBytes));
  const cpuStart = await cpuMilliseconds(pids[1]);
  await sleep(PAUSE_MS);
  const end = await Promise.all(pids.map(residentBytes));
  const cpuEnd = await cpuMilliseconds(pids[1]);
  return {
    gateway: end[0] - start[0],
    audit: end[1] - start[1],
    auditCpuMs: cpuEnd - cpuStart,
    settleMs,
    // The audit service logs each export's end: not yet, so it was held back, not finished.
    exportEnded: /Export events-\S+\.csv: \d+ chunks sent/.test(node.output()),
  };
}

/** `npm run audit:verify -- <file> --public-key <checkpoint.pub>`: its exit code and what it printed. */
function offlineVerify(file: string): Promise<{ code: number; output: string }> {
  const publicKey = join(process.env['FLOTILLA_PKI_DIR'] ?? '', 'audit', 'checkpoint.pub');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', '@swc-node/register', 'tools/audit-verify/src/main.ts', file, '--public-key', publicKey],
      { env: { ...process.env, SWC_NODE_PROJECT: 'tsconfig.base.json' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

interface Exported {
  status: number;
  headers: Headers;
  body: Buffer;
}

/**
 * The whole node (launcher, six service processes, PostgreSQL) with 100,000 events seeded in SQL:
 * GET /api/events/export streams them as CSV or signed JSONL through the gateway and the audit
 * service with flat memory, honours every filter, needs EventView, and stops the audit service's
 * reading when the client goes away.
 */
describe('audit trail export (a real node, 100,000 events)', () => {
  let node: FlotillaNode;
  let token: string;
  let db: DataSource;
  let seededIds: Set<string>;
  let knownResourceId: string;

  const url = (query: Record<string, string>) =>
    `${node.baseUrl}/api/events/export?${new URLSearchParams(query).toString()}`;

  async function exported(query: Record<string, string>, credential = token): Promise<Exported> {
    const response = await trustingFetch(url(query), { headers: { authorization: `Bearer ${credential}` } });
    return {
      status: response.status,
      headers: response.headers,
      body: Buffer.from(await response.arrayBuffer()),
    };
  }

  /** Every event id GET /api/events gives for a filter, page after page. */
  async function listedIds(filter: Record<string, string>): Promise<string[]> {
    const ids: string[] = [];
    let after = '';
    do {
      const query = new URLSearchParams({ ...filter, take: '500', ...(after ? { after } : {}) });
      const page = await call<EventPage>(node.baseUrl, 'GET', `/api/events?${query.toString()}`, token);
      if (page.status !== 200)
        throw new Error(`GET /api/events: ${page.status} ${JSON.stringify(page.body)}`);
      ids.push(...page.body.items.filter((event) => event.source === 'bench').map((event) => event.id));
      after = page.body.nextCursor ?? '';
    } while (after);
    return ids;
  }

  /** The bench events of a JSONL export (the trail's own events about reads left out). */
  function jsonlIds(file: Buffer): string[] {
    const lines = file.toString('utf8').split('\n').slice(0, -2);
    return lines
      .map((line) => JSON.parse(line) as { id: string; source: string })
      .filter((event) => event.source === 'bench')
      .map((event) => event.id);
  }

  beforeAll(async () => {
    node = await startFlotillaNode({ env: { FLOTILLA_TASK_CAP: '0' } });
    token = await signIn(node.baseUrl, node.adminUsername, node.adminPassword);
    db = await createDataSource(
      { dialect: 'postgres', url: node.databaseUrl },
      { entities: [], applicationName: 'flotilla-export-e2e' },
    ).initialize();
    await seedAuditTrail(db, EVENTS, new Date(), () => undefined);
    const rows = await db.query<{ id: string }[]>("SELECT id FROM audit_events WHERE source = 'bench'");
    seededIds = new Set(rows.map((row) => row.id));
    const [project] = await db.query<{ resource_id: string }[]>(
      "SELECT resource_id FROM audit_events WHERE source = 'bench' AND resource_type = 'Project' ORDER BY resource_id LIMIT 1",
    );
    knownResourceId = project?.resource_id ?? '';
  }, 600_000);

  afterAll(async () => {
    await db?.destroy();
    await node?.stop();
  }, 60_000);

  it('streams all 100,000 events as CSV, each row once, holding nothing while the client pauses (backpressure)', async () => {
    const pids = [await serviceProcessId(node, 'gateway'), await serviceProcessId(node, 'audit')];
    const before = await Promise.all(pids.map(residentBytes));
    const sampler = sampleResidentPeak(pids);
    const response = await trustingFetch(url({ format: 'csv' }), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="events-\d{8}T\d{6}Z\.csv"/,
    );
    // Read as a client would, one chunk at a time, never holding the file: ids and size only.
    const ids = new Map<string, number>();
    let size = 0;
    let rest = '';
    let header: string | undefined;
    let pause: Awaited<ReturnType<typeof pausedGrowth>> | undefined;
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      const records = (rest + decoder.decode(chunk, { stream: true })).split('\r\n');
      rest = records.pop() ?? '';
      for (const record of records) {
        if (header === undefined) {
          header = record;
          continue;
        }
        const id = record.split(',')[2] ?? '';
        ids.set(id, (ids.get(id) ?? 0) + 1);
      }
      if (!pause && size > PAUSE_AFTER_BYTES) pause = await pausedGrowth(node, pids);
    }
    const peaks = await sampler.stop();
    expect(rest).toBe('');
    expect(header?.startsWith('sequenceNumber,chainHash,id,occurredAt,recordedAt,')).toBe(true);
    for (const id of seededIds) expect(ids.get(id)).toBe(1);
    expect([...ids.values()].every((times) => times === 1)).toBe(true);
    const growth = pids.map((pid, index) => (peaks.get(pid) ?? 0) - (before[index] ?? 0));
    process.stdout.write(
      `CSV export: ${ids.size} events, ${(size / MB).toFixed(1)} MB. While the client paused (${PAUSE_MS / 1000} s after ${pause!.settleMs} ms): ` +
        `gateway ${(pause!.gateway / MB).toFixed(2)} MB, audit ${(pause!.audit / MB).toFixed(2)} MB (bound ` +
        `${MAX_PAUSED_GROWTH_BYTES / MB} MB). Peak RSS growth over the export: gateway ` +
        `${(growth[0] / MB).toFixed(1)} MB, audit ${(growth[1] / MB).toFixed(1)} MB. Audit CPU in the pause ` +
        `${pause!.auditCpuMs} ms. ${node.output().match(/Export events-[^\n]*chunks sent[^\n]*/)?.[0]}\n`,
    );
    // Had the audit service kept reading, the rest of the file (MBs) would pile up in one process.
    expect(size - PAUSE_AFTER_BYTES).toBeGreaterThan(5 * MAX_PAUSED_GROWTH_BYTES);
    expect(pause!.exportEnded).toBe(false);
    expect(pause!.auditCpuMs).toBeLessThan(MAX_PAUSED_AUDIT_CPU_MS);
    expect(pause!.gateway).toBeLessThan(MAX_PAUSED_GROWTH_BYTES);
    expect(pause!.audit).toBeLessThan(MAX_PAUSED_GROWTH_BYTES);
  }, 300_000);

  it('signs a JSONL export: the manifest verifies with the public key alone, a one-byte change fails it', async () => {
    const file = await exported({ format: 'jsonl' });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toContain('application/x-ndjson');
    const checked = checkJsonlExport(file.body, await checkpointPublicKey(node));
    if (!checked.ok) throw new Error(`the export does not verify: ${checked.why}`);
    expect(checked.manifest).toMatchObject({ kind: 'export', previousManifestSha256: '', filter: {} });
    expect(checked.manifest.count).toBeGreaterThanOrEqual(EVENTS);
    expect(file.headers.get('content-disposition')).toContain(checked.manifest.file);
    const ids = jsonlIds(file.body);
    expect(ids).toHaveLength(EVENTS);
    expect(new Set(ids)).toEqual(seededIds);
    // Every line carries its chain number: null for the SQL-seeded (unchained) events.
    const first = JSON.parse(checked.lines[0] ?? '{}') as Record<string, unknown>;
    expect('sequenceNumber' in first).toBe(true);
    expect(checked.manifest.lastSequence).toBeGreaterThan(0);

    const changed = Buffer.from(file.body);
    const at = changed.indexOf('"bench"');
    changed[at + 1] = 'B'.charCodeAt(0);
    expect(checkJsonlExport(changed, await checkpointPublicKey(node))).toEqual({ ok: false, why: 'SHA-256' });

    // The offline verifier, as an operator runs it on another machine: the file and the public key only.
    const folder = await mkdtemp(join(tmpdir(), 'flotilla-export-'));
    try {
      const exportFile = join(folder, checked.manifest.file);
      const changedFile = join(folder, 'changed.jsonl');
      await writeFile(exportFile, file.body);
      await writeFile(changedFile, changed);
      expect(await offlineVerify(exportFile)).toMatchObject({ code: 0 });
      const refused = await offlineVerify(changedFile);
      expect(refused.code).not.toBe(0);
      expect(refused.output).toContain('SHA-256');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 300_000);

  it.each([
    ['actor', { actor: TRAIL_SHAPE.rareActor }],
    [
      'exact action',
      { action: 'package.deleted', from: new Date(Date.now() - 5 * 86_400_000).toISOString() },
    ],
    ['action prefix and text', { action: 'task.*', text: '"index":1' }],
    ['resource type and id', { resourceType: 'Project', resourceId: 'KNOWN' }],
    ['time range', { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() }],
    ['client address', { clientIp: '10.0.5.35' }],
    ['CIDR block', { clientIp: '10.1.0.0/24' }],
    ['text in the details', { text: '"index":4242,' }],
  ])(
    'honours the %s filter: the same events as GET /api/events, in CSV and JSONL',
    async (_name, given: Record<string, string>) => {
      // A resource id the seed surely used (ids are spread by a hash).
      const filter = given['resourceId'] === 'KNOWN' ? { ...given, resourceId: knownResourceId } : given;
      const listed = await listedIds(filter);
      expect(listed.length).toBeGreaterThan(0);
      const jsonl = await exported({ ...filter, format: 'jsonl' });
      expect(jsonl.status).toBe(200);
      expect(jsonlIds(jsonl.body).sort()).toEqual([...listed].sort());
      const checked = checkJsonlExport(jsonl.body, await checkpointPublicKey(node));
      expect(checked.ok && checked.manifest['filter']).toEqual(filter);
      const csv = await exported({ ...filter, format: 'csv' });
      const csvIds = csv.body
        .toString('utf8')
        .split('\r\n')
        .slice(1, -1)
        .filter((record) => record.includes(',bench,'))
        .map((record) => record.split(',')[2]);
      expect(csvIds.sort()).toEqual([...listed].sort());
    },
    120_000,
  );

  it('refuses a bad filter with 400 before any byte', async () => {
    const reply = await exported({ format: 'csv', clientIp: 'not an address' });
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-disposition')).toBeNull();
    expect(reply.body.toString('utf8')).toContain('clientIp');
    expect((await exported({ format: 'xlsx' })).status).toBe(400);
  });

  it('lets an Auditor export, refuses a user without EventView (403)', async () => {
    const user = async (username: string, roles: string[]) => {
      const password = `Export-password-${username}`;
      const made = await call(node.baseUrl, 'POST', '/api/users', token, {
        username,
        displayName: username,
        password,
        roles,
      });
      if (made.status !== 201)
        throw new Error(`user ${username}: ${made.status} ${JSON.stringify(made.body)}`);
      return signIn(node.baseUrl, username, password);
    };
    const auditor = await user('export-auditor', ['Auditor']);
    const nobody = await user('export-nobody', []);
    const allowed = await exported({ format: 'csv', actor: TRAIL_SHAPE.rareActor }, auditor);
    expect(allowed.status).toBe(200);
    expect(allowed.body.toString('utf8').split('\r\n').length).toBeGreaterThan(2);
    expect((await exported({ format: 'csv' }, nobody)).status).toBe(403);
    expect((await call(node.baseUrl, 'POST', '/api/events/export-tickets', nobody)).status).toBe(403);
  });

  it('opens with a single-use ticket instead of the session token, once', async () => {
    const minted = await call<{ ticket: string }>(node.baseUrl, 'POST', '/api/events/export-tickets', token);
    expect(minted.status).toBe(201);
    const query = { format: 'csv', actor: TRAIL_SHAPE.rareActor, ticket: minted.body.ticket };
    const first = await trustingFetch(url(query));
    expect(first.status).toBe(200);
    expect((await first.text()).split('\r\n')[0]).toMatch(/^sequenceNumber,/);
    expect((await trustingFetch(url(query))).status).toBe(401);
  });

  it("stops the audit service's reading when the client goes away mid-export, and records it", async () => {
    const abort = new AbortController();
    const response = await trustingFetch(url({ format: 'jsonl' }), {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    const fileName = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1];
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    abort.abort();
    await reader.cancel().catch(() => undefined);
    const stopped = new RegExp(
      `Export ${fileName} cancelled by the client after \\d+ chunks: reading stopped`,
    );
    for (const giveUpAt = Date.now() + 20_000; !stopped.test(node.output()); ) {
      if (Date.now() > giveUpAt) throw new Error(`no cancellation logged:\n${node.output().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // File names have a one-second resolution: an earlier test's JSONL export in the same second
    // has the same name (completed: true), so look for this one among them, newest first. The
    // event is recorded as the export ends, which may come just after the log line.
    type Exported = { completed: boolean; count: number };
    let cancelled: Exported | undefined;
    for (const giveUpAt = Date.now() + 20_000; !cancelled && Date.now() < giveUpAt; ) {
      const recorded = await db.query<{ details: string }[]>(
        "SELECT details FROM audit_events WHERE action = 'audit.exported' AND details LIKE $1 " +
          'ORDER BY sequence_number DESC',
        [`%${fileName}%`],
      );
      cancelled = recorded
        .map((row) => JSON.parse(row.details) as Exported)
        .find((details) => !details.completed);
      if (!cancelled) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(cancelled).toMatchObject({ completed: false });
    expect(cancelled?.count).toBeLessThan(EVENTS);
  }, 120_000);

  it('records every read of the trail in the trail: searched, verified, exported', async () => {
    const before = await db.query<{ n: string }[]>(
      "SELECT COUNT(*) AS n FROM audit_events WHERE resource_type = 'audit-trail'",
    );
    await call(node.baseUrl, 'GET', '/api/events?actor=nobody-at-all', token);
    const verified = await call<{ intact: boolean }>(node.baseUrl, 'GET', '/api/events/verification', token);
    expect(verified.status).toBe(200);
    await exported({ format: 'csv', actor: 'nobody-at-all' });
    const rows = await db.query<{ action: string; details: string; actor_name: string; client_ip: string }[]>(
      "SELECT action, details, actor_name, client_ip FROM audit_events WHERE resource_type = 'audit-trail' ORDER BY sequence_number DESC",
    );
    expect(rows.length - Number(before[0]?.n)).toBe(3);
    const [exportedEvent, verifiedEvent, searchedEvent] = rows;
    expect(searchedEvent).toMatchObject({
      action: 'audit.searched',
      actor_name: 'admin',
      client_ip: '127.0.0.1',
    });
    expect(JSON.parse(searchedEvent?.details ?? '{}')).toEqual({ filter: { actor: 'nobody-at-all' } });
    expect(verifiedEvent?.action).toBe('audit.verified');
    expect(JSON.parse(verifiedEvent?.details ?? '{}')).toMatchObject({ intact: verified.body.intact });
    expect(exportedEvent?.action).toBe('audit.exported');
    expect(JSON.parse(exportedEvent?.details ?? '{}')).toMatchObject({
      format: 'csv',
      filter: { actor: 'nobody-at-all' },
      count: 0,
      completed: true,
    });
  });
});
