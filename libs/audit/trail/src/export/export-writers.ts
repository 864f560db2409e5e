import type { PagedAuditEvent } from '../audit-event.repository';

/** The export formats: CSV for spreadsheets, JSONL for tools and the signed, verifiable copy. */
export type ExportFormat = 'csv' | 'jsonl';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'jsonl'];

/** The columns of a CSV export, in order (JSONL lines carry the same fields, by these names). */
export const EXPORT_COLUMNS = [
  'sequenceNumber',
  'chainHash',
  'id',
  'occurredAt',
  'recordedAt',
  'actorId',
  'actorName',
  'action',
  'resourceType',
  'resourceId',
  'clientIp',
  'forwardedFor',
  'source',
  'details',
] as const;

/** An event as the export writes it: times as UTC ISO-8601, the chain number null before the chain. */
export type ExportedEvent = Record<(typeof EXPORT_COLUMNS)[number], string | number | null> &
  Record<string, unknown>;

/**
 * The event's exported fields. Every field a page gives is kept (fields added to the trail later
 * appear in JSONL without a change here); Dates become UTC ISO-8601 (toISOString is always UTC).
 */
export function exportedEvent(event: PagedAuditEvent): ExportedEvent {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    fields[key] = value instanceof Date ? value.toISOString() : value;
  }
  return {
    ...fields,
    sequenceNumber: event.sequenceNumber,
    chainHash: event.chainHash,
    occurredAt: event.occurredAt.toISOString(),
    recordedAt: event.recordedAt.toISOString(),
  } as ExportedEvent;
}

/** One JSONL line: the event as one JSON object (with `sequenceNumber`), ending in "\n". */
export function jsonlLine(event: PagedAuditEvent): string {
  return `${JSON.stringify(exportedEvent(event))}\n`;
}

/**
 * Cells a spreadsheet would read as a formula (or a DDE command) when they begin with one of these:
 * `=`, `+`, `-`, `@`, tab, carriage return (OWASP "CSV injection"). Such a cell is written with a
 * leading `'`, which spreadsheets show as text; the export is for people opening it in Excel or
 * LibreOffice, and a trail records whatever actors typed (resource names, details).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: RFC 4180 quoting (quotes doubled; quoted when it holds `"`, `,`, CR or LF). */
export function csvCell(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 lines end in CRLF. */
const CRLF = '\r\n';

export function csvHeader(): string {
  return EXPORT_COLUMNS.map(csvCell).join(',') + CRLF;
}

export function csvRow(event: PagedAuditEvent): string {
  const exported = exportedEvent(event);
  return EXPORT_COLUMNS.map((column) => csvCell(exported[column])).join(',') + CRLF;
}
