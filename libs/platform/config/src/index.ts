export * from './config.module';
export * from './database-tls';
export * from './env-reader';
export * from './flotilla-config';
export * from './directory-config';
