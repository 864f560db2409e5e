import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'deployments' })
export class DeploymentEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'project_id', type: 'varchar', length: 36 })
  projectId!: string;

  @Column({ name: 'release_id', type: 'varchar', length: 36 })
  releaseId!: string;

  @Column({ name: 'environment_id', type: 'varchar', length: 36 })
  environmentId!: string;

  @Column({ name: 'task_id', type: 'varchar', length: 36 })
  taskId!: string;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'created_by', type: 'varchar', length: 200 })
  createdBy!: string;
}
