export * from './orchestration.entities';
export * from './orchestration.migrations';
export * from './orchestration.module';
export { TASK_CANCEL_CHANNEL, TASK_QUEUED_CHANNEL } from './tasks/task-signals';
export { prepareMasterKeyRotation, rotateMasterKey } from './variables/master-key-rotation';
export type { MasterKeyRotation } from './variables/master-key-rotation';
