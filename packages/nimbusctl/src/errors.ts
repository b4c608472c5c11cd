import { NimbusError } from '@nimbus/core';

/** The config file cannot be read as written. Says which file and which key. */
export class ConfigError extends NimbusError {
  readonly code = 'CONFIG_INVALID';
}

export class RegistryExistsError extends NimbusError {
  readonly code = 'REGISTRY_EXISTS';
}

export class RegistryNotFoundError extends NimbusError {
  readonly code = 'REGISTRY_NOT_FOUND';
}

/** No registry has ever been synced, so there is nothing to read providers from. */
export class RegistryNeverSyncedError extends NimbusError {
  readonly code = 'REGISTRY_NEVER_SYNCED';
}

/** Git could not clone or fetch a registry and there is no cache to fall back on. */
export class RegistrySyncError extends NimbusError {
  readonly code = 'REGISTRY_SYNC_FAILED';
}

export class ProviderNotFoundError extends NimbusError {
  readonly code = 'PROVIDER_NOT_FOUND';
}

/** Placement found fewer machines than asked for. */
export class NoCandidateError extends NimbusError {
  readonly code = 'NO_CANDIDATE';
}


/** `registry validate` was pointed at something that is not a registry folder or a provider file. */
export class NotARegistryError extends NimbusError {
  readonly code = 'NOT_A_REGISTRY';
}
