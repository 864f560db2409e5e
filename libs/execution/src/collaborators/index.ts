export * from './grpc-package-source';
export * from './grpc-task-orchestrator';
export * from './package-source';
export * from './task-orchestrator';
