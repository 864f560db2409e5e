import { createHash, randomUUID } from 'node:crypto';

import type { auditV1 } from '@flotilla/contracts';
import type { CallerIdentity } from '@flotilla/platform/grpc';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AuditEventRepository } from '../audit-event.repository';
import { EVENT_VIEW } from '../audit-trail.service';
import { auditManifestSignatureValid, type SignedAuditManifest } from '../chain/audit-manifest';
import { testAuditTrailKeys } from '../chain/audit-trail-keys.test-support';
import type { AuditEventRow } from '../event/audit-event.columns';
import { NO_PROVENANCE } from '../event/audit-event.test-support';
import { AuditTrailEntities, AuditTrailMigrations } from '../index';
import { emptyAuditTrailAsOwner } from '../migrations/empty-audit-trail-as-owner';
import { queryRequest } from '../query/query-request.test-support';
import { AuditExporter, EXPORT_PAGE_EVENTS } from './audit-exporter';
import { EXPORT_COLUMNS } from './export-writers';
import { TrailReadRecorder } from './trail-read-recorder';

const KEYS = testAuditTrailKeys();
const MIGRATION_RUN_MS = 120_000;
const BASE = Date.parse('2025-06-01T00:00:00.000Z');
/** More than two pages, on only 4 distinct times: every page boundary falls inside a tie. */
const EVENTS = EXPORT_PAGE_EVENTS * 2 + 137;

const auditor: CallerIdentity = {
  userId: 'u-auditor',
  username: 'auditor',
  clientIp: '192.0.2.44',
  requestId: 'req-export-spec',
  permissions: [EVENT_VIEW],
};

function dataset(): AuditEventRow[] {
  return Array.from({ length: EVENTS }, (_, i) => ({
    id: randomUUID(),
    occurredAt: new Date(BASE + (i % 4) * 60_000),
    actorId: i % 3 === 0 ? 'u1' : 'u2',
    actorName: i % 3 === 0 ? 'Alice' : 'Bob',
    action: i % 2 === 0 ? 'project.created' : 'deployment.queued',
    resourceType: i % 2 === 0 ? 'Project' : 'Deployment',
    // Every tenth a formula a spreadsheet would run, with a quote and a comma to quote.
    resourceId: i % 10 === 0 ? `=HYPERLINK("r${i}",1)` : `r${i}`,
    details: JSON.stringify({ index: i }),
    clientIp: '192.0.2.7',
    source: 'spec',
    forwardedFor: '',
    ...NO_PROVENANCE,
  }));
}

/** Runs an export to its end; the file as text. */
async function exportText(exporter: AuditExporter, request: auditV1.ExportEventsRequest): Promise<string> {
  const prepared = await exporter.prepare(auditor, request);
  const parts: Buffer[] = [];
  for await (const bytes of exporter.write(prepared, () => false)) parts.push(bytes);
  return Buffer.concat(parts).toString('utf8');
}

function jsonlParts(text: string): {
  events: Record<string, unknown>[];
  manifest: SignedAuditManifest;
  body: string;
} {
  const lines = text.split('\n');
  expect(lines.pop()).toBe('');
  const last = lines.pop() ?? '';
  const { manifest } = JSON.parse(last) as { manifest: SignedAuditManifest };
  const body = text.slice(0, text.length - last.length - 1);
  return { events: lines.map((line) => JSON.parse(line) as Record<string, unknown>), manifest, body };
}

