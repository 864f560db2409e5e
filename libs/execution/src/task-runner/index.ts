export * from './step-executor';
export * from './task-completion';
export * from './task-runner';
