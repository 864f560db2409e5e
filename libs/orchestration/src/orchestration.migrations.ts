import { auditOutboxProvenanceMigration } from '@flotilla/audit/outbox';

import { CreateOrchestrationTables1764200000300 } from './migrations/1764200000300-create-orchestration-tables';
import { AddTaskProgressAndRecoveries1764200000301 } from './migrations/1764200000301-add-task-progress-and-recoveries';
import { AddNodeStopping1764200000302 } from './migrations/1764200000302-add-node-stopping';
import { AddTaskLogIntegrity1764200000303 } from './migrations/1764200000303-add-task-log-integrity';
import { AddAuditOutboxForwardedFor1764200000310 } from './migrations/1764200000310-add-audit-outbox-forwarded-for';
import { SealSensitiveVariables1764200000311 } from './migrations/1764200000311-seal-sensitive-variables';

/** The orchestrator's schema history, oldest first (timestamps 1764200000300–399). */
export const OrchestrationMigrations = [
  CreateOrchestrationTables1764200000300,
  AddTaskProgressAndRecoveries1764200000301,
  AddNodeStopping1764200000302,
  AddTaskLogIntegrity1764200000303,
  AddAuditOutboxForwardedFor1764200000310,
  SealSensitiveVariables1764200000311,
  // The outbox's provenance columns (sign-in method, key id, socket peer, node, request, outcome, scope).
  auditOutboxProvenanceMigration('orchestrator', 1764200000329),
];
