import { randomUUID } from 'node:crypto';

import type { auditV1 } from '@flotilla/contracts';
import { CallerIdentity } from '@flotilla/platform/grpc';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AuditEventRepository } from '../audit-event.repository';
import { testAuditTrailKeys } from '../chain/audit-trail-keys.test-support';
import type { AuditEventRow } from '../event/audit-event.columns';
import { AuditTrailEntities, AuditTrailMigrations } from '../index';

import { AuditStreamDeliverer } from './audit-stream-deliverer';
import { AuditStreamRepository } from './audit-stream.repository';
import { ADMINISTER_SYSTEM, AuditStreamsService } from './audit-streams.service';
import {
  receiverCertificates,
  ReceiverCertificates,
  SyslogTlsReceiver,
  WebhookReceiver,
} from './stream-receivers.test-support';
import { AuditStreamSettings } from './stream-settings';
import { StreamSecrets } from './stream-secrets';

const SECRET = 'receiver-shared-secret-0123';
const SETTINGS: AuditStreamSettings = {
  leaseMs: 2_000,
  pollMs: 100,
  batchSize: 7,
  minBackoffMs: 50,
  maxBackoffMs: 400,
  sendTimeoutMs: 1_000,
};
const admin: CallerIdentity = {
  userId: 'u-admin',
  username: 'admin',
  clientIp: '192.0.2.1',
  permissions: [ADMINISTER_SYSTEM],
};

function event(i: number): AuditEventRow {
  return {
    id: randomUUID(),
    occurredAt: new Date(Date.UTC(2026, 11, 2, 4, 0, 0, i)),
    actorId: 'u1',
    actorName: 'alice',
    action: 'project.updated',
    resourceType: 'project',
    resourceId: `p-${i}`,
    details: JSON.stringify({ i }),
    clientIp: '198.51.100.7',
    source: 'orchestrator',
    forwardedFor: '',
    signInMethod: 'password',
    apiKeyId: '',
    socketPeer: '',
    nodeName: 'node-x',
    requestId: '',
    outcome: 'success',
    projectId: '',
    environmentId: '',
  };
}

async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const request = (fields: Partial<auditV1.SaveAuditStreamRequest>): auditV1.SaveAuditStreamRequest => ({
  id: '',
  name: 'test',
  kind: 'webhook',
  enabled: true,
  target: '',
  secret: '',
  caPem: '',
  facility: '',
  fromBeginning: false,
  ...fields,
});

