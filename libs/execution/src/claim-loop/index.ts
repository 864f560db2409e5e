export * from './claim-gate';
export * from './claim-loop';
export * from './heartbeat';
export * from './task-wakeups';
