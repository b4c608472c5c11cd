export * from './provider.ts';
export * from './errors.ts';
export * from './registry/index.ts';
export * from './placement/index.ts';
export * from './text/table.ts';
export * from './lifecycle/index.ts';
export * from './async/map-limited.ts';
