import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../../../test/support/seeded-random.ts';
import { DhcpEncodeError, DhcpPacketError, type DhcpPacketProblem } from './errors.ts';
import { MESSAGE_TYPE, OPTION, PXE_SUBOPTION, type DhcpOptions } from './options.ts';
import { BOOTREPLY, BOOTREQUEST, DHCP_MAX_MESSAGE_BYTES, emptyMessage, encodeDhcpMessage, parseDhcpMessage, type DhcpMessage } from './packet.ts';

const MAC = '52:54:00:aa:bb:01';
const UUID = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

/** A 240-byte BOOTREQUEST header with the magic cookie, followed by `options` as given. */
function rawPacket(options: number[], edit?: (packet: Buffer) => void): Buffer {
  const packet = Buffer.alloc(240 + options.length);
  packet[0] = BOOTREQUEST;
  packet[1] = 1;
  packet[2] = 6;
  packet.writeUInt32BE(0x12345678, 4);
  Buffer.from(MAC.split(':').map((b) => Number.parseInt(b, 16))).copy(packet, 28);
  packet.writeUInt32BE(0x63825363, 236);
  Buffer.from(options).copy(packet, 240);
  edit?.(packet);
  return packet;
}

function parseError(bytes: Uint8Array): DhcpPacketError {
  try {
    parseDhcpMessage(bytes);
  } catch (error) {
    if (error instanceof DhcpPacketError) return error;
    throw error;
  }
  throw new Error('parse succeeded');
}

function request(options: DhcpOptions, edit: Partial<DhcpMessage> = {}): DhcpMessage {
  return { ...emptyMessage(BOOTREQUEST, MAC, options), xid: 0xdeadbeef, secs: 4, flags: 0x8000, ...edit };
}

