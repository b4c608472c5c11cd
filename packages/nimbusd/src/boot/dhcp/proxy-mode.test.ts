import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BootRequest } from '../policy.ts';
import { DhcpBindError, DhcpConfigError } from './errors.ts';
import { MESSAGE_TYPE, PXE_SUBOPTION } from './options.ts';
import { encodeDhcpMessage } from './packet.ts';
import { DhcpServer } from './server.ts';
import { BIOS_PXE, capturingLogger, clientMessage, discover, DhcpPeer, EventLog, IPXE, RecordingPolicy, UEFI_PXE, UUID } from './testdata/dhcp-peer.ts';

const KNOWN = '52:54:00:aa:00:01';
const UNKNOWN = '52:54:00:aa:00:99';
const THROWS = '52:54:00:aa:00:e1';
const HANGS = '52:54:00:aa:00:e2';
const SCRIPT = 'http://127.0.0.1:8080/boot/52-54-00-aa-00-01.ipxe';

function bootFile(request: BootRequest): string {
  if (request.isIpxe) return SCRIPT;
  return request.arch === 'bios' ? 'undionly.kpxe' : 'ipxe.efi';
}

describe('DhcpServer in proxy mode', () => {
  let server: DhcpServer;
  let client: DhcpPeer;
  const events = new EventLog();
  const log = capturingLogger();
  const policy = new RecordingPolicy((request) => {
    if (request.mac === THROWS) throw new Error('policy exploded');
    if (request.mac === HANGS) return new Promise(() => undefined);
    return request.mac === KNOWN ? { bootFile: bootFile(request) } : null;
  });

  beforeAll(async () => {
    client = await DhcpPeer.open();
    server = await DhcpServer.listen({
      serverAddress: '127.0.0.1',
      listenAddress: '127.0.0.1',
      broadcastAddress: '127.0.0.1',
      ports: { server: 0, client: client.port, proxy: 0 },
      policy,
      logger: log.logger,
      onEvent: events.onEvent,
      policyTimeoutMs: 300,
    });
  });
  afterAll(async () => {
    await server?.close();
    await client?.close();
  });
  afterEach(() => {
    policy.requests.length = 0;
  });

  const serverPort = (): number => server.address.server.port;
  const pxePort = (): number => server.address.proxy?.port as number;

  it('offers a BIOS PXE ROM the boot file with discovery control, and no address', async () => {
    const request = discover(KNOWN, BIOS_PXE);
    const { message: offer, from } = await client.exchange(request, serverPort());
    expect(from).toEqual({ address: '127.0.0.1', port: serverPort() });
    expect(offer).toMatchObject({ op: 2, xid: request.xid, chaddr: KNOWN, yiaddr: '0.0.0.0', siaddr: '127.0.0.1', sname: '127.0.0.1', file: 'undionly.kpxe', flags: 0x8000 });
    expect(offer.options).toMatchObject({ messageType: MESSAGE_TYPE.OFFER, serverId: '127.0.0.1', vendorClass: 'PXEClient', clientUuid: UUID });
    expect(offer.options.pxe?.get(PXE_SUBOPTION.DISCOVERY_CONTROL)).toEqual(Buffer.from([8]));
    expect(offer.options.leaseSeconds).toBeUndefined();
    expect(policy.requests).toEqual([{ mac: KNOWN, arch: 'bios', archCode: 0, isIpxe: false, vendorClass: BIOS_PXE.vendorClass }]);
  });

  it('offers UEFI firmware its boot file without option 43, so it asks on port 4011', async () => {
    const { message: offer } = await client.exchange(discover(KNOWN, UEFI_PXE), serverPort());
    expect(offer).toMatchObject({ yiaddr: '0.0.0.0', siaddr: '127.0.0.1', file: 'ipxe.efi' });
    expect(offer.options).toMatchObject({ vendorClass: 'PXEClient', serverId: '127.0.0.1', clientUuid: UUID });
    expect(offer.options.vendorSpecific).toBeUndefined();
    expect(policy.requests[0]).toMatchObject({ arch: 'uefi-x64', archCode: 7, isIpxe: false });
  });

  it('offers iPXE the URL of its script', async () => {
    const { message: offer } = await client.exchange(discover(KNOWN, IPXE), serverPort());
    expect(offer).toMatchObject({ file: SCRIPT, sname: '', yiaddr: '0.0.0.0' });
    expect(offer.options.pxe?.get(PXE_SUBOPTION.DISCOVERY_CONTROL)).toEqual(Buffer.from([8]));
    expect(policy.requests[0]).toMatchObject({ isIpxe: true, arch: 'bios' });
  });

  it('counts option 175 alone as iPXE', async () => {
    await client.exchange(discover(KNOWN, { ...BIOS_PXE, ipxe: new Map([[0x13, Buffer.from([1])]]) }), serverPort());
    expect(policy.requests[0]?.isIpxe).toBe(true);
  });

  it('answers a REQUEST on port 4011 with an ACK naming the boot file, to the port it came from', async () => {
    const request = clientMessage(MESSAGE_TYPE.REQUEST, KNOWN, { ...UEFI_PXE, serverId: '127.0.0.1' }, { ciaddr: '127.0.0.1', flags: 0 });
    const { message: ack, from } = await client.exchange(request, pxePort());
    expect(from.port).toBe(pxePort());
    expect(ack).toMatchObject({ op: 2, xid: request.xid, ciaddr: '127.0.0.1', yiaddr: '0.0.0.0', siaddr: '127.0.0.1', file: 'ipxe.efi' });
    expect(ack.options).toMatchObject({ messageType: MESSAGE_TYPE.ACK, serverId: '127.0.0.1', vendorClass: 'PXEClient', clientUuid: UUID });
  });

  it('names the same boot item in the ACK to a PXE boot server discovery', async () => {
    const item = Buffer.from([0x80, 0x00, 0x00, 0x00]);
    const request = clientMessage(MESSAGE_TYPE.REQUEST, KNOWN, { ...BIOS_PXE, pxe: new Map([[PXE_SUBOPTION.BOOT_ITEM, item]]) }, { ciaddr: '127.0.0.1' });
    const { message: ack } = await client.exchange(request, pxePort());
    expect(ack.options.pxe?.get(PXE_SUBOPTION.BOOT_ITEM)).toEqual(item);
    expect(ack.file).toBe('undionly.kpxe');
  });

  it('stays silent for a MAC the policy does not know, and for clients that are not PXE clients', async () => {
    const before = events.events.length;
    const unknown = discover(UNKNOWN, BIOS_PXE);
    await client.send(unknown, serverPort());
    await events.wait((e) => e.mac === UNKNOWN && e.reason === 'policy-null', before);
    const plain = discover(KNOWN, { parameterList: [1, 3, 6] });
    await client.send(plain, serverPort());
    await events.wait((e) => e.mac === KNOWN && e.reason === 'not-pxe', before);
    expect(policy.requests.map((r) => r.mac)).toEqual([UNKNOWN]);
    expect(client.received.some((r) => r.message.xid === unknown.xid || r.message.xid === plain.xid)).toBe(false);
  });

  it('leaves REQUESTs on port 67 to the site DHCP server', async () => {
    const before = events.events.length;
    const request = clientMessage(MESSAGE_TYPE.REQUEST, KNOWN, { ...BIOS_PXE, serverId: '127.0.0.9', requestedAddress: '127.0.0.50' });
    await client.send(request, serverPort());
    expect(await events.wait((e) => e.messageType === 'REQUEST', before)).toMatchObject({ outcome: 'ignored', reason: 'unsupported-message' });
  });

  it('answers a relay agent on its address, on the server port', async () => {
    const relay = await DhcpPeer.open('127.0.0.2', serverPort());
    try {
      const request = discover(KNOWN, BIOS_PXE, { giaddr: '127.0.0.2', hops: 1 });
      await client.send(request, serverPort());
      const { message, from } = await relay.next((m) => m.xid === request.xid);
      expect(message.giaddr).toBe('127.0.0.2');
      expect(from.port).toBe(serverPort());
    } finally {
      await relay.close();
    }
  });

  it('keeps answering other clients while the policy throws or hangs for one', async () => {
    const before = events.events.length;
    await client.send(discover(THROWS, BIOS_PXE), serverPort());
    await client.send(discover(HANGS, BIOS_PXE), serverPort());
    const { message } = await client.exchange(discover(KNOWN, BIOS_PXE), serverPort());
    expect(message.file).toBe('undionly.kpxe');
    expect(await events.wait((e) => e.mac === THROWS, before)).toMatchObject({ outcome: 'ignored', reason: 'policy-error' });
    expect(await events.wait((e) => e.mac === HANGS, before)).toMatchObject({ outcome: 'ignored', reason: 'policy-timeout' });
    expect(log.lines().some((line) => line.msg === 'boot policy failed; request dropped' && line.mac === THROWS)).toBe(true);
  });

  it('survives a flood of random, truncated and oversized packets, logging only a few lines, then answers a good client', async () => {
    const before = events.events.length;
    let seed = 7;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const good = encodeDhcpMessage(discover(UNKNOWN, BIOS_PXE));
    const total = 3000;
    for (let batch = 0; batch < total / 50; batch++) {
      for (let i = 0; i < 50; i++) {
        const kind = next();
        let bytes: Buffer;
        if (kind < 0.3) bytes = Buffer.from(Array.from({ length: Math.floor(next() * 600) }, () => Math.floor(next() * 256)));
        else if (kind < 0.6) bytes = good.subarray(0, Math.floor(next() * good.length));
        else if (kind < 0.8) bytes = Buffer.concat([good, Buffer.alloc(1500 + Math.floor(next() * 4000), 0xaa)]);
        else {
          bytes = Buffer.from(good);
          bytes[240 + Math.floor(next() * 20)] = Math.floor(next() * 256);
        }
        await client.send(bytes, serverPort());
      }
      // Let the server catch up so the loopback socket buffer never overflows.
      await events.count(before + (batch + 1) * 50, 2_000);
    }
    const processed = events.events.slice(before);
    expect(processed.length).toBeGreaterThanOrEqual(total * 0.95);
    expect(processed.filter((e) => e.outcome === 'malformed').length).toBeGreaterThan(total / 2);
    const { message } = await client.exchange(discover(KNOWN, BIOS_PXE), serverPort());
    expect(message.file).toBe('undionly.kpxe');
    const malformedLines = log.lines().filter((line) => String(line.msg).startsWith('malformed DHCP packet'));
    expect(malformedLines.length).toBeLessThanOrEqual(10);
    expect(malformedLines[0]).toMatchObject({ problem: expect.any(String), offset: expect.any(Number) });
    expect(String(malformedLines[0]?.head).length).toBeLessThanOrEqual(64);
  });
});

