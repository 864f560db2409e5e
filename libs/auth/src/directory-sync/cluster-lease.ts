import { DataSource } from 'typeorm';

import { isUniqueViolation } from '@flotilla/platform/persistence';

import { sqlFor } from '../persistence/db-clock';

import { DirectorySyncLeaseEntity } from './directory-sync.entities';

/**
 * A lease in the database: whoever holds the row `leaseName` until its expiry (database time, so
 * node clocks do not matter) runs the job; the others skip it. Taken with one conditional UPDATE
 * (expired), else, when no row exists yet, one INSERT; a unique violation on that INSERT means
 * another node created it first. Both statements are atomic on PostgreSQL and SQL Server alike.
 * An unexpired lease is never renewed, not even by its holder: the expiry is the job's interval,
 * so the job runs at most once per interval in the whole cluster.
 */
export class ClusterLease {
  constructor(
    private readonly dataSource: DataSource,
    private readonly leaseName: string,
  ) {}

  /** Whether `holder` took the lease for the next `ttlMs` (false: someone holds it unexpired). */
  async tryAcquire(holder: string, ttlMs: number): Promise<boolean> {
    const sql = sqlFor(this.dataSource.manager);
    const updated = await this.dataSource
      .createQueryBuilder()
      .update(DirectorySyncLeaseEntity)
      .set({ holder, expiresAt: () => sql.nowPlusMs(':ttlMs') })
      .where('lease_name = :leaseName', { leaseName: this.leaseName })
      .andWhere(`expires_at <= ${sql.now}`)
      .setParameter('ttlMs', ttlMs)
      .execute();
    if ((updated.affected ?? 0) > 0) return true;
    // Held and unexpired: the usual answer on every node but one, without a failing INSERT (logged).
    if (await this.dataSource.getRepository(DirectorySyncLeaseEntity).existsBy({ leaseName: this.leaseName }))
      return false;
    try {
      await this.dataSource
        .createQueryBuilder()
        .insert()
        .into(DirectorySyncLeaseEntity)
        .values({ leaseName: this.leaseName, holder, expiresAt: () => sql.nowPlusMs(':ttlMs') })
        .setParameter('ttlMs', ttlMs)
        .execute();
      return true;
    } catch (error) {
      // The row exists and is held by someone else (or was inserted by them just now).
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Stores the job's last outcome on the lease row, for every node to read. */
  async recordStatus(status: string): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(DirectorySyncLeaseEntity)
      .set({ status })
      .where('lease_name = :leaseName', { leaseName: this.leaseName })
      .execute();
  }

  /** The job's last recorded outcome, whichever node ran it; undefined before the first run. */
  async lastStatus(): Promise<string | undefined> {
    const row = await this.dataSource
      .getRepository(DirectorySyncLeaseEntity)
      .findOneBy({ leaseName: this.leaseName });
    return row?.status ?? undefined;
  }
}