describe('DHCP packet round trips', () => {
  it('keeps every field and option of a UEFI PXE DISCOVER', () => {
    const message = request({
      messageType: MESSAGE_TYPE.DISCOVER,
      maxMessageSize: 1464,
      parameterList: [1, 3, 6, 43, 60, 66, 67, 97],
      vendorClass: 'PXEClient:Arch:00007:UNDI:003016',
      clientArch: [7],
      clientNdi: { type: 1, major: 3, minor: 16 },
      clientUuid: UUID,
      clientId: Buffer.from([1, 0x52, 0x54, 0, 0xaa, 0xbb, 1]),
      hostname: 'node-1',
      requestedAddress: '10.0.0.5',
      userClass: ['iPXE'],
      ipxe: new Map([[0x13, Buffer.from([1])], [0xb1, Buffer.from([1, 0, 3, 0])]]),
      relayAgentInfo: Buffer.from([1, 2, 0xab, 0xcd]),
      other: new Map([[150, Buffer.from([10, 0, 0, 1])]]),
    });
    expect(parseDhcpMessage(encodeDhcpMessage(message))).toEqual(message);
  });

  it('keeps the options of a full-mode ACK with PXE sub-options', () => {
    const message: DhcpMessage = {
      ...emptyMessage(BOOTREPLY, MAC, {
        messageType: MESSAGE_TYPE.ACK,
        serverId: '10.0.0.1',
        leaseSeconds: 3600,
        renewalSeconds: 1800,
        rebindingSeconds: 3150,
        subnetMask: '255.255.255.0',
        routers: ['10.0.0.254'],
        dnsServers: ['10.0.0.2', '10.0.0.3'],
        tftpServerName: '10.0.0.1',
        bootFileName: 'undionly.kpxe',
        message: 'hello',
      }),
      yiaddr: '10.0.0.5',
      siaddr: '10.0.0.1',
      giaddr: '10.0.9.1',
      sname: 'boot-server',
      file: 'undionly.kpxe',
    };
    expect(parseDhcpMessage(encodeDhcpMessage(message))).toEqual(message);
  });

  it('decodes option 43 as PXE sub-options when the vendor class is PXEClient', () => {
    const pxe = new Map([[PXE_SUBOPTION.DISCOVERY_CONTROL, Buffer.from([8])], [PXE_SUBOPTION.BOOT_ITEM, Buffer.from([0x80, 0, 0, 0])]]);
    const bytes = encodeDhcpMessage(request({ messageType: MESSAGE_TYPE.REQUEST, vendorClass: 'PXEClient', pxe }));
    const parsed = parseDhcpMessage(bytes);
    expect(parsed.options.pxe).toEqual(pxe);
    // The end marker the PXE spec wants is on the wire.
    expect(parsed.options.vendorSpecific).toEqual(Buffer.from([6, 1, 8, 71, 4, 0x80, 0, 0, 0, 255]));
  });

  it('splits a value longer than 255 bytes into several options and joins them again (RFC 3396)', () => {
    const url = `http://10.0.0.1:8080/boot/${'x'.repeat(400)}.ipxe`;
    const bytes = encodeDhcpMessage(request({ messageType: MESSAGE_TYPE.OFFER, bootFileName: url }), DHCP_MAX_MESSAGE_BYTES);
    expect(bytes[240 + 3]).toBe(OPTION.BOOTFILE_NAME);
    expect(bytes[240 + 4]).toBe(255);
    expect(parseDhcpMessage(bytes).options.bootFileName).toBe(url);
  });

  it('reads options continued into the file and sname fields (option 52)', () => {
    const packet = rawPacket([OPTION.MESSAGE_TYPE, 1, 1, OPTION.OVERLOAD, 1, 3, OPTION.VENDOR_CLASS, 3, 0x50, 0x58, 0x45, 255], (p) => {
      Buffer.from([OPTION.VENDOR_CLASS, 6, 0x43, 0x6c, 0x69, 0x65, 0x6e, 0x74, OPTION.CLIENT_ARCH, 2, 0, 7, 255]).copy(p, 108);
      Buffer.from([OPTION.HOSTNAME, 2, 0x68, 0x69, 255]).copy(p, 44);
    });
    const parsed = parseDhcpMessage(packet);
    expect(parsed.options.vendorClass).toBe('PXEClient');
    expect(parsed.options.clientArch).toEqual([7]);
    expect(parsed.options.hostname).toBe('hi');
    expect(parsed.file).toBe('');
    expect(parsed.sname).toBe('');
  });

  it('reads RFC 3004 user classes and iPXE\'s plain "iPXE"', () => {
    const list = parseDhcpMessage(rawPacket([OPTION.USER_CLASS, 9, 4, ...Buffer.from('iPXE'), 3, ...Buffer.from('abc'), 255]));
    expect(list.options.userClass).toEqual(['iPXE', 'abc']);
    const plain = parseDhcpMessage(rawPacket([OPTION.USER_CLASS, 4, ...Buffer.from('iPXE'), 255]));
    expect(plain.options.userClass).toEqual(['iPXE']);
  });

  it('pads a short message to the 300 bytes of BOOTP', () => {
    expect(encodeDhcpMessage(request({ messageType: MESSAGE_TYPE.NAK })).length).toBe(300);
  });

  it('accepts an options field that ends without the end option', () => {
    expect(parseDhcpMessage(rawPacket([OPTION.MESSAGE_TYPE, 1, 1])).options.messageType).toBe(1);
  });

  it('refuses to encode a reply larger than the client accepts', () => {
    const message = request({ messageType: MESSAGE_TYPE.OFFER, bootFileName: 'x'.repeat(600) });
    expect(() => encodeDhcpMessage(message)).toThrow(DhcpEncodeError);
  });
});

