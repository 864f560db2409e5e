import { createHmac, randomUUID } from 'node:crypto';

import { NO_PROVENANCE } from '../event/audit-event.test-support';
import type { AuditEventRow } from '../event/audit-event.columns';
import { INSERT_COLUMNS } from '../sql/audit-trail-sql';
import {
  auditChainLink,
  chainAuditEvents,
  ChainedAuditEvent,
  chainedFieldValues,
  CURRENT_LINK_VERSION,
  GENESIS_LINK,
} from './audit-chain';
import { AuditCheckpoint, signCheckpoint } from './audit-checkpoint';
import { testAuditTrailKeys } from './audit-trail-keys.test-support';
import { AuditChainSource, verifyAuditChain } from './verify-audit-chain';

const keys = testAuditTrailKeys();
const key = keys.chainKey;
const at = new Date('2026-12-01T10:00:00.123Z');
const INTERVAL_MS = 300_000;
const options = { checkpointPublicKey: keys.checkpoint.publicKey, checkpointIntervalMs: INTERVAL_MS };

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
    ...NO_PROVENANCE,
  };
}

/** A checkpoint of `last` (the chain's event), signed now with the cluster's key. */
function checkpointOf(last: ChainedAuditEvent | undefined, signedAt = at): AuditCheckpoint {
  const head = { sequence: last?.sequence ?? 0, chainHash: last?.chainHash ?? GENESIS_LINK, signedAt };
  return {
    id: randomUUID(),
    ...head,
    nodeName: 'node-1',
    signature: signCheckpoint(keys.checkpoint.privateKey, head),
  };
}

/** A trail held in memory, as the repository would return it; checked one minute after `at`. */
function trail(
  events: ChainedAuditEvent[],
  head = events.at(-1),
  /** null: no checkpoint at all. */
  checkpoint: AuditCheckpoint | null = checkpointOf(head),
): AuditChainSource {
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
    latestCheckpoint: () =>
      Promise.resolve({ ...(checkpoint ? { checkpoint } : {}), now: new Date(at.getTime() + 60_000) }),
  };
}

