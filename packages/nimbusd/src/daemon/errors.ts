import { NimbusError } from '@nimbus/core';

/** A listener could not bind its address (taken, not permitted, no such interface). */
export class ListenError extends NimbusError {
  readonly code = 'LISTEN_FAILED';
}

/** An authorized_keys file named by the config cannot be read or holds a line that is not a key. */
export class AuthorizedKeysError extends NimbusError {
  readonly code = 'AUTHORIZED_KEYS';
}
