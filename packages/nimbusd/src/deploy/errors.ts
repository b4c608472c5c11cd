import { InvalidRequestError, NimbusError } from '@nimbus/core';

/** A deploy request that cannot be carried out as given (unknown image, a bad key, a bad hostname). */
export class DeployRequestError extends InvalidRequestError {}

/** What a machine's ramdisk sent is not what the deploy contract allows. */
export class AgentMessageError extends NimbusError {
  readonly code = 'AGENT_MESSAGE';
}
