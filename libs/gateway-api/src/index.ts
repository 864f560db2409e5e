export * from './lib/create-gateway-app';
export * from './lib/errors/grpc-http-status';
export * from './lib/gateway-controllers';
export * from './lib/gateway.module';
export * from './lib/health/ping-decision';
export * from './lib/lifecycle/graceful-stop';
export * from './lib/security/client-ip-resolver';
export * from './lib/security/route-access';
