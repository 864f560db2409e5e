import { auditChainLink, ChainedAuditEvent, GENESIS_LINK } from './audit-chain';

/** What verification reads: the repository's chain queries. */
export interface AuditChainSource {
  chainHead(): Promise<{ sequence: number; link: string; beganAt: Date }>;
  chainPage(afterSequence: number, take: number): Promise<ChainedAuditEvent[]>;
  unchainedSince(since: Date): Promise<number>;
}

/** The first place the stored trail is not what the audit service wrote. */
export type AuditChainBreak =
  /** The event's stored link is not the link of its content: it, or its number, was edited. */
  | { kind: 'edited'; sequence: number; eventId: string; message: string }
  /** A number is missing: the event was removed. */
  | { kind: 'missing'; sequence: number; message: string }
  /** The newest events disagree with the chain head (removed from the end, or added past it). */
  | { kind: 'head'; sequence: number; message: string }
  /** Events with no link stored after the chain began: inserted behind the audit service's back. */
  | { kind: 'unchained'; count: number; message: string };

export interface AuditChainVerification {
  intact: boolean;
  /** Chained events read before the first break (all of them when intact). */
  verifiedEvents: number;
  /** The chain head's number: how many events the audit service chained. */
  headSequence: number;
  /** When the chain began; events stored before it carry no link. */
  beganAt: Date;
  firstBreak?: AuditChainBreak;
}

const PAGE = 1000;

/**
 * Walks the chain from 1 in pages, recomputing each link with the key, and reports the first break.
 * Catches an edited, removed or inserted event anywhere, and the newest events removed as long as
 * the chain head was not rolled back with them (the signed checkpoints cover that case).
 */
export async function verifyAuditChain(
  source: AuditChainSource,
  key: Buffer,
  pageSize = PAGE,
): Promise<AuditChainVerification> {
  const head = await source.chainHead();
  const result = (verifiedEvents: number, firstBreak?: AuditChainBreak): AuditChainVerification => ({
    intact: firstBreak === undefined,
    verifiedEvents,
    headSequence: head.sequence,
    beganAt: head.beganAt,
    ...(firstBreak ? { firstBreak } : {}),
  });
  let link = GENESIS_LINK;
  let expected = 1;
  for (;;) {
    const page = await source.chainPage(expected - 1, pageSize);
    for (const event of page) {
      if (event.sequence !== expected) {
        return result(expected - 1, {
          kind: 'missing',
          sequence: expected,
          message: `event #${expected} is missing (the chain goes from #${expected - 1} to #${event.sequence}): removed from the database`,
        });
      }
      if (auditChainLink(key, link, event) !== event.chainHash) {
        return result(expected - 1, {
          kind: 'edited',
          sequence: expected,
          eventId: event.id,
          message: `event #${expected} (${event.id}) does not match its link: changed in the database after it was stored`,
        });
      }
      link = event.chainHash;
      expected++;
    }
    if (page.length < pageSize) break;
  }
  const last = expected - 1;
  if (last !== head.sequence || link !== head.link) {
    const message =
      last < head.sequence
        ? `the chain ends at #${last} but the audit service chained ${head.sequence}: the newest events were removed`
        : `the chain ends at #${last}, beyond the head's #${head.sequence}: events were added, or the head changed`;
    return result(last, { kind: 'head', sequence: last, message });
  }
  const unchained = await source.unchainedSince(head.beganAt);
  if (unchained > 0) {
    return result(last, {
      kind: 'unchained',
      count: unchained,
      message: `${unchained} event(s) without a link were stored after the chain began: inserted outside the audit service`,
    });
  }
  return result(last);
}
