/**
 * Full mode's side of the conversation (RFC 2131 §4.3): which address a DISCOVER gets,
 * whether a REQUEST is ACKed or NAKed in each client state, and what RELEASE and DECLINE
 * change. The server asks the boot policy first; this module only sees clients the policy
 * wants answered. A binding is on disk before its ACK leaves.
 */
import type { Logger } from '../../logging/index.ts';
import type { BootOffer } from '../policy.ts';
import { ZERO_ADDRESS } from './ipv4.ts';
import { LeaseFileWriter, loadLeaseFile } from './lease-file.ts';
import { LeaseTable, type LeaseClient, type LeaseRecord } from './leases.ts';
import { LogLimiter } from '../log-limiter.ts';
import { MESSAGE_TYPE } from './options.ts';
import type { DhcpMessage } from './packet.ts';
import { informAck, leaseReply, nak, type NetworkSettings } from './replies.ts';
import type { ResolvedDhcpOptions } from './server-options.ts';

export type FullModeAnswer =
  | { kind: 'reply'; message: DhcpMessage; reply: 'OFFER' | 'ACK' | 'NAK' }
  | { kind: 'silent'; reason: string };

/** Client id (option 61), unless it is just type 1 plus the MAC: then the MAC, so firmware that sends none matches. */
export function leaseClient(message: DhcpMessage): LeaseClient {
  const id = message.options.clientId;
  const mac = message.chaddr;
  if (id && !(id.length === 7 && id[0] === 1 && id.subarray(1).toString('hex') === mac.replaceAll(':', ''))) {
    return { key: `id:${id.toString('hex')}`, mac };
  }
  return { key: `mac:${mac}`, mac };
}

export class FullModeResponder {
  private readonly table: LeaseTable;
  private readonly writer: LeaseFileWriter | null;
  private readonly network: NetworkSettings;
  private readonly serverAddress: string;
  private readonly logger: Logger;
  private readonly exhaustedLog = new LogLimiter();

  private constructor(table: LeaseTable, writer: LeaseFileWriter | null, serverAddress: string, logger: Logger) {
    this.table = table;
    this.writer = writer;
    this.serverAddress = serverAddress;
    this.logger = logger;
    const pool = table.pool;
    this.network = { netmask: pool.netmask, router: pool.router, dns: pool.dns, leaseSeconds: pool.leaseSeconds };
  }

  /** Builds the pool and loads the lease file (if any) before the server answers anyone. */
  static async create(options: ResolvedDhcpOptions, logger: Logger): Promise<FullModeResponder> {
    const table = new LeaseTable(options.pool as NonNullable<ResolvedDhcpOptions['pool']>, options.serverAddress, options.clock);
    let writer: LeaseFileWriter | null = null;
    if (options.leaseFile) {
      const dropped = table.restore(await loadLeaseFile(options.leaseFile));
      if (dropped.length > 0) logger.warn({ leaseFile: options.leaseFile, dropped: dropped.map((l) => l.address) }, 'leases outside the configured pool were dropped');
      writer = new LeaseFileWriter(options.leaseFile, () => table.records());
    }
    return new FullModeResponder(table, writer, options.serverAddress, logger);
  }

  /** Current leases (for status and tests). */
  leases(): LeaseRecord[] {
    return this.table.records();
  }

  /** A relayed request from a network this pool does not serve, or a REQUEST meant for another server: no policy call needed. */
  precheck(message: DhcpMessage): string | null {
    if (message.giaddr !== ZERO_ADDRESS && !this.table.inSubnet(message.giaddr)) return 'no-pool-for-relay';
    const type = message.options.messageType;
    if (type === MESSAGE_TYPE.REQUEST && message.options.serverId !== undefined && message.options.serverId !== this.serverAddress) {
      // SELECTING state, and the client chose someone else's offer.
      this.table.cancelOffer(leaseClient(message));
      return 'other-server';
    }
    return null;
  }

