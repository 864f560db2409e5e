export * from './bootstrap-grpc-service';
export * from './call-deadline';
export * from './database-unavailable.filter';
export * from './caller-identity';
export * from './grpc-clients.module';
export * from './grpc-options';
export * from './rpc-errors';
export * from './service-definition';
