import type { auditV1 } from '@flotilla/contracts';

import { auditTrailHealth, unknownAuditTrailHealth } from './audit-trail-health';

const quiet: auditV1.TrailHealth = {
  refusedEvents: 0,
  newestRefusal: undefined,
  headSequence: 7,
  newestCheckpointSignedAt: '2026-12-01T12:56:00.000Z',
  checkedAt: '2026-12-01T13:00:00.000Z',
  checkpointIntervalMs: 300_000,
};
const refusal: auditV1.AuditRefusal = {
  eventId: 'e1',
  source: 'orchestrator',
  action: 'project.created',
  reason: 'details: must be valid JSON',
  firstRefusedAt: '2026-12-01T12:00:00.000Z',
  lastRefusedAt: '2026-12-01T12:00:01.000Z',
  times: 2,
};

describe(auditTrailHealth.name, () => {
  it('is ok with nothing refused and a checkpoint within two intervals', () => {
    expect(auditTrailHealth(quiet)).toEqual({
      state: 'ok',
      message: 'Nothing refused; checkpoints on time',
      refusedEvents: 0,
      headSequence: 7,
      newestCheckpointSignedAt: quiet.newestCheckpointSignedAt,
      checkpointsLate: false,
    });
  });

  it('asks for attention when an event was refused, naming the newest and why', () => {
    const health = auditTrailHealth({ ...quiet, refusedEvents: 3, newestRefusal: refusal });
    expect(health).toMatchObject({ state: 'attention', refusedEvents: 3, newestRefusal: refusal });
    expect(health.message).toBe(
      "3 event(s) refused by the audit service and parked in their producer's outbox; newest: " +
        'project.created from orchestrator (details: must be valid JSON)',
    );
  });

  it('asks for attention when the newest checkpoint is older than two intervals, or there is none', () => {
    const late = auditTrailHealth({ ...quiet, newestCheckpointSignedAt: '2026-12-01T12:49:59.000Z' });
    expect(late).toMatchObject({ state: 'attention', checkpointsLate: true });
    expect(late.message).toMatch(/older than 2 intervals/);
    const onTheEdge = auditTrailHealth({ ...quiet, newestCheckpointSignedAt: '2026-12-01T12:50:00.000Z' });
    expect(onTheEdge).toMatchObject({ state: 'ok', checkpointsLate: false });
    const none = auditTrailHealth({ ...quiet, newestCheckpointSignedAt: '' });
    expect(none).toMatchObject({ state: 'attention', checkpointsLate: true });
    expect(none.message).toMatch(/no signed checkpoint yet/);
  });

  it('says the audit service did not answer', () => {
    expect(unknownAuditTrailHealth('deadline exceeded')).toEqual({
      state: 'unknown',
      message: 'The audit service did not answer: deadline exceeded',
    });
  });
});
