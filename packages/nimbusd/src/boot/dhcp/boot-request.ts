/** What a DHCP request says about the client's firmware, in the terms of the boot policy. */
import type { BootRequest, ClientArch } from '../policy.ts';
import type { DhcpMessage } from './packet.ts';

/** RFC 4578 §2.1 / IANA "Processor Architecture Types" codes we boot; every other code is `unknown`. */
export function clientArch(code: number | null): ClientArch {
  switch (code) {
    case 0:
      return 'bios';
    case 6:
      return 'uefi-ia32';
    case 7:
    case 9:
      return 'uefi-x64';
    case 11:
      return 'uefi-arm64';
    default:
      return 'unknown';
  }
}

/** iPXE says so with user class "iPXE" (option 77) or by sending its own option 175. */
export function isIpxe(message: DhcpMessage): boolean {
  return (message.options.userClass ?? []).some((entry) => entry.includes('iPXE')) || message.options.ipxe !== undefined;
}

/** A PXE client names itself in option 60 (PXE 2.1 §2.2); iPXE counts even when it does not. */
export function isPxeClient(message: DhcpMessage): boolean {
  return (message.options.vendorClass?.startsWith('PXEClient') ?? false) || isIpxe(message);
}

export function toBootRequest(message: DhcpMessage): BootRequest {
  // A client may list several architectures (RFC 4578 §2.1); the first is the one it runs.
  const archCode = message.options.clientArch?.[0] ?? null;
  return {
    mac: message.chaddr,
    arch: clientArch(archCode),
    archCode,
    isIpxe: isIpxe(message),
    vendorClass: message.options.vendorClass ?? null,
  };
}