describe('malformed DHCP packets', () => {
  const cases: Array<[string, Uint8Array, DhcpPacketProblem, number]> = [
    ['empty', new Uint8Array(0), 'truncated', 0],
    ['shorter than the header', rawPacket([]).subarray(0, 100), 'truncated', 100],
    ['cut inside the magic cookie', rawPacket([]).subarray(0, 238), 'truncated', 238],
    ['larger than an Ethernet frame allows', rawPacket(new Array(DHCP_MAX_MESSAGE_BYTES - 239).fill(0)), 'oversized', DHCP_MAX_MESSAGE_BYTES],
    ['op neither request nor reply', rawPacket([255], (p) => (p[0] = 3)), 'bad-op', 0],
    ['htype not Ethernet', rawPacket([255], (p) => (p[1] = 6)), 'not-ethernet', 1],
    ['hlen not 6', rawPacket([255], (p) => (p[2] = 16)), 'not-ethernet', 2],
    ['bad magic cookie', rawPacket([255], (p) => p.writeUInt32BE(0x63825364, 236)), 'bad-cookie', 236],
    ['option running past the end', rawPacket([OPTION.MESSAGE_TYPE, 1, 1, OPTION.VENDOR_CLASS, 20, 0x50, 0x58]), 'option-overrun', 243],
    ['option without a length byte', rawPacket([OPTION.MESSAGE_TYPE, 1, 1, OPTION.HOSTNAME]), 'option-overrun', 243],
    ['message type of 2 bytes', rawPacket([OPTION.MESSAGE_TYPE, 2, 1, 1, 255]), 'option-length', 240],
    ['server id of 3 bytes', rawPacket([0, 0, OPTION.SERVER_ID, 3, 10, 0, 0, 255]), 'option-length', 242],
    ['lease time of 2 bytes', rawPacket([OPTION.LEASE_TIME, 2, 0, 1, 255]), 'option-length', 240],
    ['netmask of 5 bytes', rawPacket([OPTION.SUBNET_MASK, 5, 255, 255, 255, 0, 0, 255]), 'option-length', 240],
    ['router list not a multiple of 4', rawPacket([OPTION.ROUTER, 6, 10, 0, 0, 1, 10, 0, 255]), 'option-length', 240],
    ['max message size of 1 byte', rawPacket([OPTION.MAX_MESSAGE_SIZE, 1, 5, 255]), 'option-length', 240],
    ['client arch of odd length', rawPacket([OPTION.CLIENT_ARCH, 3, 0, 7, 0, 255]), 'option-length', 240],
    ['client NDI of 2 bytes', rawPacket([OPTION.CLIENT_NDI, 2, 1, 3, 255]), 'option-length', 240],
    ['UUID of 16 bytes', rawPacket([OPTION.CLIENT_UUID, 16, ...UUID, 255]), 'option-length', 240],
    ['UUID of type 1', rawPacket([OPTION.CLIENT_UUID, 17, 1, ...UUID, 255]), 'option-value', 240],
    ['client id of 1 byte', rawPacket([OPTION.CLIENT_ID, 1, 1, 255]), 'option-length', 240],
    ['overload value 4', rawPacket([OPTION.OVERLOAD, 1, 4, 255]), 'option-value', 240],
    ['option in the overloaded file field running past it', rawPacket([OPTION.OVERLOAD, 1, 1, 255], (p) => Buffer.from([OPTION.HOSTNAME, 40]).copy(p, 210)), 'option-overrun', 210],
    ['option 52 inside the file field', rawPacket([OPTION.OVERLOAD, 1, 1, 255], (p) => Buffer.from([OPTION.OVERLOAD, 1, 2, 255]).copy(p, 108)), 'option-value', 108],
    ['iPXE sub-option running past option 175', rawPacket([OPTION.IPXE_ENCAPSULATED, 4, 0x13, 1, 1, 0xb1, 255]), 'option-overrun', 245],
    ['PXE sub-option running past option 43', rawPacket([OPTION.VENDOR_CLASS, 9, ...Buffer.from('PXEClient'), OPTION.VENDOR_SPECIFIC, 3, 71, 4, 0x80, 255]), 'option-overrun', 253],
  ];

  it.each(cases)('%s', (_name, bytes, problem, offset) => {
    const error = parseError(bytes);
    expect(error.problem).toBe(problem);
    expect(error.offset).toBe(offset);
    expect(error.code).toBe('DHCP_PACKET');
    expect(error.message).toContain(`at byte ${offset}`);
  });

  it('names the option in the message', () => {
    expect(parseError(rawPacket([OPTION.MESSAGE_TYPE, 2, 1, 1])).message).toMatch(/option 53 \(message type\) must be 1 byte long, got 2 bytes/);
  });
});

