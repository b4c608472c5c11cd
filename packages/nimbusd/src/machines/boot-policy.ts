/**
 * nimbusd's answer to "what does this machine boot?": a machine with a boot session that
 * is waiting for its network boot gets iPXE (by firmware) and then its iPXE script; any
 * other enrolled machine gets an address only (full DHCP) or nothing (proxy DHCP), so its
 * firmware boots from disk. Machines nimbusd does not know are ignored.
 */
import type { BootOffer, BootPolicy, BootRequest, ClientArch } from '../boot/policy.ts';
import type { BootEvents } from '../deploy/events.ts';
import type { Logger } from '../logging/index.ts';
import type { BootSession, BootSessions } from '../state/boot-sessions.ts';
import type { Store } from '../state/store.ts';

/** Session phases in which the machine is expected to network-boot. */
export const NETWORK_BOOT_PHASES: ReadonlySet<string> = new Set(['pxe']);

/** The iPXE binary each firmware loads over TFTP (Debian's ipxe package). */
export const IPXE_FILES: Readonly<Record<ClientArch, string | null>> = {
  bios: 'undionly.kpxe',
  'uefi-x64': 'ipxe.efi',
  'uefi-ia32': null,
  'uefi-arm64': null,
  unknown: 'undionly.kpxe',
};

export interface MachineBootPolicyOptions {
  store: Pick<Store, 'findMachineByMac'>;
  sessions: Pick<BootSessions, 'openFor'>;
  events: BootEvents;
  /** e.g. http://10.77.0.1:8080 (a function: the port is known once the server is bound). */
  httpBase: () => string;
  logger: Logger;
}

export class MachineBootPolicy implements BootPolicy {
  readonly #options: MachineBootPolicyOptions;

  constructor(options: MachineBootPolicyOptions) {
    this.#options = options;
  }

  /** The open session of the machine that boots from `mac`, if it is waiting for a network boot. */
  bootingSession(mac: string): BootSession | undefined {
    const machine = this.#options.store.findMachineByMac(mac);
    if (!machine) return undefined;
    const session = this.#options.sessions.openFor(machine.id);
    return session && NETWORK_BOOT_PHASES.has(session.phase) ? session : undefined;
  }

  offer(request: BootRequest): BootOffer | null {
    const machine = this.#options.store.findMachineByMac(request.mac);
    if (!machine) return null;
    const session = this.bootingSession(request.mac);
    if (!session) return { bootFile: null };
    this.#options.events.emit(session.id, { type: 'dhcp', arch: request.arch });
    if (request.isIpxe) return { bootFile: `${this.#options.httpBase()}/boot/ipxe/${request.mac}` };
    const file = IPXE_FILES[request.arch];
    if (!file) {
      this.#options.logger.warn({ machine: machine.id, mac: request.mac, arch: request.arch, archCode: request.archCode }, 'no iPXE binary for this firmware; not answering its network boot');
      return { bootFile: null };
    }
    return { bootFile: file };
  }
}
