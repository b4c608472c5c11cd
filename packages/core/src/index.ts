export * from './provider.ts';
export * from './errors.ts';