describe('DhcpServer.listen', () => {
  const policy = new RecordingPolicy(() => null);

  it('rejects a port that is taken, naming the address', async () => {
    const first = await DhcpServer.listen({ serverAddress: '127.0.0.1', listenAddress: '127.0.0.1', ports: { server: 0, proxy: 0 }, policy });
    try {
      const port = first.address.server.port;
      const second = DhcpServer.listen({ serverAddress: '127.0.0.1', listenAddress: '127.0.0.1', ports: { server: port, proxy: 0 }, policy });
      await expect(second).rejects.toThrow(DhcpBindError);
      await expect(second).rejects.toThrow(`cannot bind UDP 127.0.0.1:${port}: EADDRINUSE`);
    } finally {
      await first.close();
    }
  });

  it('rejects a server address this host does not have', async () => {
    await expect(DhcpServer.listen({ serverAddress: '192.0.2.77', ports: { server: 0, proxy: 0 }, policy })).rejects.toThrow(/192\.0\.2\.77:\d+: EADDRNOTAVAIL/);
  });

  it.each([
    ['a bad server address', { serverAddress: '10.0.0' }, /serverAddress/],
    ['full mode without a pool', { serverAddress: '127.0.0.1', mode: 'full' as const }, /needs a pool/],
    ['a pool in proxy mode', { serverAddress: '127.0.0.1', pool: { start: '127.0.0.10', end: '127.0.0.20', netmask: '255.255.255.0' } }, /only used in full mode/],
    ['a port out of range', { serverAddress: '127.0.0.1', ports: { server: 70000 } }, /ports.server/],
  ])('rejects %s before opening a socket', async (_name, options, message) => {
    const listening = DhcpServer.listen({ policy, ...options });
    await expect(listening).rejects.toThrow(DhcpConfigError);
    await expect(listening).rejects.toThrow(message);
  });
});
