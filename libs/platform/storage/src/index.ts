export * from './atomic-publish';
export * from './safe-path';
export * from './shared-storage-layout';
