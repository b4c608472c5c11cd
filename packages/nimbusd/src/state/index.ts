export * from './audit.ts';
export * from './database.ts';
export * from './errors.ts';
export * from './records.ts';
export * from './store.ts';
export { SCHEMA_VERSION, INSTANCE_STATES } from './migrations.ts';
export * from './boot-sessions.ts';
