import type { BootDeviceGetter, BootDeviceSetter } from './boot-device.ts';
import type { ConsoleOpener } from './console.ts';
import type { Feature } from './features.ts';
import type { InventoryGetter } from './inventory.ts';
import type { PowerGetter, PowerSetter } from './power.ts';
import type { SensorReader } from './sensors.ts';
import type { VirtualMediaSetter } from './virtual-media.ts';

/** How nimbusd reaches one BMC. The password is read from a file or the environment, never argv. */
export interface BmcConfig {
  driver: 'ipmi' | 'redfish';
  host: string;
  /** Defaults: 623 for IPMI, 443 for Redfish. */
  port?: number;
  username: string;
  password: string;
  /** IPMI: the BMC key K_g as hex, when the BMC has one set. */
  kg?: string;
  /** IPMI: cipher suite to insist on (3 or 17); by default the best the BMC offers. */
  cipherSuite?: 3 | 17;
  /** Redfish: `https` by default; `http` only for emulators and labs. */
  scheme?: 'https' | 'http';
  /** Redfish: SHA-256 fingerprint of a self-signed BMC certificate to trust instead of a CA. */
  tlsFingerprint?: string;
  /**
   * Redfish: which ComputerSystem to drive when the service has several (a blade chassis,
   * a multi-node enclosure): its `Id` or its `@odata.id` path. Default: the first member of Systems.
   */
  system?: string;
}

/** A settings problem found by `validate`: which setting and what is wrong with it. */
export interface ConfigProblem {
  setting: keyof BmcConfig;
  message: string;
}

/** A connected BMC: the capabilities its driver has, and a way to let go of it. */
export interface BmcClient
  extends Partial<PowerGetter & PowerSetter & BootDeviceGetter & BootDeviceSetter & InventoryGetter & SensorReader & VirtualMediaSetter & ConsoleOpener> {
  readonly features: readonly Feature[];
  /** Ends the session (IPMI Close Session, Redfish logout). */
  close(): Promise<void>;
}

export interface BmcDriver {
  readonly name: string;
  readonly protocol: 'ipmi' | 'redfish';
  readonly features: readonly Feature[];
  /** Checks the settings before any network call; an empty list means they are usable. */
  validate(config: BmcConfig): ConfigProblem[];
  create(config: BmcConfig): BmcClient;
}
