import { CreateOrchestrationTables1764200000300 } from './migrations/1764200000300-create-orchestration-tables';

/** The orchestrator's schema history, oldest first (timestamps 1764200000300–399). */
export const OrchestrationMigrations = [CreateOrchestrationTables1764200000300];