describe('DHCP parser under random input', () => {
  const seeds = [
    encodeDhcpMessage(request({ messageType: MESSAGE_TYPE.DISCOVER, vendorClass: 'PXEClient:Arch:00000:UNDI:002001', clientArch: [0], clientUuid: UUID, userClass: ['iPXE'], ipxe: new Map([[1, Buffer.from([1])]]) })),
    encodeDhcpMessage(request({ messageType: MESSAGE_TYPE.REQUEST, vendorClass: 'PXEClient', pxe: new Map([[71, Buffer.from([0, 0, 0, 0])]]), serverId: '10.0.0.1', requestedAddress: '10.0.0.9' })),
    rawPacket([OPTION.MESSAGE_TYPE, 1, 1, OPTION.OVERLOAD, 1, 3, 255], (p) => Buffer.from([OPTION.HOSTNAME, 2, 0x61, 0x62, 255]).copy(p, 108)),
  ];

  function expectOnlyPacketErrors(bytes: Uint8Array): 'parsed' | 'rejected' {
    let parsed: DhcpMessage;
    try {
      parsed = parseDhcpMessage(bytes);
    } catch (error) {
      if (!(error instanceof DhcpPacketError)) throw error;
      expect(error.offset).toBeGreaterThanOrEqual(0);
      expect(error.offset).toBeLessThanOrEqual(bytes.length);
      expect(error.offset).toBeLessThanOrEqual(Math.max(bytes.length, DHCP_MAX_MESSAGE_BYTES));
      return 'rejected';
    }
    // Whatever parsed encodes back to the same message, or is refused with an encode error.
    const { overload: _overload, ...options } = parsed.options;
    const again = { ...parsed, options };
    let encoded: Buffer;
    try {
      encoded = encodeDhcpMessage(again, 65_535);
    } catch (error) {
      if (error instanceof DhcpEncodeError) return 'parsed';
      throw error;
    }
    if (encoded.length <= DHCP_MAX_MESSAGE_BYTES) expect(parseDhcpMessage(encoded)).toEqual(again);
    return 'parsed';
  }

  it('throws only DhcpPacketError for 3000 random byte strings', () => {
    const rng = new SeededRandom(1);
    const next = (): number => rng.next();
    for (let i = 0; i < 3000; i++) {
      const length = Math.floor(next() * 1600);
      const bytes = new Uint8Array(length);
      for (let j = 0; j < length; j++) bytes[j] = Math.floor(next() * 256);
      // Half of them get a plausible header so the option parser is reached.
      if (i % 2 === 0 && length >= 240) {
        bytes.set([1, 1, 6], 0);
        bytes.set([0x63, 0x82, 0x53, 0x63], 236);
      }
      expectOnlyPacketErrors(bytes);
    }
  });

  it('throws only DhcpPacketError for 6000 mutations of valid packets, and some still parse', () => {
    const rng = new SeededRandom(2);
    const next = (): number => rng.next();
    const outcomes = { parsed: 0, rejected: 0 };
    for (let i = 0; i < 6000; i++) {
      const seed = seeds[i % seeds.length] as Buffer;
      let bytes = Buffer.from(seed);
      const edits = 1 + Math.floor(next() * 4);
      for (let e = 0; e < edits; e++) {
        const kind = next();
        const at = Math.floor(next() * bytes.length);
        if (kind < 0.5) bytes[at] = Math.floor(next() * 256);
        else if (kind < 0.7) bytes = bytes.subarray(0, at);
        else if (kind < 0.9) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([Math.floor(next() * 256), Math.floor(next() * 256)]), bytes.subarray(at)]);
        else bytes = Buffer.concat([bytes, Buffer.alloc(Math.floor(next() * 1400), Math.floor(next() * 256))]);
        if (bytes.length === 0) break;
      }
      outcomes[expectOnlyPacketErrors(bytes)] += 1;
    }
    expect(outcomes.parsed).toBeGreaterThan(100);
    expect(outcomes.rejected).toBeGreaterThan(100);
  });
});