  async answer(message: DhcpMessage, offer: BootOffer): Promise<FullModeAnswer> {
    switch (message.options.messageType) {
      case MESSAGE_TYPE.DISCOVER:
        return this.discover(message, offer);
      case MESSAGE_TYPE.REQUEST:
        return this.request(message, offer);
      case MESSAGE_TYPE.INFORM:
        if (message.ciaddr === ZERO_ADDRESS) return { kind: 'silent', reason: 'inform-without-address' };
        return { kind: 'reply', message: informAck(message, offer, this.network, this.serverAddress), reply: 'ACK' };
      default:
        return { kind: 'silent', reason: 'unsupported-message' };
    }
  }

  /** RELEASE and DECLINE: no reply, only bookkeeping (persisted). */
  async record(message: DhcpMessage): Promise<string> {
    const client = leaseClient(message);
    if (message.options.serverId !== undefined && message.options.serverId !== this.serverAddress) return 'other-server';
    if (message.options.messageType === MESSAGE_TYPE.RELEASE) {
      if (!this.table.release(client, message.ciaddr)) return 'unknown-lease';
      this.logger.info({ mac: client.mac, address: message.ciaddr }, 'lease released');
    } else {
      const address = message.options.requestedAddress;
      if (address === undefined || !this.table.decline(client, address)) return 'unknown-lease';
      this.logger.warn({ mac: client.mac, address }, 'client declined the address (another host answers ARP for it); it is kept out of the pool for a while');
    }
    await this.writer?.save();
    return 'recorded';
  }

  async close(): Promise<void> {
    await this.writer?.flush();
  }

  private discover(message: DhcpMessage, offer: BootOffer): FullModeAnswer {
    const lease = this.table.offer(leaseClient(message), message.options.requestedAddress);
    if (!lease) {
      const line = this.exhaustedLog.take();
      if (line) this.logger.warn({ mac: message.chaddr, pool: `${this.table.pool.start}-${this.table.pool.end}`, ...line }, 'DHCP pool exhausted: no address to offer');
      return { kind: 'silent', reason: 'pool-exhausted' };
    }
    return { kind: 'reply', message: leaseReply(message, MESSAGE_TYPE.OFFER, lease, offer, this.network, this.serverAddress), reply: 'OFFER' };
  }

  private async request(message: DhcpMessage, offer: BootOffer): Promise<FullModeAnswer> {
    const client = leaseClient(message);
    const { serverId, requestedAddress } = message.options;
    let address: string;
    if (serverId !== undefined || requestedAddress !== undefined) {
      // SELECTING (server id present) or INIT-REBOOT: the address is in option 50.
      if (requestedAddress === undefined) return { kind: 'silent', reason: 'request-without-address' };
      if (!this.table.inSubnet(requestedAddress)) return this.refuse(message, requestedAddress, 'address is not on this network');
      address = requestedAddress;
    } else if (message.ciaddr !== ZERO_ADDRESS) {
      address = message.ciaddr; // RENEWING or REBINDING
    } else {
      return { kind: 'silent', reason: 'request-without-address' };
    }
    const result = this.table.bind(client, address);
    if (!result.ok) {
      const why = { 'outside-pool': 'address is not in the pool', taken: 'address is leased to another client', declined: 'address was declined' }[result.reason];
      return this.refuse(message, address, why);
    }
    try {
      await this.writer?.save();
    } catch (error) {
      this.logger.error({ err: error, mac: client.mac, address }, 'lease not saved, so not acknowledged; the client will retry');
      return { kind: 'silent', reason: 'lease-file-error' };
    }
    return { kind: 'reply', message: leaseReply(message, MESSAGE_TYPE.ACK, result.lease, offer, this.network, this.serverAddress), reply: 'ACK' };
  }

  private refuse(message: DhcpMessage, address: string, why: string): FullModeAnswer {
    this.logger.info({ mac: message.chaddr, address, why }, 'DHCPNAK');
    return { kind: 'reply', message: nak(message, this.serverAddress, why), reply: 'NAK' };
  }
}
