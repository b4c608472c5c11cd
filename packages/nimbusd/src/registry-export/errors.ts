import { NimbusError } from '@nimbus/core';

/** The provider file cannot be written from what nimbusd knows; `lines` says every missing or bad part. */
export class RegistryExportError extends NimbusError {
  readonly code = 'REGISTRY_EXPORT';
  readonly lines: readonly string[];

  constructor(lines: readonly string[]) {
    super(lines.length === 1 ? lines[0]! : `cannot export the provider file: ${lines.join('; ')}`);
    this.lines = lines;
  }
}
