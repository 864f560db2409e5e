import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { systemIdentity } from '@flotilla/platform/grpc';

import { ORCHESTRATOR_AUDIT_SOURCE } from '../shared/orchestrator-service';
import { Transactions } from '../shared/transactions';
import { TASK_SIGNALS, TaskSignals } from '../tasks/task-signals';
import { TasksRepository } from '../tasks/tasks.repository';
import { DeadNodeRecoveryRepository } from './dead-node-recovery.repository';
import {
  canceledDecision,
  OrphanedTask,
  RecoveryDecision,
  recoveryDecision,
  recoveryRecord,
} from './recovery-decision';
import { RecoveryTaskLog } from './recovery-task-log';

/** Tasks looked at per pass; a pass that fills the batch is followed by another at once. */
const BATCH = 50;

export interface RecoveredTask {
  taskId: string;
  nodeName: string;
  outcome: 'Queued' | 'Success' | 'Failed' | 'Canceled';
  reason: string;
}

/**
 * Takes back the tasks of nodes that stopped heartbeating, and of executors that stopped reporting
 * progress while the rest of their node kept heartbeating. Runs in every orchestrator replica; the
 * conditional writes make sure each task is recovered once, by whichever replica is first.
 * The reason goes into the task's error_message, the `task.recovered` audit event and, once the
 * change committed (the old owner is fenced off), one system record appended to the task's log.
 */
@Injectable()
export class DeadNodeRecoveryService {
  private readonly logger = new Logger('DeadNodeRecovery');
  private readonly actor = systemIdentity(ORCHESTRATOR_AUDIT_SOURCE);

  constructor(
    @Inject(Transactions) private readonly transactions: Transactions,
    @Inject(DeadNodeRecoveryRepository) private readonly orphans: DeadNodeRecoveryRepository,
    @Inject(TasksRepository) private readonly tasks: TasksRepository,
    @Inject(TASK_SIGNALS) private readonly signals: TaskSignals,
    @Inject(AuditRecorder) private readonly recorder: AuditRecorder,
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'heartbeatTimeoutMs'>,
    @Inject(RecoveryTaskLog) private readonly taskLog: RecoveryTaskLog,
  ) {}

  /** One cheap round trip, for the loop to watch the database while recovery holds back. */
  checkDatabase(): Promise<void> {
    return this.orphans.ping();
  }

  /** One pass over every orphaned task; returns what this replica recovered. */
  async recoverOnce(): Promise<RecoveredTask[]> {
    const recovered: RecoveredTask[] = [];
    for (;;) {
      const orphaned = await this.orphans.findOrphaned(this.config.heartbeatTimeoutMs, BATCH);
      let progressed = false;
      for (const task of orphaned) {
        const outcome = await this.recover(task);
        if (outcome) {
          recovered.push(outcome);
          progressed = true;
        }
      }
      // Stop unless a full batch was worked through (tasks another replica won stay out of the next read).
      if (orphaned.length < BATCH || !progressed) return recovered;
    }
  }

  private async recover(task: OrphanedTask): Promise<RecoveredTask | undefined> {
    const timeoutMs = this.config.heartbeatTimeoutMs;
    const decision = await this.transactions.run(async (manager) => {
      const made = await this.write(manager, task, timeoutMs);
      if (!made) return undefined;
      await this.tasks.unlock(manager, task.id, task.claim);
      await this.audit(manager, task, made);
      return made;
    });
    if (!decision) return undefined;
    const outcome = decision.action === 'requeue' ? 'Queued' : decision.state;
    const reason = decision.action === 'requeue' ? decision.note : decision.errorMessage;
    // Before the wake-up, so the record comes ahead of the next owner's lines.
    await this.taskLog.append(task.id, ...recoveryRecord(decision));
    if (decision.action === 'requeue') this.signals.taskQueued(task.id);
    this.logger.warn(`Recovered task ${task.id} from node ${task.nodeName}: ${outcome} (${reason})`);
    return { taskId: task.id, nodeName: task.nodeName, outcome, reason };
  }

  /**
   * Writes the decision for the task as read; returns the decision the database holds now, or
   * undefined when nothing changed. A task canceled between the read and the write is finished
   * as Canceled (decided in the statement), and so is what the audit and the log then say.
   */
  private async write(
    manager: EntityManager,
    task: OrphanedTask,
    timeoutMs: number,
  ): Promise<RecoveryDecision | undefined> {
    const decision = recoveryDecision(task);
    if (decision.action === 'requeue')
      return (await this.orphans.requeue(manager, task, timeoutMs)) ? decision : undefined;
    const canceled = canceledDecision(task);
    const written = await this.orphans.finish(manager, task, decision, canceled.errorMessage, timeoutMs);
    if (!written) return undefined;
    return written === decision.state ? decision : canceled;
  }

  private audit(manager: EntityManager, task: OrphanedTask, decision: RecoveryDecision): Promise<void> {
    return this.recorder.record(manager, {
      actor: this.actor,
      action: 'task.recovered',
      resourceType: 'ServerTask',
      resourceId: task.id,
      details: {
        nodeName: task.nodeName,
        cause: task.cause,
        nodeLastSeen: task.nodeLastSeen?.toISOString() ?? null,
        lastProgressAt: task.lastProgressAt?.toISOString() ?? null,
        recoveries: task.recoveries + (decision.action === 'requeue' ? 1 : 0),
        previousState: task.state,
        claim: task.claim,
        nextStep: task.nextStep,
        retryable: task.retryable,
        outcome: decision.action === 'requeue' ? 'Queued' : decision.state,
        reason: decision.action === 'requeue' ? decision.note : decision.errorMessage,
      },
    });
  }
}
