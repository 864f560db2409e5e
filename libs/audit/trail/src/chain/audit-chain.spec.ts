import { randomBytes } from 'node:crypto';

import type { AuditEventRow } from '../event/audit-event.columns';
import { auditChainLink, chainAuditEvents, ChainedAuditEvent, GENESIS_LINK } from './audit-chain';
import { AuditChainSource, verifyAuditChain } from './verify-audit-chain';

const key = randomBytes(32);
const at = new Date('2026-12-01T10:00:00.123Z');

function event(n: number): AuditEventRow {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    occurredAt: new Date(at.getTime() - 1000 + n),
    actorId: 'u1',
    actorName: 'Alice',
    action: 'project.created',
    resourceType: 'Project',
    resourceId: `p${n}`,
    details: JSON.stringify({ n }),
    clientIp: '192.0.2.7',
    source: 'spec',
    forwardedFor: '',
  };
}

/** A trail held in memory, as the repository would return it. */
function trail(events: ChainedAuditEvent[], head = events.at(-1)): AuditChainSource {
  return {
    chainHead: () =>
      Promise.resolve({ sequence: head?.sequence ?? 0, link: head?.chainHash ?? GENESIS_LINK, beganAt: at }),
    chainPage: (after, take) =>
      Promise.resolve(
        events
          .filter((e) => e.sequence > after)
          .sort((a, b) => a.sequence - b.sequence)
          .slice(0, take),
      ),
    unchainedSince: () => Promise.resolve(0),
  };
}

describe('the audit chain', () => {
  const chained = chainAuditEvents(key, { sequence: 0, link: GENESIS_LINK }, [1, 2, 3, 4, 5].map(event), at);

  it('numbers events from the head on and links each to the one before', () => {
    expect(chained.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(chained[0]?.chainHash).toBe(auditChainLink(key, GENESIS_LINK, chained[0]));
    expect(chained[1]?.chainHash).toBe(auditChainLink(key, chained[0].chainHash, chained[1]));
    const next = chainAuditEvents(key, { sequence: 5, link: chained[4].chainHash }, [event(6)], at);
    expect(next[0]?.sequence).toBe(6);
  });

  it('links depend on the key: another key gives other links', () => {
    const other = chainAuditEvents(randomBytes(32), { sequence: 0, link: GENESIS_LINK }, [event(1)], at);
    expect(other[0]?.chainHash).not.toBe(chained[0]?.chainHash);
  });

  it('verifies an intact trail, in pages', async () => {
    await expect(verifyAuditChain(trail(chained), key, 2)).resolves.toMatchObject({
      intact: true,
      verifiedEvents: 5,
      headSequence: 5,
    });
  });

  it('reports an edited field, a removed event and removed newest events at the first broken link', async () => {
    const edited = chained.map((e) => (e.sequence === 3 ? { ...e, actorName: 'Mallory' } : e));
    await expect(verifyAuditChain(trail(edited), key, 2)).resolves.toMatchObject({
      intact: false,
      verifiedEvents: 2,
      firstBreak: { kind: 'edited', sequence: 3 },
    });
    const removed = chained.filter((e) => e.sequence !== 2);
    await expect(verifyAuditChain(trail(removed, chained[4]), key)).resolves.toMatchObject({
      firstBreak: { kind: 'missing', sequence: 2 },
    });
    const newestRemoved = chained.slice(0, 3);
    await expect(verifyAuditChain(trail(newestRemoved, chained[4]), key)).resolves.toMatchObject({
      firstBreak: { kind: 'head', sequence: 3 },
    });
  });

  it('reports the wrong key as an edit of the first event', async () => {
    await expect(verifyAuditChain(trail(chained), randomBytes(32))).resolves.toMatchObject({
      firstBreak: { kind: 'edited', sequence: 1 },
    });
  });

  it('reports events stored without a link after the chain began', async () => {
    const source = { ...trail(chained), unchainedSince: () => Promise.resolve(2) };
    await expect(verifyAuditChain(source, key)).resolves.toMatchObject({
      firstBreak: { kind: 'unchained', count: 2 },
    });
  });
});
