import { join } from 'node:path';

export * as artifactsV1 from './generated/flotilla/artifacts/v1/artifacts';
export * as auditV1 from './generated/flotilla/audit/v1/audit';
export * as authV1 from './generated/flotilla/auth/v1/auth';
export * as executorV1 from './generated/flotilla/executor/v1/executor';
export * as orchestratorV1 from './generated/flotilla/orchestrator/v1/orchestrator';

/** The gRPC services of Flotilla, by the short name used in configuration and proto paths. */
export type FlotillaService = 'auth' | 'audit' | 'orchestrator' | 'executor' | 'artifacts';

export const FLOTILLA_SERVICES: readonly FlotillaService[] = [
  'auth',
  'audit',
  'orchestrator',
  'executor',
  'artifacts',
];

/** Root folder of the .proto files, for @grpc/proto-loader at run time. */
export const PROTO_ROOT = join(__dirname, '..', 'proto');

export interface ServiceContract {
  /** The proto package, e.g. flotilla.auth.v1 */
  packageName: string;
  /** The service name inside that package, e.g. AuthService */
  serviceName: string;
  /** Path of the .proto file relative to PROTO_ROOT */
  protoFile: string;
}

export const SERVICE_CONTRACTS: Readonly<Record<FlotillaService, ServiceContract>> = {
  auth: {
    packageName: 'flotilla.auth.v1',
    serviceName: 'AuthService',
    protoFile: 'flotilla/auth/v1/auth.proto',
  },
  audit: {
    packageName: 'flotilla.audit.v1',
    serviceName: 'AuditService',
    protoFile: 'flotilla/audit/v1/audit.proto',
  },
  orchestrator: {
    packageName: 'flotilla.orchestrator.v1',
    serviceName: 'OrchestratorService',
    protoFile: 'flotilla/orchestrator/v1/orchestrator.proto',
  },
  executor: {
    packageName: 'flotilla.executor.v1',
    serviceName: 'ExecutorService',
    protoFile: 'flotilla/executor/v1/executor.proto',
  },
  artifacts: {
    packageName: 'flotilla.artifacts.v1',
    serviceName: 'ArtifactService',
    protoFile: 'flotilla/artifacts/v1/artifacts.proto',
  },
};
