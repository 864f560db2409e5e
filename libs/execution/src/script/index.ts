export * from './line-splitter';
export * from './process-group';
export * from './run-script.step';
