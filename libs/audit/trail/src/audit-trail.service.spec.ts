import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import type { auditV1 } from '@flotilla/contracts';
import { CallerIdentity } from '@flotilla/platform/grpc';

import { NO_PROVENANCE, UNCHAINED } from './event/audit-event.test-support';
import type { AuditEventPage } from './audit-event.repository';
import { AuditEventStore, AuditTrailService, EVENT_VIEW } from './audit-trail.service';
import { testAuditTrailKeys } from './chain/audit-trail-keys.test-support';
import type { AuditEventRow } from './event/audit-event.columns';
import type { AuditQuery } from './query/audit-query';
import { queryRequest } from './query/query-request.test-support';

const event: auditV1.AuditEvent = {
  id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
  occurredAt: '2025-03-01T10:15:00.123Z',
  actorId: 'u1',
  actorName: 'alice',
  action: 'project.created',
  resourceType: 'Project',
  resourceId: 'p1',
  details: '{}',
  clientIp: '192.0.2.7',
  source: 'orchestrator',
  forwardedFor: '192.0.2.7',
  ...NO_PROVENANCE,
  ...UNCHAINED,
};

const auditor: CallerIdentity = {
  userId: 'u9',
  username: 'auditor',
  clientIp: '',
  permissions: ['ProjectView', EVENT_VIEW],
};
const emptyQuery = queryRequest();

/** The gRPC error a rejected call carries, or what it rejected with when that is not one. */
async function rpcErrorOf(promise: Promise<unknown>): Promise<unknown> {
  const failure = await promise.then(
    () => new Error('expected a failure'),
    (error: unknown) => error,
  );
  return failure instanceof RpcException ? failure.getError() : failure;
}

const KEYS = testAuditTrailKeys();
const CONFIG = { auditCheckpointMs: 300_000 };

/** A store that fails any call the test did not expect. */
function strictStore(overrides: Partial<AuditEventStore>): AuditEventStore {
  const unexpected = (name: string) => () => Promise.reject(new Error(`unexpected call to ${name}`));
  return {
    insertNew: unexpected('insertNew'),
    findPage: unexpected('findPage'),
    chainHead: unexpected('chainHead'),
    chainPage: unexpected('chainPage'),
    unchainedSince: unexpected('unchainedSince'),
    latestCheckpoint: unexpected('latestCheckpoint'),
    ...overrides,
  };
}

describe(AuditTrailService.name, () => {
  describe('record', () => {
    it('stores each id once even when a batch repeats it, and replies with what the store newly stored', async () => {
      const stored: AuditEventRow[][] = [];
      const sut = new AuditTrailService(
        strictStore({
          insertNew: (rows) => {
            stored.push([...rows]);
            return Promise.resolve(1);
          },
        }),
        KEYS,
        CONFIG,
      );
      await expect(
        sut.record([event, { ...event, id: event.id.toUpperCase(), action: 'other' }]),
      ).resolves.toEqual({ recorded: 1 });
      expect(stored).toEqual([[expect.objectContaining({ id: event.id, action: 'project.created' })]]);
    });

    it('stores nothing when any event of the batch is invalid', async () => {
      const sut = new AuditTrailService(strictStore({}), KEYS, CONFIG);
      await expect(rpcErrorOf(sut.record([event, { ...event, id: 'x' }]))).resolves.toEqual({
        code: status.INVALID_ARGUMENT,
        message: 'events[1].id: must be a UUID',
      });
    });
  });

  describe('verify', () => {
    it('refuses a caller without EventView before touching the store', async () => {
      const sut = new AuditTrailService(strictStore({}), KEYS, CONFIG);
      await expect(rpcErrorOf(sut.verify({ ...auditor, permissions: ['TaskView'] }))).resolves.toEqual({
        code: status.PERMISSION_DENIED,
        message: 'EventView permission is required to read the audit trail',
      });
    });
  });

  describe('query', () => {
    it('refuses a caller without EventView before touching the store', async () => {
      const sut = new AuditTrailService(strictStore({}), KEYS, CONFIG);
      await expect(
        rpcErrorOf(sut.query({ ...auditor, permissions: ['ProjectView', 'TaskView'] }, emptyQuery)),
      ).resolves.toEqual({
        code: status.PERMISSION_DENIED,
        message: 'EventView permission is required to read the audit trail',
      });
    });

    it('passes the parsed query to the store and maps rows to the contract', async () => {
      const asked: AuditQuery[] = [];
      const page: AuditEventPage = {
        rows: [
          {
            ...event,
            occurredAt: new Date(event.occurredAt),
            sequenceNumber: 7,
            chainHash: 'f'.repeat(64),
            recordedAt: new Date(event.occurredAt),
            requestId: 'req-1',
            outcome: 'success',
            signInMethod: 'api-key',
            apiKeyId: 'k1',
          },
        ],
        nextCursor: 'the-next-page',
      };
      const sut = new AuditTrailService(
        strictStore({
          findPage: (query) => {
            asked.push(query);
            return Promise.resolve(page);
          },
        }),
        KEYS,
        CONFIG,
      );
      await expect(
        sut.query(auditor, { ...emptyQuery, action: 'project.*', clientIp: '10.0.0.0/8' }),
      ).resolves.toEqual({
        items: [
          {
            ...event,
            sequenceNumber: 7,
            chainHash: 'f'.repeat(64),
            recordedAt: event.occurredAt,
            requestId: 'req-1',
            outcome: 'success',
            signInMethod: 'api-key',
            apiKeyId: 'k1',
          },
        ],
        take: 30,
        nextCursor: 'the-next-page',
      });
      expect(asked).toEqual([
        {
          action: { prefix: 'project.' },
          clientIp: { low: '00000000000000000000ffff0a000000', high: '00000000000000000000ffff0affffff' },
          take: 30,
        },
      ]);
    });
  });
});
