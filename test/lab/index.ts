/** The lab for network-boot tests: see README.md. */
export { type Accel, detectAccel } from './accel.ts';
export { bootSector, type BootSectorAction, writeBootSector } from './boot-sector.ts';
export { LabCommandError, LabConfigError, LabError, LabPrerequisiteError, LabTimeoutError, LabVmError } from './errors.ts';
export { type RunOptions, type RunResult } from './exec.ts';
export { DEFAULT_BMC_PASSWORD, DEFAULT_BMC_USER, DEFAULT_IPMI_PORT, type IpmiBmc, type IpmiBmcOptions, startIpmiBmc } from './ipmi-bmc.ts';
export { LabNetwork, type LabNetworkOptions, LabProcess, type SpawnOptions } from './network.ts';
export { LAB_PACKAGES, labMissing } from './prerequisites.ts';
export { QmpClient } from './qmp.ts';
export { DEFAULT_REDFISH_PORT, type RedfishBmc, type RedfishBmcOptions, startRedfishBmc } from './redfish-bmc.ts';
export { type BootDevice, type BootState, type Firmware, type LabNic, VmController, type VmPowerState, type VmSpec } from './vm-control.ts';
export { plainSerialText } from './sercon.ts';
export { LabVm, type LabVmOptions } from './vm.ts';
