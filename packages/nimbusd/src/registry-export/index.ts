export { buildProvider, type ClassDescription, type ExportInput } from './build-provider.ts';
export { RegistryExportError } from './errors.ts';
export { exportProvider, readClassDescriptions, type ExportOptions, type ExportResult } from './export-provider.ts';
export { renderProviderToml } from './render-toml.ts';
