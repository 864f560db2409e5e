export * from './data-source.factory';
export * from './dialect';
export * from './drop-defaulted-columns';
export * from './migrate';
export * from './unique-violation';
export * from './database-unavailable';
export * from './database.module';
export * from './redacting-logger';
