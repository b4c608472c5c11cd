/**
 * The one question the protocol servers ask: what does this client boot? The DHCP
 * server parses packets and answers; the boot module (which knows machines and
 * deploys) implements this interface. The servers never read nimbusd's state.
 */

/** The firmware a DHCP client says it is, from option 93 (RFC 4578, IANA "Processor Architecture Types"). */
export type ClientArch = 'bios' | 'uefi-ia32' | 'uefi-x64' | 'uefi-arm64' | 'unknown';

export interface BootRequest {
  /** Lower-case, colon separated. */
  mac: string;
  arch: ClientArch;
  /** Option 93's raw value; null when the client sent none. */
  archCode: number | null;
  /** The client is iPXE already (user class "iPXE" in option 77, or option 175), so it gets the HTTP script, not iPXE again. */
  isIpxe: boolean;
  /** Option 60 as sent, e.g. "PXEClient:Arch:00007:UNDI:003016"; null if absent. */
  vendorClass: string | null;
}

export interface BootOffer {
  /**
   * What the client loads next: a TFTP file name (`undionly.kpxe`) or, for iPXE, an http://
   * URL. null: nothing to boot from the network now; full DHCP still leases it an address
   * (an installed OS, a ramdisk), proxy DHCP stays silent so the firmware boots from disk.
   */
  bootFile: string | null;
}

export interface BootPolicy {
  /** What this client boots, or null to stay silent (a machine nimbusd does not expect to boot). */
  offer(request: BootRequest): BootOffer | null | Promise<BootOffer | null>;
}
