export * from './task-log-file-reader';
export * from './task-log-gap';
export * from './task-log-line';
export * from './task-log-writer';
export * from './task-log.controller';
export * from './task-log.service';
