import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The current deployment process of a project; releases snapshot it. */
@Entity({ name: 'deployment_processes' })
export class DeploymentProcessEntity {
  @PrimaryColumn({ name: 'project_id', type: 'varchar', length: 36 })
  projectId!: string;

  @Column({ type: 'int' })
  version!: number;

  /** JSON array of DeploymentStep. */
  @Column({ type: 'text' })
  steps!: string;

  @Column({ type: Boolean })
  retryable!: boolean;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}
