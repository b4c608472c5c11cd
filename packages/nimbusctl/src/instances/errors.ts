import { NimbusError } from '@nimbus/core';

/** No instance with this id in the user's record (and the provider was not asked). */
export class InstanceNotFoundError extends NimbusError {
  readonly code = 'INSTANCE_NOT_FOUND';
}

/** No SSH public key to put on the instance, or no private key to authenticate with. */
export class SshKeyNotFoundError extends NimbusError {
  readonly code = 'SSH_KEY_NOT_FOUND';
}

/** The user's instance record cannot be read as written. */
export class InstanceRecordError extends NimbusError {
  readonly code = 'INSTANCE_RECORD_INVALID';
}

/** A provider's nimbusd presented another host key than the registry pins. */
export class HostKeyRefusedError extends NimbusError {
  readonly code = 'HOST_KEY_MISMATCH';
}

/** The provider's nimbusd did not accept the user's key (its tenant policy). */
export class KeyNotAllowedError extends NimbusError {
  readonly code = 'KEY_NOT_ALLOWED';
}

/** The provider's nimbusd could not be reached, or the connection was lost. */
export class ProviderUnreachableError extends NimbusError {
  readonly code = 'PROVIDER_UNREACHABLE';
}

/** The provider answered a call with an error. `rpcCode` is the JSON-RPC code, `reason` its conflict reason. */
export class ProviderCallError extends NimbusError {
  readonly code = 'PROVIDER_CALL_FAILED';
  readonly rpcCode: number;
  readonly reason: string | undefined;
  constructor(message: string, rpcCode: number, reason: string | undefined, options?: ErrorOptions) {
    super(message, options);
    this.rpcCode = rpcCode;
    this.reason = reason;
  }
}

/** Every candidate was tried and none created the instance. */
export class CreateFailedError extends NimbusError {
  readonly code = 'CREATE_FAILED';
}

/** A deploy ended failed (the provider says why). */
export class DeployFailedError extends NimbusError {
  readonly code = 'DEPLOY_FAILED';
}

/** The instance has no serial console nimbusctl can reach (its BMC gives none, or its provider's nimbusd predates consoles). */
export class ConsoleUnsupportedError extends NimbusError {
  readonly code = 'CONSOLE_UNSUPPORTED';
}

/** Someone else has the instance's console open. */
export class ConsoleBusyError extends NimbusError {
  readonly code = 'CONSOLE_BUSY';
}
