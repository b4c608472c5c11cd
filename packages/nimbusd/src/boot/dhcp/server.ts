/**
 * nimbusd's DHCPv4 server for network boot. A generic protocol server: it parses packets,
 * asks the `BootPolicy` what each client boots, and answers; it knows nothing about
 * machines. Silence is the answer to everyone the policy returns null for.
 *
 * - proxy mode (default): next to the site's DHCP server, answers PXE clients' DISCOVERs
 *   with a proxy OFFER (boot information, no address) on port 67, and their REQUESTs on the
 *   PXE port 4011 with an ACK naming the boot file.
 * - full mode (isolated provisioning network): also hands out addresses from a pool, with
 *   leases kept in a JSON file across restarts.
 *
 * Replies go to a relay agent (giaddr) on the server port, to a client that has an address
 * (ciaddr) directly, and otherwise to `broadcastAddress` on the client port. Broadcasts
 * leave through the interface that owns `serverAddress`, with no route needed: no default
 * route, and no `ip route add 255.255.255.255/32 dev ...` either (see udp-endpoint.ts for
 * why and how). `listenAddress` must stay 0.0.0.0 (the default) for the server to hear
 * clients' broadcasts; a unicast address hears only relay agents, renewals and tests.
 * The server cannot tell which interface a packet came in on: on a host with several
 * networks, a DISCOVER from any of them is answered (through `serverAddress`'s interface).
 */
import { silentLogger, type Logger } from '../../logging/index.ts';
import type { BootOffer, BootPolicy } from '../policy.ts';
import { isPxeClient, toBootRequest } from './boot-request.ts';
import { DhcpPacketError } from './errors.ts';
import { FullModeResponder } from './full-mode.ts';
import { ZERO_ADDRESS } from './ipv4.ts';
import type { LeaseRecord } from './leases.ts';
import { LogLimiter } from '../log-limiter.ts';
import { MESSAGE_TYPE, messageTypeName } from './options.ts';
import { BOOTREQUEST, DHCP_MAX_MESSAGE_BYTES, DHCP_MIN_MAX_MESSAGE_BYTES, encodeDhcpMessage, parseDhcpMessage, type DhcpMessage } from './packet.ts';
import { proxyOffer, pxeAck } from './replies.ts';
import { resolveDhcpOptions, type DhcpEvent, type DhcpPort, type DhcpServerOptions, type ResolvedDhcpOptions } from './server-options.ts';
import { UdpEndpoint, type BoundAddress } from './udp-endpoint.ts';

/** How many leading bytes of a malformed packet are logged. */
const LOGGED_HEAD_BYTES = 32;

type Answer = { kind: 'reply'; message: DhcpMessage; reply: 'OFFER' | 'ACK' | 'NAK' } | { kind: 'silent'; reason: string };

class PolicyTimeoutError extends Error {}

export class DhcpServer {
  private readonly options: ResolvedDhcpOptions;
  private readonly policy: BootPolicy;
  private readonly logger: Logger;
  private readonly onEvent: ((event: DhcpEvent) => void) | undefined;
  private readonly full: FullModeResponder | null;
  private readonly malformedLog = new LogLimiter();
  private readonly policyLog = new LogLimiter();
  private dhcp: UdpEndpoint | null = null;
  private pxe: UdpEndpoint | null = null;
  private inFlight = 0;
  private closed = false;

  private constructor(options: DhcpServerOptions, resolved: ResolvedDhcpOptions, full: FullModeResponder | null, logger: Logger) {
    this.options = resolved;
    this.policy = options.policy;
    this.logger = logger;
    this.onEvent = options.onEvent;
    this.full = full;
  }

  /** Validates the options, loads the lease file (full mode), binds the ports, and resolves once packets are being received. */
  static async listen(options: DhcpServerOptions): Promise<DhcpServer> {
    const resolved = resolveDhcpOptions(options);
    const logger = (options.logger ?? silentLogger()).child({ subsystem: 'dhcp' });
    const full = resolved.mode === 'full' ? await FullModeResponder.create(resolved, logger) : null;
    const server = new DhcpServer(options, resolved, full, logger);
    const onError = (error: Error): void => logger.error({ err: error }, 'DHCP socket error');
    const { listenAddress, serverAddress, ports } = resolved;
    server.dhcp = await UdpEndpoint.open(listenAddress, ports.server, serverAddress, (p, from) => server.receive('dhcp', p, from), onError);
    if (resolved.mode === 'proxy') {
      try {
        server.pxe = await UdpEndpoint.open(listenAddress, ports.proxy, serverAddress, (p, from) => server.receive('pxe', p, from), onError);
      } catch (error) {
        await server.dhcp.close();
        throw error;
      }
    }
    logger.info({ mode: resolved.mode, serverAddress, listen: server.address }, 'DHCP server listening');
    return server;
  }

