// SOL on a bad network day: ipmi_sim behind a proxy that drops a fifth of the datagrams
// each way (seeded, so a run replays). The session handshake, the activation and the
// console's characters must all get through on resends, in order and once each.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LossyUdpProxy } from '../../../../../../test/support/lossy-udp-proxy.ts';
import { ipmiPeersMissing, startIpmiSimWithSerial, type IpmiSimWithSerial } from '../../../../../../test/support/ipmi-sim.ts';
import { IpmiClient, IpmiTransport } from './index.ts';

const missing = ipmiPeersMissing();
const DROP_RATE = 0.2;
// The client's resends are quick, so that a run with a fifth of the datagrams lost stays short.
const RETRY = { timeoutMs: 150, retries: 8, backoff: 1.2 };

/**
 * Seeds whose drops hit the handshake (a lost RAKP 4), the activation (a lost reply, so the
 * resend finds SOL already active in this session) and the characters both ways.
 */
const SEEDS = [20261123, 1, 2];

describe.skipIf(missing !== undefined)(`IPMI SOL over a link that drops ${DROP_RATE * 100}% of datagrams${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let lab: IpmiSimWithSerial | undefined;
  let proxy: LossyUdpProxy | undefined;
  let transport: IpmiTransport | undefined;
  let client: IpmiClient | undefined;

  afterEach(async () => {
    await client?.close();
    await transport?.close();
    await proxy?.close();
    await lab?.stop();
  });

  it.each(SEEDS)('opens the console and carries every character both ways, in order, once (seed %i)', async (seed) => {
    // ipmi_sim on 127.0.0.2 and the proxy on the same port of 127.0.0.1: the port the BMC
    // names for SOL is then the proxy's too, so SOL crosses the bad link like the rest.
    lab = await startIpmiSimWithSerial({ host: '127.0.0.2' });
    proxy = await LossyUdpProxy.start({ listen: { host: '127.0.0.1', port: lab.sim.port }, target: { host: lab.sim.host, port: lab.sim.port }, dropRate: DROP_RATE, seed });
    transport = new IpmiTransport();
    client = new IpmiClient({ transport, host: '127.0.0.1', port: lab.sim.port, username: lab.sim.username, password: lab.sim.password, cipherSuite: 3, retry: RETRY, keepAliveMs: 0, solTiming: { retryMs: 150, retries: 12 } });
    const console = await client.openConsole();
    const serial: Socket = lab.serial;
    // Typed: 1,000 characters in many packets, each resent until the BMC acknowledges it.
    const typed = Array.from({ length: 1000 }, (_, i) => String.fromCharCode(0x41 + (i % 26))).join('');
    let atSerial = '';
    const arrived = new Promise<void>((resolve) => serial.on('data', (d: Buffer) => { atSerial += d.toString('latin1'); if (atSerial.length >= typed.length) resolve(); }));
    await new Promise<void>((resolve, reject) => console.write(typed, (err) => (err ? reject(err) : resolve())));
    await arrived;
    expect(atSerial).toBe(typed);

    // Printed: lines from the machine, resent by the BMC when lost, passed on once each.
    let atConsole = '';
    console.on('data', (d: Buffer) => (atConsole += d.toString('latin1')));
    const lines = Array.from({ length: 40 }, (_, i) => `line ${String(i).padStart(2, '0')}\r\n`);
    for (const line of lines) serial.write(line);
    const deadline = Date.now() + 15_000;
    while (!atConsole.includes('line 39') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(atConsole).toBe(lines.join(''));
    expect(proxy.counts.upDropped).toBeGreaterThan(0);
    expect(proxy.counts.downDropped).toBeGreaterThan(0);
    console.destroy();
    await new Promise((r) => console.once('close', r));
  }, 60_000);
});
