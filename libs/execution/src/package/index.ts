export * from './archive-entry-safety';
export * from './deploy-package.step';
export * from './package-download';
export * from './release-folder';
export * from './tar-extractor';
export * from './unpack-limits';
export * from './zip-extractor';
