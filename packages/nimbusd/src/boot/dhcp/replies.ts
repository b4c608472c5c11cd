/**
 * The replies the server sends, built from the request. What firmware needs from them:
 *
 * - Every proxyDHCP reply carries option 60 "PXEClient" and option 54: without them PXE
 *   ROMs, EDK2 and iPXE do not take a yiaddr-0 OFFER for a proxy offer (PXE 2.1 §2.2.5).
 *   The client's UUID (option 97) is echoed, as PXE servers do.
 * - Legacy BIOS PXE ROMs want option 43 with discovery control bit 3 ("boot the file in this
 *   packet"), or they try boot server discovery. UEFI firmware gets no option 43: pixiecore
 *   found UEFI firmware that ignores a proxy OFFER carrying it, while without it EDK2 (and,
 *   per pixiecore, every UEFI firmware) asks the proxy on port 4011 for the boot file.
 *   Measured in the lab with OVMF (edk2 2022.11): it boots both ways, through port 4011
 *   when option 43 is left out.
 * - iPXE takes the file name straight from a proxy OFFER that names one (Debian's 2019
 *   build did in the lab) and otherwise asks on port 4011, so the OFFER and the ACK both carry it.
 * - Full mode sends no option 60/43: EDK2 would then treat the offer as "BINL" and go to port
 *   4011, which only proxy mode serves. The file is in `file` and option 67, the server in
 *   `siaddr` and option 66.
 */
import type { BootOffer } from '../policy.ts';
import { ZERO_ADDRESS } from './ipv4.ts';
import type { LeaseRecord } from './leases.ts';
import { MESSAGE_TYPE, PXE_DISCOVERY_USE_BOOT_FILE, PXE_SUBOPTION, type DhcpOptions } from './options.ts';
import { BOOTREPLY, BROADCAST_FLAG, emptyMessage, type DhcpMessage } from './packet.ts';

/** The `file` field holds 127 bytes and a NUL; longer names (long URLs) go in option 67 only. */
const FILE_FIELD_MAX = 127;

/** What the replies need to know about the network: the pool's settings in full mode. */
export interface NetworkSettings {
  netmask: string;
  router?: string;
  dns?: string[];
  leaseSeconds: number;
}

function reply(request: DhcpMessage, type: number, serverAddress: string, options: DhcpOptions): DhcpMessage {
  const message = emptyMessage(BOOTREPLY, request.chaddr, { messageType: type, serverId: serverAddress, ...options });
  message.xid = request.xid;
  message.flags = request.flags & BROADCAST_FLAG;
  message.giaddr = request.giaddr;
  if (request.options.relayAgentInfo) message.options.relayAgentInfo = request.options.relayAgentInfo;
  return message;
}

function withBootFile(message: DhcpMessage, bootFile: string | null, serverAddress: string, alsoAsOption: boolean): DhcpMessage {
  if (bootFile === null) return message; // an address only: nothing to boot from the network
  message.siaddr = serverAddress;
  const fits = Buffer.byteLength(bootFile, 'latin1') <= FILE_FIELD_MAX;
  if (fits) message.file = bootFile;
  if (alsoAsOption || !fits) message.options.bootFileName = bootFile;
  return message;
}

function pxeIdentity(request: DhcpMessage): DhcpOptions {
  return { vendorClass: 'PXEClient', ...(request.options.clientUuid ? { clientUuid: request.options.clientUuid } : {}) };
}

/** Option 43 goes to BIOS PXE ROMs (arch 0 or no option 93) and to iPXE, never to UEFI firmware (see above). */
export function wantsDiscoveryControl(request: DhcpMessage, isIpxe: boolean): boolean {
  const arch = request.options.clientArch?.[0];
  return isIpxe || arch === undefined || arch === 0;
}

