export { formatProblem, type Problem, type ProblemCode } from './problem.ts';
export { isProviderPath } from './provider-path.ts';
export {
  MAX_PROVIDER_FILE_BYTES,
  parseProviderFile,
  type ParsedProvider,
  type ProviderSource,
} from './parse-provider-file.ts';
export { checkRegistry, loadRegistry } from './check-registry.ts';
export { checkOwnership, type ChangeStatus, type ProviderFileChange } from './ownership.ts';
export { compileTomlDocument, type TomlDocumentChecker, type TomlDocumentOptions, type TomlDocumentResult, type TomlFinding } from './toml-document.ts';
