import type { SignedAuditManifest } from '../chain/audit-manifest';

/** One line of an archive (`events-YYYY-MM-DD.jsonl`): every stored column of one event. */
export interface ArchivedEventLine {
  id: string;
  occurredAt: string;
  recordedAt: string;
  actorId: string;
  actorName: string;
  action: string;
  resourceType: string;
  resourceId: string;
  /** The stored JSON text, as stored (the chain's link covers these exact characters). */
  details: string;
  clientIp: string;
  source: string;
  forwardedFor: string;
  /** null for events stored before the column existed. */
  clientIpKey: string | null;
  /** null for events stored before the chain began. */
  sequenceNumber: number | null;
  chainHash: string | null;
}

/** What an archive's signed manifest states beyond AuditFileManifest's common fields. */
export interface ArchiveManifestExtras {
  /** The UTC day (YYYY-MM-DD) whose events, by recorded_at, the archive closes. */
  day: string;
  /** The chain's link before the archive's first event (64 zeros at the chain's start). */
  previousChainHash: string;
  /** The chain's link at the archive's last chained event (previousChainHash when it holds none). */
  lastChainHash: string;
  /** The chain's number at the archive's end: lastSequence, or the previous archive's when none. */
  throughSequence: number;
  /** Every event recorded before this instant and not in an earlier archive is in this one. */
  recordedBefore: string;
}

export type SignedArchiveManifest = SignedAuditManifest & ArchiveManifestExtras & { kind: 'archive' };

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** Whether `value` is a real calendar day written YYYY-MM-DD. */
export function isArchiveDay(value: string): boolean {
  if (!DAY.test(value)) return false;
  const start = new Date(`${value}T00:00:00.000Z`);
  return !Number.isNaN(start.getTime()) && start.toISOString().slice(0, 10) === value;
}

/** The UTC day of an instant. */
export function utcDayOf(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** The first instant after the day (its end, exclusive). */
export function endOfDay(day: string): Date {
  return new Date(new Date(`${day}T00:00:00.000Z`).getTime() + DAY_MS);
}

/** The archive's file names (never built from anything but a validated day). */
export function archiveFileNames(day: string): { events: string; manifest: string } {
  if (!isArchiveDay(day)) throw new Error(`not a day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  return { events: `events-${day}.jsonl`, manifest: `events-${day}.manifest.json` };
}

/**
 * Whether the whole day lies before the retention cut-off (database time minus the retention): a
 * day is archived only once all of it is older than the retention period.
 */
export function dayIsPastRetention(day: string, now: Date, retentionDays: number): boolean {
  return endOfDay(day).getTime() <= now.getTime() - retentionDays * DAY_MS;
}

/**
 * One JSON line, newline-terminated. Key order fixed (the known columns, then any other field the
 * event carries, by name), so the same event always gives the same bytes.
 */
export function archiveLine(event: ArchivedEventLine): string {
  const known: ArchivedEventLine = {
    id: event.id,
    occurredAt: event.occurredAt,
    recordedAt: event.recordedAt,
    actorId: event.actorId,
    actorName: event.actorName,
    action: event.action,
    resourceType: event.resourceType,
    resourceId: event.resourceId,
    details: event.details,
    clientIp: event.clientIp,
    source: event.source,
    forwardedFor: event.forwardedFor,
    clientIpKey: event.clientIpKey,
    sequenceNumber: event.sequenceNumber,
    chainHash: event.chainHash,
  };
  const others = Object.keys(event)
    .filter((key) => !(key in known))
    .sort()
    .map((key) => [key, (event as unknown as Record<string, unknown>)[key]] as const);
  return `${JSON.stringify({ ...known, ...Object.fromEntries(others) })}\n`;
}