/** proxyDHCP OFFER on port 67: no address, only where to boot from. */
export function proxyOffer(request: DhcpMessage, offer: BootOffer, serverAddress: string, isIpxe: boolean): DhcpMessage {
  const options: DhcpOptions = pxeIdentity(request);
  if (wantsDiscoveryControl(request, isIpxe)) options.pxe = new Map([[PXE_SUBOPTION.DISCOVERY_CONTROL, Buffer.from([PXE_DISCOVERY_USE_BOOT_FILE])]]);
  const message = withBootFile(reply(request, MESSAGE_TYPE.OFFER, serverAddress, options), offer.bootFile, serverAddress, false);
  // A TFTP file name is fetched from the boot server named here; a URL names its own server.
  if (offer.bootFile !== null && !offer.bootFile.includes('://')) message.sname = serverAddress;
  return message;
}

/** ACK on port 4011 to a PXE client's REQUEST (EDK2's "BINL" request, iPXE's ProxyDHCP REQUEST, PXE boot server discovery). */
export function pxeAck(request: DhcpMessage, offer: BootOffer, serverAddress: string): DhcpMessage {
  const options: DhcpOptions = pxeIdentity(request);
  // A boot server discovery names a boot item (type, layer); the answer must name the same one (PXE 2.1 §2.2.6).
  const bootItem = request.options.pxe?.get(PXE_SUBOPTION.BOOT_ITEM);
  if (bootItem) options.pxe = new Map([[PXE_SUBOPTION.BOOT_ITEM, bootItem]]);
  const message = withBootFile(reply(request, MESSAGE_TYPE.ACK, serverAddress, options), offer.bootFile, serverAddress, false);
  message.ciaddr = request.ciaddr;
  if (offer.bootFile !== null && !offer.bootFile.includes('://')) message.sname = serverAddress;
  return message;
}

function networkOptions(network: NetworkSettings, serverAddress: string, withLease: boolean): DhcpOptions {
  const options: DhcpOptions = { subnetMask: network.netmask, tftpServerName: serverAddress };
  if (withLease) {
    options.leaseSeconds = network.leaseSeconds;
    // RFC 2131 §4.4.5 defaults: renew at half the lease, rebind at seven eighths.
    options.renewalSeconds = Math.floor(network.leaseSeconds / 2);
    options.rebindingSeconds = Math.floor((network.leaseSeconds * 7) / 8);
  }
  if (network.router) options.routers = [network.router];
  if (network.dns?.length) options.dnsServers = network.dns;
  return options;
}

/** Full mode OFFER or ACK for a lease, with the boot file. */
export function leaseReply(
  request: DhcpMessage,
  type: typeof MESSAGE_TYPE.OFFER | typeof MESSAGE_TYPE.ACK,
  lease: LeaseRecord,
  offer: BootOffer,
  network: NetworkSettings,
  serverAddress: string,
): DhcpMessage {
  const message = reply(request, type, serverAddress, networkOptions(network, serverAddress, true));
  message.yiaddr = lease.address;
  message.ciaddr = type === MESSAGE_TYPE.ACK ? request.ciaddr : ZERO_ADDRESS;
  return withBootFile(message, offer.bootFile, serverAddress, true);
}

/** Full mode ACK to an INFORM: configuration and boot file, no address, no lease (RFC 2131 §3.4). */
export function informAck(request: DhcpMessage, offer: BootOffer, network: NetworkSettings, serverAddress: string): DhcpMessage {
  const message = reply(request, MESSAGE_TYPE.ACK, serverAddress, networkOptions(network, serverAddress, false));
  message.ciaddr = request.ciaddr;
  return withBootFile(message, offer.bootFile, serverAddress, true);
}

/** NAK: the requested address is wrong for this network or taken. A relay must broadcast it (RFC 2131 §4.3.2). */
export function nak(request: DhcpMessage, serverAddress: string, why: string): DhcpMessage {
  const message = reply(request, MESSAGE_TYPE.NAK, serverAddress, { message: why });
  if (request.giaddr !== ZERO_ADDRESS) message.flags |= BROADCAST_FLAG;
  return message;
}
