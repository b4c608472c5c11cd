/** The BMC drivers nimbusd knows, by the name a config or `--driver` uses. */
import type { BmcDriver } from '../driver.ts';
import { ipmiDriver } from './ipmi/index.ts';
import { redfishDriver } from './redfish/index.ts';

export type BmcDriverName = 'ipmi' | 'redfish';
export const BMC_DRIVER_NAMES: readonly BmcDriverName[] = ['ipmi', 'redfish'];

export const BMC_DRIVERS: Readonly<Record<BmcDriverName, BmcDriver>> = {
  ipmi: ipmiDriver,
  redfish: redfishDriver,
};

export function bmcDriver(name: BmcDriverName): BmcDriver {
  return BMC_DRIVERS[name];
}
