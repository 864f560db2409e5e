import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Held by the one executing task of a concurrency key. The primary key makes a second holder
 * impossible, whatever the timing of two claimers.
 */
@Entity({ name: 'task_concurrency_locks' })
export class TaskConcurrencyLockEntity {
  @PrimaryColumn({ name: 'concurrency_key', type: 'varchar', length: 100 })
  concurrencyKey!: string;

  @Column({ name: 'task_id', type: 'varchar', length: 36 })
  taskId!: string;

  @Column({ type: 'int' })
  claim!: number;

  @Column({ name: 'acquired_at', type: Date })
  acquiredAt!: Date;
}
