import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import type { FlotillaConfig } from '@flotilla/platform/config';
import {
  generateMasterKey,
  hasMasterKeyConfigured,
  loadMasterKeyring,
  MasterKeyring,
} from '@flotilla/platform/secrets';

import { DeploymentsRepository } from '../deployments/deployments.repository';
import { DeploymentsService } from '../deployments/deployments.service';
import { EnvironmentsRepository } from '../environments/environments.repository';
import { EnvironmentsService } from '../environments/environments.service';
import { NodesRepository } from '../nodes/nodes.repository';
import { fixedLicence, NodeLicence } from '../nodes/node-standing';
import { NodesService } from '../nodes/nodes.service';
import { ProcessesRepository } from '../processes/processes.repository';
import { ProcessesService } from '../processes/processes.service';
import { ProjectsRepository } from '../projects/projects.repository';
import { ProjectsService } from '../projects/projects.service';
import { DeadNodeRecoveryRepository } from '../recovery/dead-node-recovery.repository';
import { DeadNodeRecoveryService } from '../recovery/dead-node-recovery.service';
import { RecoveryTaskLog } from '../recovery/recovery-task-log';
import type { PackageCatalog } from '../releases/package-catalog';
import { ReleasesRepository } from '../releases/releases.repository';
import { ReleasesService } from '../releases/releases.service';
import { ORCHESTRATOR_AUDIT_SOURCE } from '../shared/orchestrator-service';
import { Transactions } from '../shared/transactions';
import { ClaimedTasksService } from '../tasks/claimed-tasks.service';
import { TaskPlanRepository } from '../tasks/task-plan.repository';
import type { TaskSignals } from '../tasks/task-signals';
import { TasksRepository } from '../tasks/tasks.repository';
import { TasksService } from '../tasks/tasks.service';
import { VariablesRepository } from '../variables/variables.repository';
import { VariablesService } from '../variables/variables.service';

export interface HarnessOptions {
  catalog?: PackageCatalog;
  signals?: TaskSignals;
  heartbeatTimeoutMs?: number;
  /** Default: unlimited, so specs about other things need not care about the licence. */
  licence?: NodeLicence;
  taskCap?: number;
  /** Shared storage root (recovery appends to TaskLogs/ there); default: a fresh temporary folder. */
  sharedStorage?: string;
  /** The master keyring (default: the test run's key from the environment, else one made for this process). */
  keyring?: MasterKeyring;
}

let processKeyring: MasterKeyring | undefined;

/** The jest global setup gives every test process FLOTILLA_MASTER_KEY; a spec run without it gets its own. */
function defaultKeyring(): MasterKeyring {
  processKeyring ??= hasMasterKeyConfigured() ? loadMasterKeyring() : MasterKeyring.of(generateMasterKey());
  return processKeyring;
}

let temporaryRoot: string | undefined;

/** One temporary shared storage root per test process, with the TaskLogs folder a node would create. */
function temporarySharedStorage(): string {
  if (!temporaryRoot) {
    temporaryRoot = mkdtempSync(join(tmpdir(), 'flotilla-harness-'));
    mkdirSync(join(temporaryRoot, 'TaskLogs'));
  }
  return temporaryRoot;
}

export const UNLIMITED_LICENCE: NodeLicence = { nodeLimit: 'Unlimited', label: 'licence for Spec Runner' };

/** A catalog that holds every package; specs about missing packages pass their own. */
const everyPackageExists: PackageCatalog = { missing: () => Promise.resolve([]) };
const noSignals: TaskSignals = { taskQueued: () => undefined, cancelRequested: () => undefined };

/**
 * The orchestration services wired over one DataSource exactly as the Nest module wires them,
 * for integration specs (one harness per simulated orchestrator replica).
 */
export function createOrchestrationHarness(dataSource: DataSource, options: HarnessOptions = {}) {
  const transactions = new Transactions(dataSource);
  const audit = new AuditRecorder(ORCHESTRATOR_AUDIT_SOURCE);
  const signals = options.signals ?? noSignals;
  const projects = new ProjectsRepository(transactions);
  const environments = new EnvironmentsRepository(transactions);
  const processes = new ProcessesRepository(transactions);
  const keyring = options.keyring ?? defaultKeyring();
  const variables = new VariablesRepository(transactions, keyring);
  const releases = new ReleasesRepository(transactions);
  const tasks = new TasksRepository(transactions);
  const nodes = new NodesRepository(transactions);
  const config: Pick<FlotillaConfig, 'heartbeatTimeoutMs' | 'taskCap'> = {
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 30_000,
    taskCap: options.taskCap ?? 5,
  };
  const nodeRegistry = new NodesService(
    transactions,
    nodes,
    config,
    fixedLicence(options.licence ?? UNLIMITED_LICENCE),
    audit,
  );
  return {
    projects: new ProjectsService(transactions, projects, audit),
    environments: new EnvironmentsService(transactions, environments, audit),
    processes: new ProcessesService(transactions, projects, processes, audit),
    variables: new VariablesService(transactions, projects, environments, variables, audit),
    releases: new ReleasesService(
      transactions,
      projects,
      processes,
      variables,
      releases,
      options.catalog ?? everyPackageExists,
      audit,
      keyring,
    ),
    deployments: new DeploymentsService(
      transactions,
      releases,
      projects,
      environments,
      new DeploymentsRepository(transactions),
      tasks,
      signals,
      audit,
    ),
    tasks: new TasksService(transactions, tasks, signals, audit),
    claimed: new ClaimedTasksService(
      transactions,
      tasks,
      new TaskPlanRepository(keyring),
      nodeRegistry,
      nodes,
      signals,
      audit,
      config,
    ),
    nodes: nodeRegistry,
    recovery: new DeadNodeRecoveryService(
      transactions,
      new DeadNodeRecoveryRepository(transactions),
      tasks,
      signals,
      audit,
      config,
      new RecoveryTaskLog({ sharedStorage: options.sharedStorage ?? temporarySharedStorage() }),
    ),
  };
}

export type OrchestrationHarness = ReturnType<typeof createOrchestrationHarness>;
