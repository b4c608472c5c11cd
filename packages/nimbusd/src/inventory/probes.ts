/**
 * The systeminformation calls behind the host inventory, one per probe. They are a seam:
 * tests and the benchmark hand in their own, and normalize.ts turns their answers into
 * the inventory's types.
 */
import * as si from 'systeminformation';
import type { Systeminformation } from 'systeminformation';
import type { ProbeName } from './types.ts';

/** What each probe answers, in systeminformation's own shapes. */
export interface ProbeResults {
  cpu: Systeminformation.CpuData;
  memory: Systeminformation.MemData;
  memoryLayout: Systeminformation.MemLayoutData[];
  disks: Systeminformation.DiskLayoutData[];
  nics: Systeminformation.NetworkInterfacesData[];
  gpus: Systeminformation.GraphicsData;
  system: Systeminformation.SystemData;
  baseboard: Systeminformation.BaseboardData;
}

export type HostProbes = { [K in ProbeName]: () => Promise<ProbeResults[K]> };

/** The real probes. None of them can be cancelled: a timeout only stops waiting for one. */
export const systemInformationProbes: HostProbes = {
  cpu: () => si.cpu(),
  memory: () => si.mem(),
  memoryLayout: () => si.memLayout(),
  disks: () => si.diskLayout(),
  nics: () => si.networkInterfaces(),
  gpus: () => si.graphics(),
  system: () => si.system(),
  baseboard: () => si.baseboard(),
};
