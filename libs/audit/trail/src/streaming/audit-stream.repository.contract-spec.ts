import { randomUUID } from 'node:crypto';

import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AuditEventRepository } from '../audit-event.repository';
import { testAuditTrailKeys } from '../chain/audit-trail-keys.test-support';
import { AuditTrailEntities, AuditTrailMigrations } from '../index';

import { AuditStreamRepository, AuditStreamRow } from './audit-stream.repository';

function destination(name: string): AuditStreamRow {
  return {
    id: randomUUID(),
    name,
    kind: 'webhook',
    enabled: true,
    target: 'https://127.0.0.1:9/hook',
    secretSealed: 'enc:v1:sealed',
    caPem: null,
    facility: '',
  };
}

const NO_PROVENANCE = {
  signInMethod: '',
  apiKeyId: '',
  socketPeer: '',
  nodeName: '',
  requestId: '',
  outcome: '',
  projectId: '',
  environmentId: '',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(AuditStreamRepository.name, () => {
  let db: MigratedTestDatabase;
  let streams: AuditStreamRepository;
  let events: AuditEventRepository;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuditTrailEntities, migrations: AuditTrailMigrations });
    streams = new AuditStreamRepository(db.dataSource);
    events = new AuditEventRepository(db.dataSource, testAuditTrailKeys().chainKey);
  });
  afterAll(() => db.dispose());

  async function added(name: string, cursor = 0): Promise<AuditStreamRow> {
    const row = destination(name);
    await db.dataSource.transaction((manager) => streams.insert(manager, row, cursor));
    return row;
  }

  it('stores, changes and removes a destination, cursor and lease apart', async () => {
    const row = await added('crud');
    expect(await streams.find(row.id)).toEqual(row);
    await db.dataSource.transaction((manager) =>
      streams.update(manager, { ...row, name: 'renamed', enabled: false, caPem: 'PEM' }),
    );
    expect(await streams.find(row.id)).toEqual({ ...row, name: 'renamed', enabled: false, caPem: 'PEM' });
    await db.dataSource.transaction((manager) => streams.delete(manager, row.id));
    expect(await streams.find(row.id)).toBeUndefined();
  });

  it('gives a free lease to exactly one of many concurrent contenders', async () => {
    const row = await added('race');
    const tokens = await Promise.all(
      ['a', 'b', 'c', 'd'].map((node) => streams.acquireLease(row.id, node, 60_000)),
    );
    expect(tokens.filter((token) => token !== undefined)).toEqual([1]);
  });

  it('moves the cursor only with the current holder’s fencing token; a stale holder is refused', async () => {
    const row = await added('fencing', 5);
    // Long enough for the next three statements on a busy machine (300 ms was not, on Babelfish in
    // a fresh-clone CI run: node-b took the lease at once), short enough to wait out below.
    const leaseMs = 2_000;
    const acquiredAt = Date.now();
    const first = await streams.acquireLease(row.id, 'node-a', leaseMs);
    expect(first).toBe(1);
    expect(await streams.acquireLease(row.id, 'node-b', 60_000)).toBeUndefined();
    expect(await streams.advanceCursor(row.id, first!, 7)).toBe(true);
    expect(await streams.cursor(row.id)).toBe(7);

    // node-a's lease expires on the database clock: node-b takes over
    await sleep(Math.max(0, acquiredAt + leaseMs + 500 - Date.now()));
    const second = await streams.acquireLease(row.id, 'node-b', 60_000);
    expect(second).toBe(2);

    // node-a wakes up and tries to move the cursor, renew or report: all refused
    expect(await streams.advanceCursor(row.id, first!, 9)).toBe(false);
    expect(await streams.renewLease(row.id, first!, 60_000)).toBe(false);
    expect(await streams.recordError(row.id, first!, 'late')).toBe(false);
    expect(await streams.cursor(row.id)).toBe(7);

    expect(await streams.advanceCursor(row.id, second!, 9)).toBe(true);
    expect(await streams.cursor(row.id)).toBe(9);
    // never backwards, even by the holder (a retried advance that arrives late)
    expect(await streams.advanceCursor(row.id, second!, 8)).toBe(false);
    expect(await streams.cursor(row.id)).toBe(9);
  });

  it('renews for the holder, lets nobody take a disabled destination, and frees a released lease', async () => {
    const row = await added('renew');
    const leaseMs = 2_000; // as above: time to renew on a busy machine
    const acquiredAt = Date.now();
    const token = (await streams.acquireLease(row.id, 'node-a', leaseMs))!;
    expect(await streams.renewLease(row.id, token, 60_000)).toBe(true);
    await sleep(Math.max(0, acquiredAt + leaseMs + 500 - Date.now())); // past the first lease
    expect(await streams.acquireLease(row.id, 'node-b', 60_000)).toBeUndefined(); // renewed: still held
    await streams.releaseLease(row.id, token);
    const next = await streams.acquireLease(row.id, 'node-b', 60_000);
    expect(next).toBe(token + 1);

    await db.dataSource.transaction((manager) => streams.update(manager, { ...row, enabled: false }));
    expect(await streams.renewLease(row.id, next!, 60_000)).toBe(false);
    await streams.releaseLease(row.id, next!);
    expect(await streams.acquireLease(row.id, 'node-c', 60_000)).toBeUndefined();
  });

  it('reports the backlog, the oldest undelivered event, the last error and who delivers', async () => {
    const head = (await events.chainHead()).sequence;
    const row = await added('status', head);
    await events.insertNew(
      [1, 2, 3].map((i) => ({
        id: randomUUID(),
        occurredAt: new Date(Date.UTC(2026, 11, 2, 4, 0, i)),
        actorId: 'u1',
        actorName: 'alice',
        action: 'project.created',
        resourceType: 'project',
        resourceId: `p${i}`,
        details: '{}',
        clientIp: '127.0.0.1',
        source: 'test',
        forwardedFor: '',
        ...NO_PROVENANCE,
      })),
    );
    const token = (await streams.acquireLease(row.id, 'node-a', 60_000))!;
    expect(await streams.recordError(row.id, token, 'HTTP 503')).toBe(true);

    const state = (await streams.states()).find((s) => s.id === row.id)!;
    expect(state.headSequence - state.cursorSequence).toBe(3);
    expect(state.deliveredBy).toBe('node-a');
    expect(state.lastError).toBe('HTTP 503');
    expect(state.oldestUndeliveredAt).toBeInstanceOf(Date);
    expect(state.now.getTime() - state.oldestUndeliveredAt!.getTime()).toBeLessThan(60_000);

    expect(await streams.advanceCursor(row.id, token, head + 3)).toBe(true);
    const after = (await streams.states()).find((s) => s.id === row.id)!;
    expect(after.headSequence - after.cursorSequence).toBe(0);
    expect(after.oldestUndeliveredAt).toBeUndefined();
    expect(after.lastError).toBeUndefined();
    expect(after.deliveredAt).toBeInstanceOf(Date);
  });
});
