export * from './gated-task-log';
export * from './step-executor';
export * from './task-completion';
export * from './task-log-sink';
export * from './task-run';
export * from './task-runner';
