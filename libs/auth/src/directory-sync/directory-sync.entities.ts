import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A cluster-wide job's lease (see CreateDirectorySync1764200000140). */
@Entity({ name: 'directory_sync_lease' })
export class DirectorySyncLeaseEntity {
  @PrimaryColumn({ name: 'lease_name', type: 'varchar', length: 100 })
  leaseName!: string;

  @Column({ type: 'varchar', length: 200 })
  holder!: string;

  @Column({ name: 'expires_at', type: Date })
  expiresAt!: Date;

  /** The last run's outcome as JSON (DirectorySyncStatus); null before the first. */
  @Column({ type: 'text', nullable: true })
  status!: string | null;
}

/** A user the directory sync deactivated (and so may re-activate). */
@Entity({ name: 'directory_sync_deactivations' })
export class DirectorySyncDeactivationEntity {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ type: 'varchar', length: 40 })
  reason!: string;

  @Column({ name: 'deactivated_at', type: Date })
  deactivatedAt!: Date;
}
