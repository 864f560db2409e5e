import { Column, Entity, PrimaryColumn } from 'typeorm';

import type { TaskState } from './task-states';

@Entity({ name: 'server_tasks' })
export class ServerTaskEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 50 })
  name!: string;

  @Column({ type: 'text' })
  description!: string;

  @Column({ type: 'varchar', length: 20 })
  state!: TaskState;

  @Column({ name: 'deployment_id', type: 'varchar', length: 36 })
  deploymentId!: string;

  @Column({ name: 'project_id', type: 'varchar', length: 36 })
  projectId!: string;

  @Column({ name: 'environment_id', type: 'varchar', length: 36 })
  environmentId!: string;

  /** Deployments sharing a key run one at a time: `${projectId}/${environmentId}`. */
  @Column({ name: 'concurrency_key', type: 'varchar', length: 100 })
  concurrencyKey!: string;

  @Column({ name: 'node_name', type: 'varchar', length: 200, nullable: true })
  nodeName!: string | null;

  /** Fencing token: raised by every claim; writes carrying an older one are refused. */
  @Column({ type: 'int' })
  claim!: number;

  @Column({ name: 'next_step', type: 'int' })
  nextStep!: number;

  @Column({ name: 'queued_at', type: Date })
  queuedAt!: Date;

  @Column({ name: 'started_at', type: Date, nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'completed_at', type: Date, nullable: true })
  completedAt!: Date | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ name: 'cancel_requested_at', type: Date, nullable: true })
  cancelRequestedAt!: Date | null;

  /**
   * Database time of the claim and of the owner's last accepted progress report; NULL while queued
   * and for tasks claimed by nodes that predate the column (recovery then judges by node liveness).
   */
  @Column({ name: 'last_progress_at', type: Date, nullable: true })
  lastProgressAt!: Date | null;

  /** Times dead-node recovery re-queued the task; past a limit it fails instead. */
  @Column({ name: 'recovery_count', type: 'int' })
  recoveryCount!: number;

  /** Log lines the executor could not write to shared storage (0: the log is complete). */
  @Column({ name: 'log_lines_lost', type: 'int' })
  logLinesLost!: number;

  /** Why the log is incomplete, for people; NULL when it is complete (and for older nodes). */
  @Column({ name: 'log_problem', type: 'varchar', length: 1000, nullable: true })
  logProblem!: string | null;
}
