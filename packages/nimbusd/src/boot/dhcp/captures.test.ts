/**
 * Golden files: requests captured from real firmware in the qemu lab (OVMF's EDK2 PXE, and
 * iPXE 1.0.0+git-20190125 as Debian ships it, both its EFI build on OVMF and qemu's BIOS
 * ROM), what they decode to, and the reply the server builds for each.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BootRequest } from '../policy.ts';
import { toBootRequest } from './boot-request.ts';
import { leaseReply, proxyOffer, pxeAck } from './replies.ts';
import { MESSAGE_TYPE } from './options.ts';
import { encodeDhcpMessage, parseDhcpMessage, type DhcpMessage } from './packet.ts';

function capture(name: string): Buffer {
  const text = readFileSync(new URL(`./testdata/captures/${name}.hex`, import.meta.url), 'utf8');
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** Buffers as hex and Maps as objects, so a message reads well as JSON. */
function jsonable(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return `hex:${value.toString('hex')}`;
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), jsonable(v)]));
  if (Array.isArray(value)) return value.map(jsonable);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonable(v)]));
  return value;
}

const snapshot = (message: DhcpMessage): string => `${JSON.stringify(jsonable(message), null, 2)}\n`;

const SERVER = '192.168.77.2';
const SCRIPT = { bootFile: 'http://192.168.77.2:8080/boot.ipxe' };
const NETWORK = { netmask: '255.255.255.0', leaseSeconds: 3600 };

const CAPTURES: Array<[string, Pick<BootRequest, 'arch' | 'archCode' | 'isIpxe'>, (request: DhcpMessage) => DhcpMessage]> = [
  ['ovmf-pxe-discover', { arch: 'uefi-x64', archCode: 7, isIpxe: false }, (r) => proxyOffer(r, { bootFile: 'ipxe.efi' }, SERVER, false)],
  ['ovmf-pxe-4011-request', { arch: 'uefi-x64', archCode: 7, isIpxe: false }, (r) => pxeAck(r, { bootFile: 'ipxe.efi' }, SERVER)],
  ['ipxe-efi-discover', { arch: 'uefi-x64', archCode: 7, isIpxe: true }, (r) => proxyOffer(r, SCRIPT, SERVER, true)],
  ['ipxe-bios-discover', { arch: 'bios', archCode: 0, isIpxe: true }, (r) => proxyOffer(r, SCRIPT, SERVER, true)],
  [
    'ipxe-efi-request-full',
    { arch: 'uefi-x64', archCode: 7, isIpxe: true },
    (r) => leaseReply(r, MESSAGE_TYPE.ACK, { address: '192.168.77.100', clientKey: '', mac: r.chaddr, state: 'bound', expiresAt: 0 }, SCRIPT, NETWORK, SERVER),
  ],
];

describe('captured firmware packets', () => {
  it.each(CAPTURES)('%s decodes as the firmware meant it, and encodes back to the same message', async (name, expected) => {
    const message = parseDhcpMessage(capture(name));
    expect(toBootRequest(message)).toMatchObject(expected);
    expect(parseDhcpMessage(encodeDhcpMessage(message, 1472))).toEqual(message);
    await expect(snapshot(message)).toMatchFileSnapshot(`./testdata/captures/${name}.json`);
  });

  it.each(CAPTURES)('%s gets the reply in the golden file', async (name, _expected, answer) => {
    const reply = parseDhcpMessage(encodeDhcpMessage(answer(parseDhcpMessage(capture(name)))));
    await expect(snapshot(reply)).toMatchFileSnapshot(`./testdata/captures/${name}.reply.json`);
  });
});
