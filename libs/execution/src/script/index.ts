export * from './line-splitter';
export * from './process-group';
export * from './run-script.step';
export * from './script-environment';
export * from './script-fence';
export * from './script-user';
export * from './script-workspace';
export * from './shell-substitution';
