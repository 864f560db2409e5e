import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'cluster_nodes' })
export class ClusterNodeEntity {
  @PrimaryColumn({ type: 'varchar', length: 200 })
  name!: string;

  /** JSON array of the service names that heartbeat for this node. */
  @Column({ type: 'text' })
  services!: string;

  @Column({ type: 'varchar', length: 50 })
  version!: string;

  @Column({ name: 'started_at', type: Date })
  startedAt!: Date;

  @Column({ name: 'last_seen', type: Date })
  lastSeen!: Date;

  @Column({ name: 'task_cap', type: 'int' })
  taskCap!: number;

  @Column({ name: 'is_draining', type: Boolean })
  isDraining!: boolean;

  /** Set while the node's executor stops after SIGTERM (database time); NULL otherwise. */
  @Column({ name: 'stopping_since', type: Date, nullable: true })
  stoppingSince!: Date | null;
}
