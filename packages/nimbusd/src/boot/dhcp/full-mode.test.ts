import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MESSAGE_TYPE } from './options.ts';
import type { DhcpMessage } from './packet.ts';
import { DhcpServer } from './server.ts';
import type { DhcpServerOptions } from './server-options.ts';
import { capturingLogger, clientMessage, discover, DhcpPeer, EventLog, RecordingPolicy } from './testdata/dhcp-peer.ts';

const SERVER = '127.0.0.1';
const POOL = { start: '127.0.0.100', end: '127.0.0.102', netmask: '255.255.255.0', router: '127.0.0.254', dns: ['127.0.0.53'], leaseSeconds: 600 };
const mac = (n: number): string => `52:54:00:bb:00:${n.toString(16).padStart(2, '0')}`;
const STRANGER = '52:54:00:bb:00:ff';

const policy = new RecordingPolicy((request) => (request.mac === STRANGER ? null : { bootFile: request.isIpxe ? 'http://127.0.0.1:8080/boot.ipxe' : 'undionly.kpxe' }));

describe('DhcpServer in full mode', () => {
  let dir: string;
  let client: DhcpPeer;
  let server: DhcpServer | undefined;
  let events: EventLog;
  let log: ReturnType<typeof capturingLogger>;

  async function start(extra: Partial<DhcpServerOptions> = {}): Promise<DhcpServer> {
    server = await DhcpServer.listen({
      mode: 'full',
      serverAddress: SERVER,
      listenAddress: SERVER,
      broadcastAddress: SERVER,
      ports: { server: 0, client: client.port },
      pool: POOL,
      leaseFile: join(dir, 'leases.json'),
      policy,
      logger: log.logger,
      onEvent: events.onEvent,
      ...extra,
    });
    return server;
  }

  const port = (): number => (server as DhcpServer).address.server.port;

  /** DISCOVER, then REQUEST what was offered (SELECTING); returns the ACK. */
  async function lease(n: number): Promise<DhcpMessage> {
    const { message: offer } = await client.exchange(discover(mac(n)), port());
    const request = clientMessage(MESSAGE_TYPE.REQUEST, mac(n), { serverId: SERVER, requestedAddress: offer.yiaddr }, { xid: offer.xid });
    await client.send(request, port());
    return (await client.next((m) => m.xid === offer.xid && m.options.messageType !== MESSAGE_TYPE.OFFER)).message;
  }

  beforeAll(async () => {
    client = await DhcpPeer.open();
  });
  afterAll(async () => {
    await client.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nimbus-dhcp-full-'));
    events = new EventLog();
    log = capturingLogger();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('offers an address from the pool with the network settings and the boot file', async () => {
    await start();
    const request = discover(mac(1), { parameterList: [1, 3, 6, 66, 67] });
    const { message: offer } = await client.exchange(request, port());
    expect(offer).toMatchObject({ op: 2, xid: request.xid, yiaddr: '127.0.0.100', siaddr: SERVER, file: 'undionly.kpxe', chaddr: mac(1) });
    expect(offer.options).toEqual({
      messageType: MESSAGE_TYPE.OFFER,
      serverId: SERVER,
      leaseSeconds: 600,
      renewalSeconds: 300,
      rebindingSeconds: 525,
      subnetMask: '255.255.255.0',
      routers: ['127.0.0.254'],
      dnsServers: ['127.0.0.53'],
      tftpServerName: SERVER,
      bootFileName: 'undionly.kpxe',
    });
  });

  it('acknowledges the offered address, records the lease on disk, and gives the same client the same address again', async () => {
    await start();
    const ack = await lease(1);
    expect(ack.options.messageType).toBe(MESSAGE_TYPE.ACK);
    expect(ack.yiaddr).toBe('127.0.0.100');
    const onDisk = JSON.parse(readFileSync(join(dir, 'leases.json'), 'utf8')) as { leases: Array<{ address: string; state: string; mac: string }> };
    expect(onDisk.leases).toMatchObject([{ address: '127.0.0.100', state: 'bound', mac: mac(1) }]);
    expect((await client.exchange(discover(mac(1)), port())).message.yiaddr).toBe('127.0.0.100');
    expect((await client.exchange(discover(mac(2)), port())).message.yiaddr).toBe('127.0.0.101');
  });

  it('NAKs a request for an address another client holds, or one off this network', async () => {
    await start();
    await lease(1);
    const taken = clientMessage(MESSAGE_TYPE.REQUEST, mac(2), { requestedAddress: '127.0.0.100' });
    const { message: nak, from } = await client.exchange(taken, port());
    expect(nak.options).toMatchObject({ messageType: MESSAGE_TYPE.NAK, serverId: SERVER, message: 'address is leased to another client' });
    expect(nak.yiaddr).toBe('0.0.0.0');
    expect(from.port).toBe(port());
    const elsewhere = clientMessage(MESSAGE_TYPE.REQUEST, mac(2), { requestedAddress: '10.1.2.3' });
    expect((await client.exchange(elsewhere, port())).message.options).toMatchObject({ messageType: MESSAGE_TYPE.NAK, message: 'address is not on this network' });
  });

  it('acknowledges INIT-REBOOT for the client\'s own address', async () => {
    await start();
    await lease(1);
    const reboot = clientMessage(MESSAGE_TYPE.REQUEST, mac(1), { requestedAddress: '127.0.0.100' });
    expect((await client.exchange(reboot, port())).message).toMatchObject({ yiaddr: '127.0.0.100', options: { messageType: MESSAGE_TYPE.ACK } });
  });

  it('renews a lease by unicast to the client\'s address', async () => {
    await start();
    await lease(1);
    const leased = await DhcpPeer.open('127.0.0.100', client.port);
    try {
      const renew = clientMessage(MESSAGE_TYPE.REQUEST, mac(1), {}, { ciaddr: '127.0.0.100', flags: 0 });
      await client.send(renew, port());
      const { message } = await leased.next((m) => m.xid === renew.xid);
      expect(message).toMatchObject({ ciaddr: '127.0.0.100', yiaddr: '127.0.0.100', options: { messageType: MESSAGE_TYPE.ACK, leaseSeconds: 600 } });
    } finally {
      await leased.close();
    }
  });

  it('drops its offer when the client picks another server', async () => {
    await start();
    const { message: offer } = await client.exchange(discover(mac(1)), port());
    await client.send(clientMessage(MESSAGE_TYPE.REQUEST, mac(1), { serverId: '127.0.0.9', requestedAddress: '127.0.0.50' }), port());
    await events.wait((e) => e.reason === 'other-server');
    // Once the never-used addresses are gone, a newcomer gets it: it is not held for the full OFFER_HOLD_MS.
    await lease(2);
    await lease(3);
    expect((await client.exchange(discover(mac(4)), port())).message.yiaddr).toBe(offer.yiaddr);
  });

  it('stays silent when the pool is exhausted, and logs it', async () => {
    await start();
    for (const n of [1, 2, 3]) await lease(n);
    const request = discover(mac(4));
    await client.send(request, port());
    expect(await events.wait((e) => e.mac === mac(4))).toMatchObject({ outcome: 'ignored', reason: 'pool-exhausted' });
    expect(client.received.some((r) => r.message.xid === request.xid)).toBe(false);
    expect(log.lines().some((line) => line.msg === 'DHCP pool exhausted: no address to offer' && line.mac === mac(4))).toBe(true);
  });

  it('stays silent for a client the policy does not boot', async () => {
    await start();
    await client.send(discover(STRANGER), port());
    expect(await events.wait((e) => e.mac === STRANGER)).toMatchObject({ outcome: 'ignored', reason: 'policy-null' });
  });

  it('takes a released address back and keeps a declined one out of the pool', async () => {
    await start();
    const ack = await lease(1);
    await client.send(clientMessage(MESSAGE_TYPE.RELEASE, mac(1), { serverId: SERVER }, { ciaddr: ack.yiaddr, flags: 0 }), port());
    expect(await events.wait((e) => e.messageType === 'RELEASE')).toMatchObject({ outcome: 'ignored', reason: 'recorded' });
    expect(server?.leases()).toMatchObject([{ address: '127.0.0.100', state: 'released' }]);
    await client.send(clientMessage(MESSAGE_TYPE.DECLINE, mac(2), { serverId: SERVER, requestedAddress: '127.0.0.101' }), port());
    expect(await events.wait((e) => e.messageType === 'DECLINE')).toMatchObject({ reason: 'recorded' });
    expect((await client.exchange(discover(mac(2)), port())).message.yiaddr).toBe('127.0.0.102');
  });

  it('answers INFORM with the settings and boot file but no lease', async () => {
    await start();
    const inform = clientMessage(MESSAGE_TYPE.INFORM, mac(5), {}, { ciaddr: '127.0.0.1', flags: 0 });
    const { message } = await client.exchange(inform, port());
    expect(message).toMatchObject({ yiaddr: '0.0.0.0', ciaddr: '127.0.0.1', file: 'undionly.kpxe', options: { messageType: MESSAGE_TYPE.ACK, subnetMask: '255.255.255.0' } });
    expect(message.options.leaseSeconds).toBeUndefined();
    expect(server?.leases()).toEqual([]);
  });

  it('answers a relayed DISCOVER through the relay', async () => {
    await start();
    const relay = await DhcpPeer.open('127.0.0.2', port());
    try {
      const request = discover(mac(6), {}, { giaddr: '127.0.0.2', hops: 1 });
      await client.send(request, port());
      const { message } = await relay.next((m) => m.xid === request.xid);
      expect(message).toMatchObject({ giaddr: '127.0.0.2', yiaddr: '127.0.0.100' });
    } finally {
      await relay.close();
    }
  });

  it('keeps leases across a restart, so a leased address is not handed to someone else', async () => {
    await start();
    const first = await lease(1);
    await server?.close();
    await start();
    expect((await client.exchange(discover(mac(2)), port())).message.yiaddr).not.toBe(first.yiaddr);
    expect((await client.exchange(discover(mac(1)), port())).message.yiaddr).toBe(first.yiaddr);
  });

  it('refuses to start on a lease file it cannot read', async () => {
    writeFileSync(join(dir, 'leases.json'), 'not json');
    await expect(start()).rejects.toThrow(/lease file .*leases\.json: is not JSON/);
  });
});
