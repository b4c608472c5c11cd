export * from './types.ts';
export { collectHostInventory, runProbe, assembleInventory, DEFAULT_PROBE_TIMEOUT_MS, type CollectOptions, type ProbeOutcome, type ProbeOutcomes } from './collect.ts';
export { systemInformationProbes, type HostProbes, type ProbeResults } from './probes.ts';
export { diskMediumOf } from './normalize.ts';
export { toMachineClass, registryArch, MachineClassMappingError, type MachineClassFields } from './machine-class.ts';
export { renderHostInventory } from './render.ts';
