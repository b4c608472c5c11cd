/**
 * Errors of the lab harness. The lab runs in child processes (the Redfish emulator, the
 * IPMI chassis program) started with plain `node`, so it does not import @nimbus/core
 * (whose package entry needs a build or the nimbus:source condition); the shape is the
 * same as core's NimbusError: a class per kind with a stable `code`.
 */
export abstract class LabError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Something the lab needs is not on this machine (a program, firmware, root). */
export class LabPrerequisiteError extends LabError {
  readonly code = 'LAB_PREREQUISITE';
}

/** A program the lab ran exited with an error; the message carries the tail of its output. */
export class LabCommandError extends LabError {
  readonly code = 'LAB_COMMAND';
  readonly exitCode: number | null;

  constructor(message: string, exitCode: number | null, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/** A VM could not be started, stopped or controlled. */
export class LabVmError extends LabError {
  readonly code = 'LAB_VM';
}

/** Something the lab waited for (serial output, a listener, a lock) did not come in time. */
export class LabTimeoutError extends LabError {
  readonly code = 'LAB_TIMEOUT';
}

/** Options that cannot work (a bad MAC, a password ipmi_sim's config cannot quote). */
export class LabConfigError extends LabError {
  readonly code = 'LAB_CONFIG';
}
