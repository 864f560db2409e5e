import { randomUUID } from 'node:crypto';

import type { DataSource, EntityManager } from 'typeorm';

import { dialectOf } from '@flotilla/platform/persistence';

import { archiveSql, ArchiveSql } from './archive-sql';

/**
 * The rows an UPDATE … RETURNING / OUTPUT gave back. TypeORM's raw query answers PostgreSQL's
 * UPDATE with [rows, affected] and SQL Server's with the rows alone.
 */
function returnedRows<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  )
    return result[0] as T[];
  return result as T[];
}

/** The lease was lost (expired and taken, or never held): whoever holds it now does the work. */
export class ArchiveLeaseLost extends Error {
  constructor(holder: string) {
    super(`the audit archiving lease is no longer held by ${holder}: another audit service archives now`);
    this.name = 'ArchiveLeaseLost';
  }
}

/** A held lease: its holder name and fencing token. */
export interface HeldArchiveLease {
  holder: string;
  token: number;
}

/**
 * The cluster's one archiving lease (DESIGN.md: a lease with expiry on database time and a fencing
 * token checked on every write). `audit_archive_lease` has one row: taking it (only once expired)
 * adds one to its token; every write of the archiver runs in a transaction that first renews the
 * lease for its holder and token, locking the row to the transaction's end. So a holder that was
 * paused past its expiry and lost the lease cannot write anything after a newer holder took it:
 * its renewal finds a different holder or token and the transaction is abandoned.
 */
export class ArchiveLease {
  private readonly sql: ArchiveSql;

  constructor(
    private readonly dataSource: DataSource,
    private readonly ttlMs: number,
  ) {
    this.sql = archiveSql(dialectOf(dataSource));
  }

  /** Takes the lease for `nodeName` if it has expired; undefined when another holds it. */
  async tryAcquire(nodeName: string): Promise<HeldArchiveLease | undefined> {
    const holder = `${nodeName}/${randomUUID()}`.slice(0, 200);
    const [row] = returnedRows<{ token: number | string }>(
      await this.dataSource.query(this.sql.acquireLease, [holder, this.ttlMs]),
    );
    return row ? { holder, token: Number(row.token) } : undefined;
  }

  /**
   * Runs `work` in a transaction that first renews the lease (for its holder and token, while
   * unexpired) and holds its row lock to the end. Throws ArchiveLeaseLost, having done nothing,
   * when the lease is no longer this holder's.
   */
  async fenced<T>(lease: HeldArchiveLease, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      const renewed = returnedRows<unknown>(
        await manager.query(this.sql.fenceLease, [lease.holder, lease.token, this.ttlMs]),
      );
      if (renewed.length === 0) throw new ArchiveLeaseLost(lease.holder);
      return work(manager);
    });
  }

  /** Renews the lease (fenced, doing nothing else); throws ArchiveLeaseLost when it is no longer held. */
  renew(lease: HeldArchiveLease): Promise<void> {
    return this.fenced(lease, () => Promise.resolve());
  }

  /** Lets the lease go at once (the next node need not wait for its expiry). */
  async release(lease: HeldArchiveLease): Promise<void> {
    await this.dataSource.query(this.sql.releaseLease, [lease.holder, lease.token]);
  }

  /** Who holds the lease now, if anyone (for tests and diagnostics). */
  async currentHolder(): Promise<{ holder: string; token: number } | undefined> {
    const [row] = await this.dataSource.query<{ holder: string; token: number | string; held: number }[]>(
      this.sql.leaseHolder,
    );
    return row && Number(row.held) === 1 ? { holder: row.holder, token: Number(row.token) } : undefined;
  }
}
