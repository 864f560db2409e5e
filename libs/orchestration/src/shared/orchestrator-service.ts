/** The gRPC service name every orchestration controller answers for (`@GrpcMethod(ORCHESTRATOR_SERVICE, ...)`). */
export const ORCHESTRATOR_SERVICE = 'OrchestratorService';

/** The audit source and outbox name of this service. */
export const ORCHESTRATOR_AUDIT_SOURCE = 'orchestrator';
