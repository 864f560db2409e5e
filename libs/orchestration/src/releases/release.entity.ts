import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A release freezes what will be deployed: the process steps and variables as they were when it
 * was created, and the package versions. Later edits to the project do not change it.
 */
@Entity({ name: 'releases' })
export class ReleaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'project_id', type: 'varchar', length: 36 })
  projectId!: string;

  @Column({ type: 'varchar', length: 100 })
  version!: string;

  @Column({ type: 'text' })
  notes!: string;

  /** JSON array of ReleasePackage, one per deploy-package step. */
  @Column({ type: 'text' })
  packages!: string;

  /** JSON snapshot of the process steps. */
  @Column({ type: 'text' })
  steps!: string;

  /** JSON snapshot of the variables. */
  @Column({ type: 'text' })
  variables!: string;

  @Column({ name: 'process_version', type: 'int' })
  processVersion!: number;

  @Column({ type: Boolean })
  retryable!: boolean;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;
}
