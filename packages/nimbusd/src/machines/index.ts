export * from './legacy-class-file.ts';
export * from './machines.ts';
export * from './state-location.ts';
export { stateFlags } from './flags.ts';
