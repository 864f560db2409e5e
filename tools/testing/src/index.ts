export { freePort, freePorts } from '@flotilla/platform/net';
export * from './postgres-server';
export * from './test-database';
export * from './zip-writer';
export * from './flotilla-node';
export * from './api-client';
export * from './flotilla-cluster';
export * from './process-group';
export * from './intervals';
