import { randomUUID } from 'node:crypto';

import { DataSource } from 'typeorm';

import { createDataSource, runMigrations } from '@flotilla/platform/persistence';
import {
  createTestDatabase,
  RestartablePostgres,
  startRestartablePostgres,
  TestDatabase,
} from '@flotilla/testing';

import { AuditEventRepository } from '../audit-event.repository';
import { testAuditTrailKeys } from '../chain/audit-trail-keys.test-support';
import type { AuditEventRow } from '../event/audit-event.columns';
import { AuditTrailEntities, AuditTrailMigrations } from '../index';

import { AuditStreamDeliverer } from './audit-stream-deliverer';
import { AuditStreamRepository } from './audit-stream.repository';
import { ADMINISTER_SYSTEM, AuditStreamsService } from './audit-streams.service';
import { receiverCertificates, WebhookReceiver } from './stream-receivers.test-support';
import { StreamSecrets } from './stream-secrets';

const SECRET = 'database-restart-secret-0123';

function event(i: number): AuditEventRow {
  return {
    id: randomUUID(),
    occurredAt: new Date(Date.UTC(2026, 11, 2, 5, 0, 0, i)),
    actorId: 'u1',
    actorName: 'alice',
    action: 'environment.created',
    resourceType: 'environment',
    resourceId: `e-${i}`,
    details: '{}',
    clientIp: '',
    source: 'orchestrator',
    forwardedFor: '',
    signInMethod: '',
    apiKeyId: '',
    socketPeer: '',
    nodeName: '',
    requestId: '',
    outcome: 'success',
    projectId: '',
    environmentId: '',
  };
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Delivery while PostgreSQL restarts (a server of this spec's own): the deliverer's reads, lease
 * renewals and cursor moves fail while it is down; once it is back the pool reconnects, the same
 * service keeps (or takes again) the lease and delivers from the durable cursor. Nothing is missing.
 */
describe('audit streaming across a database restart', () => {
  let postgres: RestartablePostgres;
  let database: TestDatabase;
  let pool: DataSource;
  let receiver: WebhookReceiver;
  let deliverer: AuditStreamDeliverer;

  beforeAll(async () => {
    postgres = await startRestartablePostgres();
    database = await createTestDatabase({ dialect: 'postgres', baseUrl: postgres.baseUrl });
    const parts = { entities: AuditTrailEntities, migrations: AuditTrailMigrations };
    await runMigrations(createDataSource(database, { ...parts, applicationName: 'flotilla-test-migrate' }));
    pool = await createDataSource(database, {
      ...parts,
      applicationName: 'flotilla-test-audit',
    }).initialize();
  }, 180_000);

  afterAll(async () => {
    await deliverer?.onApplicationShutdown();
    await receiver?.close();
    await pool?.destroy();
    await postgres?.dispose();
  }, 60_000);

  it('delivers every event, resuming from the cursor once the database is back', async () => {
    const keys = testAuditTrailKeys();
    const events = new AuditEventRepository(pool, keys.chainKey);
    const streams = new AuditStreamRepository(pool);
    const secrets = new StreamSecrets(keys.chainKey);
    const service = new AuditStreamsService(pool, streams, events, secrets, { nodeName: 'node-db' });
    const certificates = receiverCertificates();
    receiver = await WebhookReceiver.start(certificates, SECRET);
    receiver.answerAfterMs = 50; // a delivery is under way when the database goes
    const admin = { userId: 'u', username: 'admin', clientIp: '', permissions: [ADMINISTER_SYSTEM] };
    const created = await service.create(admin, {
      id: '',
      name: 'db-restart',
      kind: 'webhook',
      enabled: true,
      target: receiver.url,
      secret: SECRET,
      caPem: certificates.caPem,
      facility: '',
      fromBeginning: false,
    });
    deliverer = new AuditStreamDeliverer(
      streams,
      events,
      secrets,
      { leaseMs: 2000, pollMs: 100, batchSize: 2, minBackoffMs: 100, maxBackoffMs: 500, sendTimeoutMs: 1000 },
      { nodeName: 'node-db' },
    );
    const before = Array.from({ length: 30 }, (_, i) => event(i));
    await events.insertNew(before);
    deliverer.onApplicationBootstrap();
    await eventually(() => Promise.resolve(receiver.delivered().length >= 6), 'delivery under way');

    const outage = await postgres.restart({ downMs: 1500 });
    const deliveredDuringOutage = receiver.delivered().length;
    const after = Array.from({ length: 10 }, (_, i) => event(100 + i));
    await eventually(async () => (await events.insertNew(after)) >= 0, 'the database to take events again');

    const head = (await events.chainHead()).sequence;
    await eventually(
      async () => ((await streams.cursor(created.id)) ?? 0) >= head,
      'the cursor to reach the head',
    );
    const delivered = new Set(receiver.delivered().map((e) => e.id));
    expect([...before, ...after].filter((row) => !delivered.has(row.id))).toEqual([]);
    expect(deliveredDuringOutage).toBeLessThan(before.length + 1);
    process.stdout.write(
      `[streaming db restart] PostgreSQL down ${outage.acceptingAt - outage.stoppingAt} ms; ` +
        `${receiver.delivered().length} delivered for ${delivered.size} events\n`,
    );
  }, 180_000);
});