describe('audit export (keyset pages over the Query filter)', () => {
  let db: MigratedTestDatabase;
  let repository: AuditEventRepository;
  let exporter: AuditExporter;
  let events: AuditEventRow[];

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuditTrailEntities, migrations: AuditTrailMigrations });
    repository = new AuditEventRepository(db.dataSource, KEYS.chainKey);
    exporter = new AuditExporter(repository, KEYS, new TrailReadRecorder(repository, db.dataSource));
    await emptyAuditTrailAsOwner(db.dataSource);
    events = dataset();
    await repository.insertNew(events);
  }, MIGRATION_RUN_MS);
  afterAll(() => db?.dispose());

  it(
    'exports every event exactly once as JSONL across pages that split ties, with a manifest that verifies',
    async () => {
      const text = await exportText(exporter, { filter: queryRequest(), format: 'jsonl' });
      const { events: lines, manifest, body } = jsonlParts(text);
      const ids = lines.map((line) => line['id']);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(ids)).toEqual(new Set(events.map((event) => event.id)));
      const sequences = lines.map((line) => line['sequenceNumber'] as number);
      expect(manifest).toMatchObject({
        kind: 'export',
        count: EVENTS,
        firstSequence: Math.min(...sequences),
        lastSequence: Math.max(...sequences),
        previousManifestSha256: '',
        sha256: createHash('sha256').update(body, 'utf8').digest('hex'),
        filter: {},
      });
      expect(manifest.file).toMatch(/^events-\d{8}T\d{6}Z\.jsonl$/);
      expect(auditManifestSignatureValid(KEYS.checkpoint.publicKey, manifest)).toBe(true);
      expect(auditManifestSignatureValid(KEYS.checkpoint.publicKey, { ...manifest, count: EVENTS - 1 })).toBe(
        false,
      );
    },
    MIGRATION_RUN_MS,
  );

  it(
    "exports a filter's events exactly once as CSV, a header row first",
    async () => {
      const text = await exportText(exporter, { filter: queryRequest({ actor: 'alice' }), format: 'csv' });
      const records = text.split('\r\n');
      expect(records.pop()).toBe('');
      expect(records.shift()).toBe(EXPORT_COLUMNS.join(','));
      const idColumn = EXPORT_COLUMNS.indexOf('id');
      // Ids hold no comma or quote and come before every cell that may: the n-th cell as split.
      const ids = records.map((record) => record.split(',')[idColumn]);
      const alices = events.filter((event) => event.actorId === 'u1').map((event) => event.id);
      expect(ids).toHaveLength(alices.length);
      expect(new Set(ids)).toEqual(new Set(alices));
      // A cell starting with '=' is defused with a leading ' and quoted (it holds a quote and a comma).
      expect(text).toContain(`,"'=HYPERLINK(""r0"",1)",`);
    },
    MIGRATION_RUN_MS,
  );

  it(
    'refuses a bad filter or format before any byte',
    async () => {
      await expect(
        exporter.prepare(auditor, { filter: queryRequest({ from: 'yesterday' }), format: 'csv' }),
      ).rejects.toThrow(/from/);
      await expect(exporter.prepare(auditor, { filter: queryRequest(), format: 'xlsx' })).rejects.toThrow(
        /format/,
      );
    },
    MIGRATION_RUN_MS,
  );

  it(
    'reads no further page once stopped, and records the export in the trail with its count',
    async () => {
      const pagesRead: number[] = [];
      const counting = {
        findPage: async (query: Parameters<AuditEventRepository['findPage']>[0]) => {
          const page = await repository.findPage(query);
          pagesRead.push(page.rows.length);
          return page;
        },
      };
      const stoppable = new AuditExporter(counting, KEYS, new TrailReadRecorder(repository, db.dataSource));
      const prepared = await stoppable.prepare(auditor, {
        filter: queryRequest({ action: 'project.*' }),
        format: 'jsonl',
      });
      let stopped = false;
      const file = stoppable.write(prepared, () => stopped);
      await file.next();
      stopped = true;
      let more = 0;
      for await (const _ of { [Symbol.asyncIterator]: () => file }) more++;
      expect(pagesRead).toEqual([EXPORT_PAGE_EVENTS]);
      expect(more).toBeGreaterThanOrEqual(0);
      const recorded = await repository.findPage({ action: { exact: 'audit.exported' }, take: 10 });
      expect(recorded.rows[0]).toMatchObject({
        actorId: 'u-auditor',
        actorName: 'auditor',
        clientIp: '192.0.2.44',
        requestId: 'req-export-spec',
        resourceType: 'audit-trail',
        source: 'audit',
      });
      expect(JSON.parse(recorded.rows[0]?.details ?? '{}')).toMatchObject({
        format: 'jsonl',
        filter: { action: 'project.*' },
        completed: false,
      });
      expect(recorded.rows[0]?.sequenceNumber).toBeGreaterThan(EVENTS);
    },
    MIGRATION_RUN_MS,
  );
});
