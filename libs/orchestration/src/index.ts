export * from './orchestration.entities';
export * from './orchestration.migrations';
export * from './orchestration.module';
export { TASK_CANCEL_CHANNEL, TASK_QUEUED_CHANNEL } from './tasks/task-signals';