  /** The bound ports; `proxy` is null in full mode. */
  get address(): { server: BoundAddress; proxy: BoundAddress | null } {
    if (!this.dhcp) throw new Error('DHCP server is not listening');
    return { server: this.dhcp.address, proxy: this.pxe?.address ?? null };
  }

  /** Full mode's leases (empty in proxy mode). */
  leases(): LeaseRecord[] {
    return this.full?.leases() ?? [];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.dhcp?.close(), this.pxe?.close()]);
    await this.full?.close();
  }

  private receive(port: DhcpPort, packet: Buffer, from: BoundAddress): void {
    if (this.inFlight >= this.options.maxInFlight) {
      this.emit({ port, messageType: 'UNKNOWN', outcome: 'ignored', reason: 'busy' });
      return;
    }
    this.inFlight += 1;
    this.handle(port, packet, from)
      .catch((error: unknown) => this.logger.error({ err: error, from }, 'DHCP packet handling failed'))
      .finally(() => (this.inFlight -= 1));
  }

  private async handle(port: DhcpPort, packet: Buffer, from: BoundAddress): Promise<void> {
    let message: DhcpMessage;
    try {
      message = parseDhcpMessage(packet);
    } catch (error) {
      if (!(error instanceof DhcpPacketError)) throw error;
      const line = this.malformedLog.take();
      if (line) {
        const head = packet.subarray(0, LOGGED_HEAD_BYTES).toString('hex');
        this.logger.warn({ from, bytes: packet.length, problem: error.problem, offset: error.offset, head, ...line }, `malformed DHCP packet dropped: ${error.message}`);
      }
      this.emit({ port, messageType: 'MALFORMED', outcome: 'malformed', reason: error.problem });
      return;
    }
    const messageType = messageTypeName(message.options.messageType);
    const base = { port, messageType, mac: message.chaddr };
    const answer = message.op === BOOTREQUEST ? await this.decide(port, message) : { kind: 'silent' as const, reason: 'not-a-request' };
    if (answer.kind === 'silent') {
      this.emit({ ...base, outcome: 'ignored', reason: answer.reason });
      return;
    }
    const sent = await this.send(port, message, answer.message, from);
    if (sent !== true) this.emit({ ...base, outcome: 'ignored', reason: sent });
    else this.emit({ ...base, outcome: 'answered', reply: answer.reply });
  }

  private async decide(port: DhcpPort, message: DhcpMessage): Promise<Answer> {
    const type = message.options.messageType;
    if (this.full) {
      if (type === MESSAGE_TYPE.RELEASE || type === MESSAGE_TYPE.DECLINE) return { kind: 'silent', reason: await this.full.record(message) };
      if (type !== MESSAGE_TYPE.DISCOVER && type !== MESSAGE_TYPE.REQUEST && type !== MESSAGE_TYPE.INFORM) return { kind: 'silent', reason: 'unsupported-message' };
      const skip = this.full.precheck(message);
      if (skip) return { kind: 'silent', reason: skip };
      const offer = await this.askPolicy(message);
      return typeof offer === 'string' ? { kind: 'silent', reason: offer } : this.full.answer(message, offer);
    }
    const expected = port === 'dhcp' ? MESSAGE_TYPE.DISCOVER : MESSAGE_TYPE.REQUEST;
    if (type !== expected) return { kind: 'silent', reason: 'unsupported-message' };
    if (!isPxeClient(message)) return { kind: 'silent', reason: 'not-pxe' };
    if (port === 'pxe' && message.options.serverId !== undefined && message.options.serverId !== this.options.serverAddress) {
      return { kind: 'silent', reason: 'other-server' };
    }
    const offer = await this.askPolicy(message);
    if (typeof offer === 'string') return { kind: 'silent', reason: offer };
    // Proxy DHCP only ever says where to boot from; with nothing to boot, the site's server has said all.
    if (offer.bootFile === null) return { kind: 'silent', reason: 'no-boot-file' };
    const { serverAddress } = this.options;
    return port === 'dhcp'
      ? { kind: 'reply', message: proxyOffer(message, offer, serverAddress, toBootRequest(message).isIpxe), reply: 'OFFER' }
      : { kind: 'reply', message: pxeAck(message, offer, serverAddress), reply: 'ACK' };
  }

  /** The policy's offer, or why there is none. A throwing or slow policy affects only this packet. */
  private async askPolicy(message: DhcpMessage): Promise<BootOffer | string> {
    const request = toBootRequest(message);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PolicyTimeoutError()), this.options.policyTimeoutMs);
      });
      const offer = await Promise.race([Promise.resolve().then(() => this.policy.offer(request)), timeout]);
      if (!offer) return 'policy-null';
      if (offer.bootFile !== null && (typeof offer.bootFile !== 'string' || offer.bootFile === '')) throw new Error('the policy returned an offer with an empty bootFile');
      return offer;
    } catch (error) {
      const timedOut = error instanceof PolicyTimeoutError;
      const line = this.policyLog.take();
      if (line) {
        const details = { mac: request.mac, ...line, ...(timedOut ? { timeoutMs: this.options.policyTimeoutMs } : { err: error }) };
        this.logger.warn(details, timedOut ? 'boot policy did not answer in time; request dropped' : 'boot policy failed; request dropped');
      }
      return timedOut ? 'policy-timeout' : 'policy-error';
    } finally {
      clearTimeout(timer);
    }
  }

  /** True when sent; otherwise why not. */
  private async send(port: DhcpPort, request: DhcpMessage, reply: DhcpMessage, from: BoundAddress): Promise<true | string> {
    const endpoint = port === 'dhcp' ? this.dhcp : this.pxe;
    if (this.closed || !endpoint) return 'closed';
    const to = this.destination(port, request, reply, from);
    let bytes: Buffer;
    try {
      const limit = Math.min(DHCP_MAX_MESSAGE_BYTES, Math.max(DHCP_MIN_MAX_MESSAGE_BYTES, request.options.maxMessageSize ?? 0));
      bytes = encodeDhcpMessage(reply, limit);
    } catch (error) {
      this.logger.error({ err: error, mac: request.chaddr }, 'DHCP reply could not be encoded');
      return 'encode-error';
    }
    try {
      await endpoint.send(bytes, to);
    } catch (error) {
      if (this.closed) return 'closed';
      this.logger.error({ err: error, mac: request.chaddr, to }, 'DHCP reply could not be sent');
      return 'send-error';
    }
    const type = messageTypeName(reply.options.messageType);
    this.logger.info({ mac: request.chaddr, reply: type, yiaddr: reply.yiaddr, bootFile: reply.options.bootFileName ?? reply.file, to }, `DHCP${type} sent`);
    return true;
  }

  /** RFC 2131 §4.1: relay first, then a client that has an address, else broadcast. */
  private destination(port: DhcpPort, request: DhcpMessage, reply: DhcpMessage, from: BoundAddress): BoundAddress {
    const { ports, broadcastAddress } = this.options;
    if (port === 'pxe') {
      // The PXE client already has an address and waits on the port it sent from (EDK2: 4011, iPXE: 68).
      return from.address === ZERO_ADDRESS ? { address: broadcastAddress, port: from.port } : from;
    }
    // Relays listen on the server port; the bound one, which differs from ports.server only when that was 0.
    if (request.giaddr !== ZERO_ADDRESS) return { address: request.giaddr, port: this.dhcp?.address.port ?? ports.server };
    if (reply.options.messageType !== MESSAGE_TYPE.NAK && request.ciaddr !== ZERO_ADDRESS) return { address: request.ciaddr, port: ports.client };
    // Unicast to yiaddr would need an ARP entry for a host that has no address yet; broadcast always reaches it.
    return { address: broadcastAddress, port: ports.client };
  }

  private emit(event: DhcpEvent): void {
    try {
      this.onEvent?.(event);
    } catch (error) {
      this.logger.error({ err: error }, 'DHCP onEvent handler threw');
    }
  }
}