describe('audit streaming to real receivers', () => {
  let db: MigratedTestDatabase;
  let certificates: ReceiverCertificates;
  let events: AuditEventRepository;
  let streams: AuditStreamRepository;
  let service: AuditStreamsService;
  let secrets: StreamSecrets;
  const running: AuditStreamDeliverer[] = [];

  function startDeliverer(nodeName: string): AuditStreamDeliverer {
    const deliverer = new AuditStreamDeliverer(streams, events, secrets, SETTINGS, { nodeName });
    deliverer.onApplicationBootstrap();
    running.push(deliverer);
    return deliverer;
  }

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuditTrailEntities, migrations: AuditTrailMigrations });
    certificates = receiverCertificates();
    const keys = testAuditTrailKeys();
    events = new AuditEventRepository(db.dataSource, keys.chainKey);
    streams = new AuditStreamRepository(db.dataSource);
    secrets = new StreamSecrets(keys.chainKey);
    service = new AuditStreamsService(db.dataSource, streams, events, secrets, { nodeName: 'node-x' });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((deliverer) => deliverer.onApplicationShutdown()));
  });
  afterAll(() => db.dispose());

  it('delivers every event to a webhook that answers 503 for a while: none missing, duplicates only by id, signed', async () => {
    const receiver = await WebhookReceiver.start(certificates, SECRET);
    try {
      receiver.failWith = 503;
      const created = await service.create(
        admin,
        request({ name: 'siem', target: receiver.url, secret: SECRET, caPem: certificates.caPem }),
      );
      const stored = await db.dataSource.query<{ secret_sealed: string }[]>(
        `SELECT secret_sealed FROM audit_streams WHERE id = '${created.id}'`,
      );
      expect(stored[0].secret_sealed).toMatch(/^enc:v1:/);
      expect(stored[0].secret_sealed).not.toContain(SECRET);

      startDeliverer('node-x');
      const written: string[] = [];
      for (let i = 0; i < 30; i++) {
        const row = event(i);
        written.push(row.id);
        await events.insertNew([row]);
      }
      await eventually(() => receiver.batches.length >= 3, 'failed attempts');
      const down = (await service.list(admin)).items.find((item) => item.id === created.id)!.delivery!;
      expect(down.backlog).toBe(31);
      expect(down.lastError).toContain('HTTP 503');
      expect(down.deliveredBy).toBe('node-x');
      expect(down.lagMs).toBeGreaterThan(0);

      receiver.failWith = undefined;
      for (let i = 30; i < 45; i++) {
        const row = event(i);
        written.push(row.id);
        await events.insertNew([row]);
      }
      await eventually(
        async () =>
          (await service.list(admin)).items.find((item) => item.id === created.id)!.delivery!.backlog === 0,
        'the backlog to drain',
      );

      const delivered = receiver.delivered();
      const deliveredIds = new Set(delivered.map((e) => e.id));
      // the creation event is the first one, then every event written after it
      expect(delivered[0].action).toBe('audit-stream.created');
      expect(written.filter((id) => !deliveredIds.has(id))).toEqual([]);
      // in chain order, each batch labelled with its first and last numbers, every signature valid
      const sequences = delivered.map((e) => e.sequence);
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
      expect(new Set(sequences).size).toBe(deliveredIds.size);
      for (const batch of receiver.batches) {
        expect(batch.signatureValid).toBe(true);
        expect(batch.events.length).toBeLessThanOrEqual(SETTINGS.batchSize);
        expect(batch.sequenceHeader).toBe(
          `${batch.events[0].sequence}-${batch.events[batch.events.length - 1].sequence}`,
        );
        expect(batch.idsHeader).toBe(`${batch.events[0].id},${batch.events[batch.events.length - 1].id}`);
      }
      const after = (await service.list(admin)).items.find((item) => item.id === created.id)!.delivery!;
      expect(after.lastError).toBe('');
      expect(after.lagMs).toBe(0);
    } finally {
      await receiver.close();
      await service.delete(admin, (await service.list(admin)).items.find((item) => item.name === 'siem')!.id);
    }
  });

  it('resumes from the cursor on another service after the delivering one stops, sending nothing twice', async () => {
    const receiver = await WebhookReceiver.start(certificates, SECRET);
    try {
      const created = await service.create(
        admin,
        request({ name: 'restart', target: receiver.url, secret: SECRET, caPem: certificates.caPem }),
      );
      const first = startDeliverer('node-a');
      await events.insertNew([0, 1, 2, 3, 4].map((i) => event(100 + i)));
      await eventually(() => receiver.delivered().length >= 6, 'the first events');
      await first.onApplicationShutdown(); // a clean stop releases the lease at once
      running.splice(running.indexOf(first), 1);

      const later = [5, 6, 7, 8, 9].map((i) => event(100 + i));
      await events.insertNew(later);
      startDeliverer('node-b');
      await eventually(
        () => later.every((row) => receiver.delivered().some((e) => e.id === row.id)),
        'the later events',
      );
      const status = (await service.list(admin)).items.find((item) => item.id === created.id)!.delivery!;
      expect(status.deliveredBy).toBe('node-b');
      // nothing sent twice: the cursor was durable and the stop clean
      const ids = receiver.delivered().map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      await service.delete(admin, created.id);
    } finally {
      await receiver.close();
    }
  });

  it('takes over a lease its holder left behind (crashed: never renewed) once it expires on the database clock', async () => {
    const receiver = await WebhookReceiver.start(certificates, SECRET);
    try {
      const created = await service.create(
        admin,
        request({ name: 'orphaned', target: receiver.url, secret: SECRET, caPem: certificates.caPem }),
      );
      const ghost = await streams.acquireLease(created.id, 'node-crashed', SETTINGS.leaseMs);
      expect(ghost).toBe(1);
      const rows = [0, 1, 2].map((i) => event(300 + i));
      await events.insertNew(rows);
      const started = Date.now();
      startDeliverer('node-c');
      await eventually(
        () => rows.every((row) => receiver.delivered().some((e) => e.id === row.id)),
        'delivery by node-c',
      );
      // not before the ghost's lease ran out
      expect(Date.now() - started).toBeGreaterThanOrEqual(SETTINGS.leaseMs - 500);
      expect(await streams.advanceCursor(created.id, ghost!, 10_000)).toBe(false);
      await service.delete(admin, created.id);
    } finally {
      await receiver.close();
    }
  });

  it('sends RFC 5424 messages over TLS to a syslog receiver, one per event, with the right fields', async () => {
    const receiver = await SyslogTlsReceiver.start(certificates);
    try {
      const created = await service.create(
        admin,
        request({
          name: 'syslog',
          kind: 'syslog',
          target: receiver.address,
          caPem: certificates.caPem,
          facility: 'local3',
        }),
      );
      startDeliverer('node-s');
      const rows = [0, 1, 2].map((i) => event(200 + i));
      await events.insertNew(rows);
      await eventually(() => receiver.messages.length >= 4, 'four syslog messages');

      const parsed = receiver.messages.map((message) => {
        const match =
          /^<(\d+)>1 (\S+) (\S+) flotilla - (\S+) \[flotilla@32473 id="([^"]+)" sequence="(\d+)" actorId="([^"]*)" actorName="([^"]*)" resourceType="([^"]*)" resourceId="([^"]*)" clientIp="([^"]*)"\] \ufeff(.*)$/s.exec(
            message,
          );
        if (!match) throw new Error(`not the expected RFC 5424 shape: ${message}`);
        return {
          pri: Number(match[1]),
          time: match[2],
          host: match[3],
          msgid: match[4],
          id: match[5],
          json: JSON.parse(match[12]) as { id: string; occurredAt: string },
        };
      });
      expect(parsed[0].msgid).toBe('audit-stream.created');
      expect(parsed[0].id).toBe(parsed[0].json.id);
      for (const [index, row] of rows.entries()) {
        const message = parsed[index + 1];
        expect(message).toMatchObject({
          pri: 19 * 8 + 5,
          host: 'node-s',
          msgid: 'project.updated',
          id: row.id,
        });
        expect(message.time).toBe(row.occurredAt.toISOString());
        expect(message.json.id).toBe(row.id);
      }
      await service.delete(admin, created.id);
    } finally {
      await receiver.close();
    }
  });

  it('records every change with old and new values, never the secret', async () => {
    const created = await service.create(
      admin,
      request({ name: 'audited', target: 'https://siem.example.com/a', secret: SECRET }),
    );
    await service.update(
      admin,
      request({
        id: created.id,
        name: 'audited',
        target: 'https://siem.example.com/b',
        secret: `${SECRET}-new`,
      }),
    );
    await service.update(
      admin,
      request({ id: created.id, name: 'audited', enabled: false, target: 'https://siem.example.com/b' }),
    );
    await service.delete(admin, created.id);
    const rows = await db.dataSource.query<
      { action: string; details: string; actor_name: string; client_ip: string }[]
    >(
      `SELECT action, details, actor_name, client_ip FROM audit_events WHERE resource_id = '${created.id}' ORDER BY sequence_number`,
    );
    expect(rows.map((row) => row.action)).toEqual([
      'audit-stream.created',
      'audit-stream.updated',
      'audit-stream.updated',
      'audit-stream.deleted',
    ]);
    expect(rows.every((row) => row.actor_name === 'admin' && row.client_ip === '192.0.2.1')).toBe(true);
    const [create, change, disable] = rows.map(
      (row) => JSON.parse(row.details) as Record<string, Record<string, unknown> | string>,
    );
    expect(create).toMatchObject({ new: { target: 'https://siem.example.com/a', secret: 'set' } });
    expect(change).toMatchObject({
      old: { target: 'https://siem.example.com/a' },
      new: { target: 'https://siem.example.com/b' },
      secret: 'changed',
    });
    expect(disable).toMatchObject({ old: { enabled: true }, new: { enabled: false }, secret: 'unchanged' });
    expect(rows.map((row) => row.details).join()).not.toContain(SECRET);
  });

  it('refuses a caller without AdministerSystem', async () => {
    await expect(service.list({ ...admin, permissions: ['EventView'] })).rejects.toThrow(/AdministerSystem/);
  });
});
