import { createHash } from 'node:crypto';

import { Inject, Injectable, Logger } from '@nestjs/common';

import type { auditV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';

import { AuditEventRepository, type PagedAuditEvent } from '../audit-event.repository';
import { type AuditFileManifest, signAuditManifest } from '../chain/audit-manifest';
import { AUDIT_TRAIL_KEYS, type AuditTrailKeys } from '../chain/audit-trail-keys';
import { emptyQueryRequest, parseAuditQuery, type AuditQuery } from '../query/audit-query';
import { decodeAuditCursor } from '../query/audit-cursor';
import { csvHeader, csvRow, EXPORT_FORMATS, type ExportFormat, jsonlLine } from './export-writers';
import { filterDetails, TrailReadRecorder } from './trail-read-recorder';

/**
 * Events read per page. Bounded memory (a page and its text), few enough round trips: at 500 the
 * per-query cost is already small next to formatting the rows.
 */
export const EXPORT_PAGE_EVENTS = 500;
/** Largest data of one chunk: far below gRPC's 4 MB message limit whatever a page's details hold. */
export const EXPORT_CHUNK_BYTES = 64 * 1024;

/** A checked export: its filter, format and file name; nothing read yet. */
export interface PreparedExport {
  caller: CallerIdentity;
  query: AuditQuery;
  format: ExportFormat;
  fileName: string;
  /** The filter as given (set fields only): stated in the audit event and the manifest. */
  filter: Record<string, string>;
}

/** `events-20261202T034512Z.csv`: UTC, no characters a file system refuses (no colons). */
export function exportFileName(at: Date, format: ExportFormat): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `events-${stamp}.${format}`;
}

/** Cuts text into pieces of at most EXPORT_CHUNK_BYTES bytes (rows may straddle pieces). */
function* pieces(bytes: Buffer): Generator<Buffer> {
  for (let start = 0; start < bytes.length; start += EXPORT_CHUNK_BYTES) {
    yield bytes.subarray(start, start + EXPORT_CHUNK_BYTES);
  }
}

/**
 * Writes a filter's events as a file, page by page (keyset pages of the same filter code as Query,
 * newest first), as a generator: its consumer pulls the next bytes only when it has written the
 * previous ones, so no page is read before the client took the one before. No row cap.
 *
 * A JSONL file ends with `{"manifest":…}`: a manifest signed with the cluster's checkpoint key
 * stating the file name, event count, smallest and largest chain number and the SHA-256 of every
 * byte before that line. A file cut short has no manifest, a changed one fails its SHA-256.
 */
@Injectable()
export class AuditExporter {
  private readonly logger = new Logger('AuditExport');

  constructor(
    @Inject(AuditEventRepository) private readonly store: Pick<AuditEventRepository, 'findPage'>,
    @Inject(AUDIT_TRAIL_KEYS) private readonly keys: AuditTrailKeys,
    @Inject(TrailReadRecorder) private readonly reads: TrailReadRecorder,
  ) {}

  /** Checks the request (INVALID_ARGUMENT before any byte) and names the file from the database clock. */
  async prepare(caller: CallerIdentity, request: auditV1.ExportEventsRequest): Promise<PreparedExport> {
    const format = EXPORT_FORMATS.find((known) => known === request.format.trim().toLowerCase());
    if (!format) throw RpcErrors.invalidArgument('format: must be csv or jsonl');
    const given = request.filter ?? ({} as auditV1.QueryEventsRequest);
    const filter = filterDetails(given);
    // Query's own checks, on the filter alone: an export starts at the newest event and has no page size.
    const query = parseAuditQuery({ ...emptyQueryRequest(), ...given, take: 0, after: '' });
    return {
      caller,
      query,
      format,
      filter,
      fileName: exportFileName(await this.reads.databaseNow(), format),
    };
  }

  /**
   * The file's bytes. `stopped()` is asked before each page: a cancelled call reads no more.
   * Records `audit.exported` at the end (count, and whether the file was completed).
   */
  async *write(prepared: PreparedExport, stopped: () => boolean): AsyncGenerator<Buffer> {
    const { format, query } = prepared;
    const hash = createHash('sha256');
    let count = 0;
    let firstSequence: number | null = null;
    let lastSequence: number | null = null;
    let completed = false;
    const emit = (text: string): Buffer => {
      const bytes = Buffer.from(text, 'utf8');
      hash.update(bytes);
      return bytes;
    };
    try {
      if (format === 'csv') yield emit(csvHeader());
      let after: string | undefined;
      do {
        if (stopped()) return;
        const page = await this.store.findPage({
          ...query,
          take: EXPORT_PAGE_EVENTS,
          ...(after ? { after: decodeAuditCursor(after) } : {}),
        });
        after = page.nextCursor;
        let text = '';
        for (const event of page.rows) {
          text += format === 'csv' ? csvRow(event) : jsonlLine(event);
          [firstSequence, lastSequence] = sequenceRange(event, firstSequence, lastSequence);
        }
        count += page.rows.length;
        yield* pieces(emit(text));
      } while (after);
      if (format === 'jsonl') {
        const manifest = await this.manifest(
          prepared,
          { count, firstSequence, lastSequence },
          hash.digest('hex'),
        );
        yield Buffer.from(`${JSON.stringify({ manifest })}\n`, 'utf8');
      }
      completed = true;
    } finally {
      await this.recordExport(prepared, count, completed);
    }
  }

  private async manifest(
    prepared: PreparedExport,
    range: { count: number; firstSequence: number | null; lastSequence: number | null },
    sha256: string,
  ): Promise<ReturnType<typeof signAuditManifest>> {
    const manifest: AuditFileManifest = {
      kind: 'export',
      file: prepared.fileName,
      ...range,
      sha256,
      previousManifestSha256: '',
      createdAt: (await this.reads.databaseNow()).toISOString(),
      format: prepared.format,
      filter: prepared.filter,
    };
    return signAuditManifest(this.keys.checkpoint.privateKey, manifest);
  }

  /** After the last byte (or the call's end): never fails the export, which has been sent already. */
  private async recordExport(prepared: PreparedExport, count: number, completed: boolean): Promise<void> {
    try {
      await this.reads.record(prepared.caller, 'audit.exported', {
        format: prepared.format,
        filter: prepared.filter,
        file: prepared.fileName,
        count,
        completed,
      });
    } catch (error) {
      this.logger.error(
        `Could not record the export ${prepared.fileName} of ${prepared.caller.username} in the trail: ${String(error)}`,
      );
    }
  }
}

function sequenceRange(
  event: PagedAuditEvent,
  first: number | null,
  last: number | null,
): [number | null, number | null] {
  const sequence = event.sequenceNumber;
  if (sequence === null) return [first, last];
  return [
    first === null ? sequence : Math.min(first, sequence),
    last === null ? sequence : Math.max(last, sequence),
  ];
}
