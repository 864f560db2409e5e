import { RpcErrors } from '@flotilla/platform/grpc';

import { parseIsoTimestamp } from '../event/iso-timestamp';

/**
 * Where a page ended: the last event's time and id, the page order's two keys. Exact, because the
 * trail stores occurred_at at millisecond precision (its insert writes ISO text with milliseconds),
 * the precision of a JavaScript Date.
 */
export interface AuditCursor {
  occurredAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque to clients (base64url of JSON), so the order's keys can change without an API change. */
export function encodeAuditCursor(cursor: AuditCursor): string {
  return Buffer.from(JSON.stringify([cursor.occurredAt.toISOString(), cursor.id])).toString('base64url');
}

/** The cursor a page answered with; INVALID_ARGUMENT for anything else. */
export function decodeAuditCursor(text: string): AuditCursor {
  const refuse = () =>
    RpcErrors.invalidArgument('after: is not a cursor this API gave (nextCursor of a page)');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (!Array.isArray(value) || value.length !== 2) throw refuse();
  const [time, id] = value as unknown[];
  const occurredAt = typeof time === 'string' ? parseIsoTimestamp(time) : undefined;
  if (!occurredAt || typeof id !== 'string' || !UUID.test(id)) throw refuse();
  return { occurredAt, id };
}
