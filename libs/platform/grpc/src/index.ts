export * from './bootstrap-grpc-service';
export * from './caller-identity';
export * from './grpc-clients.module';
export * from './grpc-options';
export * from './rpc-errors';
