export * from './atomic-publish';
export * from './safe-path';
export * from './shared-storage-layout';
export * from './shared-storage-probe';
export * from './storage-failure';
export * from './storage-probe';
export * from './task-log-record';
