import type { auditV1 } from '@flotilla/contracts';

import { auditStreamsHealth, LAGGING_MS } from './audit-streams-health';

const checkedAt = '2026-12-02T04:00:00.000Z';

function stream(delivery: Partial<auditV1.AuditStreamDelivery>, enabled = true): auditV1.AuditStream {
  return {
    id: 's1',
    name: 'SIEM',
    kind: 'webhook',
    enabled,
    target: 'https://siem.example.com/hook',
    hasSecret: true,
    caPem: '',
    facility: '',
    delivery: {
      cursorSequence: 10,
      headSequence: 10,
      backlog: 0,
      deliveredAt: '2026-12-02T03:59:50.000Z',
      deliveredBy: 'node-a',
      lastError: '',
      lastErrorAt: '',
      oldestUndeliveredAt: '',
      lagMs: 0,
      checkedAt,
      ...delivery,
    },
  };
}

describe(auditStreamsHealth.name, () => {
  it('is ok when nothing waits, with the time since the last delivery and the delivering node', () => {
    const health = auditStreamsHealth({ items: [stream({})] });
    expect(health.state).toBe('ok');
    expect(health.destinations[0]).toMatchObject({
      state: 'ok',
      backlog: 0,
      sinceLastDeliveryMs: 10_000,
      deliveredBy: 'node-a',
    });
  });

  it('is failing with the last error and the backlog while the receiver answers errors', () => {
    const health = auditStreamsHealth({
      items: [stream({ backlog: 31, headSequence: 41, lastError: 'HTTP 503 from https://…', lagMs: 5_000 })],
    });
    expect(health.state).toBe('degraded');
    expect(health.destinations[0]).toMatchObject({ state: 'failing', backlog: 31, lagMs: 5_000 });
    expect(health.destinations[0].message).toContain('HTTP 503');
    expect(health.message).toContain('SIEM');
  });

  it('is lagging when events wait too long without an error, and says when no node delivers it', () => {
    const health = auditStreamsHealth({
      items: [stream({ backlog: 3, lagMs: LAGGING_MS + 1, deliveredBy: '' })],
    });
    expect(health.destinations[0].state).toBe('lagging');
    expect(health.destinations[0].message).toContain('no node delivers it');
    expect(health.destinations[0].deliveredBy).toBeUndefined();
  });

  it('reports a disabled destination without degrading the section', () => {
    const health = auditStreamsHealth({ items: [stream({ backlog: 3, lagMs: LAGGING_MS * 10 }, false)] });
    expect(health).toMatchObject({ state: 'ok', destinations: [{ state: 'disabled' }] });
  });
});
