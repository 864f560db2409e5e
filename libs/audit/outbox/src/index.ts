export * from './audit-outbox-relay';
export * from './audit-outbox.entity';
export * from './audit-outbox.migration';
export * from './audit-outbox.module';
export * from './audit-recorder';
export * from './audit-provenance';
