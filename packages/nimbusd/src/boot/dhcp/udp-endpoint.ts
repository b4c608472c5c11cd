/**
 * One UDP port of the server. Node cannot bind a socket to a device (SO_BINDTODEVICE) or
 * pick the outgoing interface per packet (IP_PKTINFO), and Linux routes a limited
 * broadcast (255.255.255.255) sent from a socket bound to 0.0.0.0 like any other
 * destination: with no default route the send fails with ENETUNREACH, and with a default
 * route the broadcast leaves through the default route's interface, which may not be the
 * boot network. Sent from a socket bound to the interface's own address, the kernel uses
 * that interface and needs no route (measured in network namespaces on Linux 6.x).
 *
 * So when listening on the wildcard address (needed to receive broadcasts), a second
 * socket is bound to the server's address on the same port (both with SO_REUSEADDR) and
 * replies go out through it. Broadcasts arrive only on the wildcard socket and unicast to
 * the server's address only on the specific one, so no packet is seen twice.
 */
import { createSocket, type Socket } from 'node:dgram';
import { DhcpBindError } from './errors.ts';
import { ZERO_ADDRESS } from './ipv4.ts';

export interface BoundAddress {
  address: string;
  port: number;
}

export type PacketHandler = (packet: Buffer, from: BoundAddress) => void;

function bindHint(code: string | undefined): string {
  switch (code) {
    case 'EADDRINUSE':
      return 'another DHCP server (dnsmasq, isc-dhcp-server, another nimbusd) already listens there; stop it or use proxy mode next to it';
    case 'EACCES':
      return 'ports below 1024 need root or CAP_NET_BIND_SERVICE';
    case 'EADDRNOTAVAIL':
      return 'no interface of this host has that address; check serverAddress/listenAddress';
    default:
      return 'check the address and port';
  }
}

function bindSocket(address: string, port: number, reuseAddr: boolean, onPacket: PacketHandler): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: 'udp4', reuseAddr });
    const failed = (error: NodeJS.ErrnoException): void => {
      try {
        socket.close();
      } catch {
        // Already closed by the failed bind.
      }
      reject(new DhcpBindError(`cannot bind UDP ${address}:${port}: ${error.code ?? error.message}; ${bindHint(error.code)}`, { cause: error }));
    };
    socket.once('error', failed);
    socket.on('message', (packet, remote) => onPacket(packet, { address: remote.address, port: remote.port }));
    socket.bind(port, address, () => {
      socket.off('error', failed);
      socket.setBroadcast(true);
      resolve(socket);
    });
  });
}

export class UdpEndpoint {
  private readonly listener: Socket;
  private readonly sender: Socket;

  private constructor(listener: Socket, sender: Socket) {
    this.listener = listener;
    this.sender = sender;
  }

  static async open(listenAddress: string, port: number, serverAddress: string, onPacket: PacketHandler, onError: (error: Error) => void): Promise<UdpEndpoint> {
    const split = listenAddress === ZERO_ADDRESS;
    const listener = await bindSocket(listenAddress, port, split, onPacket);
    let sender = listener;
    if (split) {
      try {
        sender = await bindSocket(serverAddress, listener.address().port, true, onPacket);
      } catch (error) {
        listener.close();
        throw error;
      }
    }
    for (const socket of new Set([listener, sender])) socket.on('error', onError);
    return new UdpEndpoint(listener, sender);
  }

  get address(): BoundAddress {
    const { address, port } = this.listener.address();
    return { address, port };
  }

  send(packet: Buffer, to: BoundAddress): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sender.send(packet, to.port, to.address, (error) => (error ? reject(error) : resolve()));
    });
  }

  async close(): Promise<void> {
    const sockets = new Set([this.listener, this.sender]);
    await Promise.all([...sockets].map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  }
}
