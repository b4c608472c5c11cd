export * from './machine-state.ts';
export * from './transitions.ts';
