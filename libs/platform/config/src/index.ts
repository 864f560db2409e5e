export * from './config.module';
export * from './env-reader';
export * from './flotilla-config';
