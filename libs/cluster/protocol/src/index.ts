export * from './cluster-ipc';
export * from './node-services';
