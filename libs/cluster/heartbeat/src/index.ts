export * from './lib/cluster-node-client';
export * from './lib/node-heartbeat';
export * from './lib/node-heartbeat.module';
export * from './lib/node-status';