describe('the audit chain', () => {
  const chained = chainAuditEvents(key, { sequence: 0, link: GENESIS_LINK }, [1, 2, 3, 4, 5].map(event), at);
  const [first, second, third, , fifth] = chained as [
    ChainedAuditEvent,
    ChainedAuditEvent,
    ChainedAuditEvent,
    ChainedAuditEvent,
    ChainedAuditEvent,
  ];

  it('numbers events from the head on and links each to the one before', () => {
    expect(chained.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(first.chainHash).toBe(auditChainLink(key, GENESIS_LINK, first));
    expect(second.chainHash).toBe(auditChainLink(key, first.chainHash, second));
    const next = chainAuditEvents(key, { sequence: 5, link: fifth.chainHash }, [event(6)], at);
    expect(next[0]?.sequence).toBe(6);
  });

  it("links cover every stored column but the link itself, in the insert's column order", () => {
    const values = chainedFieldValues(first);
    expect(values).toHaveLength(INSERT_COLUMNS.length - 1);
    expect(values[INSERT_COLUMNS.indexOf('sequence_number')]).toBe(1);
    expect(values[INSERT_COLUMNS.indexOf('recorded_at')]).toBe(at.toISOString());
    expect(INSERT_COLUMNS.at(-1)).toBe('chain_hash');
  });

  it('links depend on the key: another key gives other links', () => {
    const other = chainAuditEvents(
      testAuditTrailKeys().chainKey,
      { sequence: 0, link: GENESIS_LINK },
      [event(1)],
      at,
    );
    expect(other[0]?.chainHash).not.toBe(first.chainHash);
  });

  it('verifies an intact trail, in pages, against its newest checkpoint', async () => {
    await expect(verifyAuditChain(trail(chained), key, { ...options, pageSize: 2 })).resolves.toMatchObject({
      intact: true,
      verifiedEvents: 5,
      headSequence: 5,
      checkpoint: { sequence: 5, nodeName: 'node-1' },
    });
    // A checkpoint behind the head (events came after it) is fine too.
    await expect(
      verifyAuditChain(trail(chained, fifth, checkpointOf(second)), key, options),
    ).resolves.toMatchObject({
      intact: true,
    });
  });

  it('reports an edited field, a removed event and removed newest events at the first broken link', async () => {
    const edited = chained.map((e) => (e.sequence === 3 ? { ...e, actorName: 'Mallory' } : e));
    await expect(verifyAuditChain(trail(edited), key, { ...options, pageSize: 2 })).resolves.toMatchObject({
      intact: false,
      verifiedEvents: 2,
      firstBreak: { kind: 'edited', sequence: 3 },
    });
    const removed = chained.filter((e) => e.sequence !== 2);
    await expect(verifyAuditChain(trail(removed, fifth), key, options)).resolves.toMatchObject({
      firstBreak: { kind: 'missing', sequence: 2 },
    });
    const newestRemoved = chained.slice(0, 3);
    await expect(verifyAuditChain(trail(newestRemoved, fifth), key, options)).resolves.toMatchObject({
      firstBreak: { kind: 'head', sequence: 3 },
    });
  });

  it('follows events appended while it reads, yet reports rows past a head that did not move', async () => {
    // The head is #3 when first read and #5 when read again: two events came while it read.
    const heads = [third, fifth];
    const appending: AuditChainSource = {
      ...trail(chained, fifth, checkpointOf(second)),
      chainHead: () => {
        const head = heads.shift() ?? fifth;
        return Promise.resolve({ sequence: head.sequence, link: head.chainHash, beganAt: at });
      },
    };
    await expect(verifyAuditChain(appending, key, { ...options, pageSize: 2 })).resolves.toMatchObject({
      intact: true,
      verifiedEvents: 5,
      headSequence: 5,
    });
    // The head stays at #3 while #4 and #5 are stored: added behind the audit service's back.
    await expect(
      verifyAuditChain(trail(chained, third, checkpointOf(second)), key, options),
    ).resolves.toMatchObject({ firstBreak: { kind: 'head', sequence: 5 } });
  });

  it('catches the newest events removed with the head rolled back, by the signed checkpoint', async () => {
    const shorter = chained.slice(0, 3);
    await expect(
      verifyAuditChain(trail(shorter, shorter.at(-1), checkpointOf(fifth)), key, options),
    ).resolves.toMatchObject({ firstBreak: { kind: 'checkpoint', sequence: 3 } });
  });

  it('refuses a checkpoint that does not verify, is missing, or is older than twice the interval', async () => {
    const forged = { ...checkpointOf(fifth), sequence: 4 };
    await expect(verifyAuditChain(trail(chained, fifth, forged), key, options)).resolves.toMatchObject({
      firstBreak: { kind: 'checkpoint', message: expect.stringContaining('does not verify') as string },
    });
    await expect(verifyAuditChain(trail(chained, fifth, null), key, options)).resolves.toMatchObject({
      firstBreak: { kind: 'checkpoint', message: expect.stringContaining('no signed checkpoint') as string },
    });
    const old = checkpointOf(fifth, new Date(at.getTime() - 2 * INTERVAL_MS));
    await expect(verifyAuditChain(trail(chained, fifth, old), key, options)).resolves.toMatchObject({
      firstBreak: { kind: 'checkpoint', message: expect.stringContaining('11 min old') as string },
    });
  });

  it('reports the wrong key as an edit of the first event', async () => {
    await expect(
      verifyAuditChain(trail(chained), testAuditTrailKeys().chainKey, options),
    ).resolves.toMatchObject({
      firstBreak: { kind: 'edited', sequence: 1 },
    });
  });

  it('reports events stored without a link after the chain began', async () => {
    const source = { ...trail(chained), unchainedSince: () => Promise.resolve(2) };
    await expect(verifyAuditChain(source, key, options)).resolves.toMatchObject({
      firstBreak: { kind: 'unchained', count: 2 },
    });
  });

  describe('link versions', () => {
    const withProvenance = (n: number): AuditEventRow => ({
      ...event(n),
      signInMethod: 'api-key',
      apiKeyId: '4b1f0c9e-0000-4000-8000-000000000001',
      socketPeer: '127.0.0.1',
      nodeName: 'node-2',
      requestId: `req-${n}`,
      outcome: 'success',
      projectId: 'Projects-1',
      environmentId: 'Environments-2',
    });

    /** Events linked as the audit service did before migration 1764200000220, written out here. */
    function linkedBeforeProvenance(count: number): ChainedAuditEvent[] {
      let link = GENESIS_LINK;
      return Array.from({ length: count }, (_, index) => {
        const e = event(index + 1);
        const values = [
          e.id,
          e.occurredAt.toISOString(),
          e.actorId,
          e.actorName,
          e.action,
          e.resourceType,
          e.resourceId,
          e.details,
          e.clientIp,
          e.source,
          e.forwardedFor,
          '00000000000000000000ffffc0000207',
          at.toISOString(),
          index + 1,
        ];
        link = createHmac('sha256', key)
          .update(`${link}\n${JSON.stringify(values)}`)
          .digest('hex');
        // As the repository reads them back after the migration: version 1, provenance ''.
        return {
          ...e,
          clientIpKey: values[11] as string,
          sequence: index + 1,
          recordedAt: at,
          chainHash: link,
          linkVersion: 1,
        };
      });
    }

    const old = linkedBeforeProvenance(3);
    const lastOld = old[2];
    const fresh = chainAuditEvents(
      key,
      { sequence: 3, link: lastOld.chainHash },
      [4, 5].map(withProvenance),
      at,
    );
    const mixed = [...old, ...fresh];

    it('links new events at version 2, covering the provenance fields and the version', () => {
      expect(CURRENT_LINK_VERSION).toBe(2);
      expect(fresh.map((e) => e.linkVersion)).toEqual([2, 2]);
      const values = chainedFieldValues(fresh[0]);
      expect(values).toHaveLength(INSERT_COLUMNS.length - 1);
      expect(values[INSERT_COLUMNS.indexOf('socket_peer')]).toBe('127.0.0.1');
      expect(values[INSERT_COLUMNS.indexOf('link_version')]).toBe(2);
    });

    it('verifies events linked before the migration (version 1) and after it (version 2) as one chain', async () => {
      await expect(verifyAuditChain(trail(mixed), key, { ...options, pageSize: 2 })).resolves.toMatchObject({
        intact: true,
        verifiedEvents: 5,
      });
    });

    it.each([
      ['signInMethod', 'password'],
      ['apiKeyId', ''],
      ['socketPeer', '10.9.9.9'],
      ['nodeName', 'node-1'],
      ['requestId', 'req-other'],
      ['outcome', 'failure'],
      ['projectId', 'Projects-9'],
      ['environmentId', ''],
    ] as const)('catches %s edited on a version-2 event', async (field, value) => {
      const edited = mixed.map((e) => (e.sequence === 5 ? { ...e, [field]: value } : e));
      await expect(verifyAuditChain(trail(edited), key, options)).resolves.toMatchObject({
        intact: false,
        firstBreak: { kind: 'edited', sequence: 5 },
      });
    });

    it('catches a version-2 event set back to version 1, or to a version that does not exist', async () => {
      for (const linkVersion of [1, 3, 7]) {
        const edited = mixed.map((e) => (e.sequence === 4 ? { ...e, linkVersion } : e));
        await expect(verifyAuditChain(trail(edited), key, options)).resolves.toMatchObject({
          firstBreak: { kind: 'edited', sequence: 4 },
        });
      }
    });

    it('catches an old event edited, and given provenance with a version 2 it never had', async () => {
      const renamed = mixed.map((e) => (e.sequence === 2 ? { ...e, actorName: 'Mallory' } : e));
      await expect(verifyAuditChain(trail(renamed), key, options)).resolves.toMatchObject({
        firstBreak: { kind: 'edited', sequence: 2 },
      });
      const upgraded = mixed.map((e) =>
        e.sequence === 2 ? { ...e, linkVersion: 2, outcome: 'success' } : e,
      );
      await expect(verifyAuditChain(trail(upgraded), key, options)).resolves.toMatchObject({
        firstBreak: { kind: 'edited', sequence: 2 },
      });
    });
  });
});
