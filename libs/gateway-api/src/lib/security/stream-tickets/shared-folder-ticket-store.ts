import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import {
  STREAM_TICKET_PATTERN,
  STREAM_TICKET_PURPOSES,
  STREAM_TICKET_TTL_MS,
  StreamTicketRecord,
} from './stream-ticket';

/** The folder under shared storage that holds outstanding tickets (DESIGN.md §Shared storage layout). */
export const STREAM_TICKETS_FOLDER = 'StreamTickets';
/** Tickets minted and never used are swept this long after they expired, at most this often. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Keeps outstanding stream tickets in shared storage, which every gateway of a cluster mounts, so
 * a ticket minted by a POST on one node opens the stream on whichever node HAProxy sends the GET
 * to. No new backend call, no key to distribute:
 * - a record's file is named by the SHA-256 of the ticket, never the ticket, so reading the folder
 *   gives nothing one can present;
 * - use-once is an atomic rename: of two nodes redeeming the same ticket, exactly one rename
 *   succeeds (the other finds the file gone), on a local disk and on NFS alike;
 * - files are 0600 in a 0700 folder: only the services' OS user reads them.
 */
export class SharedFolderTicketStore {
  /** Injectable clock for tests. */
  now: () => number = Date.now;
  private lastSweep = 0;

  constructor(readonly folder: string) {}

  /** Stores the record and returns the ticket that redeems it (32 random bytes, base64url). */
  async mint(record: Omit<StreamTicketRecord, 'expiresAt'>): Promise<{ ticket: string; expiresAt: number }> {
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + STREAM_TICKET_TTL_MS;
    const stored: StreamTicketRecord = { ...record, expiresAt };
    // 'wx': a (practically impossible) collision fails instead of replacing another user's ticket.
    await writeFile(this.pathOf(ticket), JSON.stringify(stored), { flag: 'wx', mode: 0o600 });
    void this.sweepNowAndThen();
    return { ticket, expiresAt };
  }

  /**
   * The ticket's record if the ticket exists, was not used before and has not expired; undefined
   * otherwise. Using it, expired or not, removes it: a ticket is presented at most once.
   */
  async redeem(ticket: string): Promise<StreamTicketRecord | undefined> {
    if (!STREAM_TICKET_PATTERN.test(ticket)) return undefined;
    const path = this.pathOf(ticket);
    const claimed = `${path}.${randomBytes(6).toString('hex')}.redeemed`;
    try {
      await rename(path, claimed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const record = parseRecord(await readFile(claimed, 'utf8'));
      return record && record.expiresAt > this.now() ? record : undefined;
    } finally {
      await rm(claimed, { force: true });
    }
  }

  private pathOf(ticket: string): string {
    return join(this.folder, `${createHash('sha256').update(ticket).digest('hex')}.json`);
  }

  /** Removes records of tickets never used (and any a crashed redeem left), long after they expired. */
  private async sweepNowAndThen(): Promise<void> {
    const now = this.now();
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    try {
      for (const name of await readdir(this.folder)) {
        const path = join(this.folder, name);
        const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: now }));
        if (mtimeMs < now - 2 * STREAM_TICKET_TTL_MS) await rm(path, { force: true });
      }
    } catch {
      // Housekeeping only: the next mint sweeps again.
    }
  }
}

function parseRecord(text: string): StreamTicketRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<StreamTicketRecord>;
    const valid =
      STREAM_TICKET_PURPOSES.some((purpose) => purpose === value.purpose) &&
      typeof value.resourceId === 'string' &&
      typeof value.userId === 'string' &&
      typeof value.username === 'string' &&
      typeof value.displayName === 'string' &&
      Array.isArray(value.permissions) &&
      value.permissions.every((permission) => typeof permission === 'string') &&
      (value.grants === undefined || isGrantList(value.grants)) &&
      typeof value.expiresAt === 'number';
    return valid ? (value as StreamTicketRecord) : undefined;
  } catch {
    return undefined;
  }
}

function isTextList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string');
}

/** A record whose grants do not read as grants is no ticket (never "unrestricted"). */
function isGrantList(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.every((entry: unknown) => {
      if (typeof entry !== 'object' || entry === null) return false;
      const { permissions, projectIds, environmentIds } = entry as Record<string, unknown>;
      return (
        isTextList(permissions) &&
        (projectIds === undefined || isTextList(projectIds)) &&
        (environmentIds === undefined || isTextList(environmentIds))
      );
    })
  );
}
