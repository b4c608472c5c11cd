// The IPMI driver on a bad network day: ipmi_sim behind a proxy that drops a fifth of the
// datagrams each way (seeded, so a run replays). Every call must still be answered, and
// the machine end up as asked, as ipmitool then reads it straight from the simulator.
import { afterEach, describe, expect, it } from 'vitest';
import type { BmcClient } from '../../driver.ts';
import { LossyUdpProxy } from '../../../../../../test/support/lossy-udp-proxy.ts';
import { IpmiSim, ipmiPeersMissing } from '../../../../../../test/support/ipmi-sim.ts';
import { createIpmiDriver, IpmiTransport } from './index.ts';

const missing = ipmiPeersMissing();
const DROP_RATE = 0.2;
const RETRY = { timeoutMs: 150, retries: 8, backoff: 1.2 };
const SEEDS = [7, 11, 20261123];

describe.skipIf(missing !== undefined)(`IPMI driver over a link that drops ${DROP_RATE * 100}% of datagrams${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let sim: IpmiSim | undefined;
  let proxy: LossyUdpProxy | undefined;
  let transport: IpmiTransport | undefined;
  let client: BmcClient | undefined;

  afterEach(async () => {
    await client?.close();
    await transport?.close();
    await proxy?.close();
    await sim?.stop();
  });

  it.each(SEEDS)('powers on and off and sets the boot device, every call answered (seed %i)', async (seed) => {
    sim = await new IpmiSim({ host: '127.0.0.2' }).start();
    proxy = await LossyUdpProxy.start({ listen: { host: '127.0.0.1', port: sim.port }, target: { host: sim.host, port: sim.port }, dropRate: DROP_RATE, seed });
    transport = new IpmiTransport();
    client = createIpmiDriver({ transport, retry: RETRY, keepAliveMs: 0 }).create({ driver: 'ipmi', host: '127.0.0.1', port: sim.port, username: sim.username, password: sim.password, cipherSuite: 3 });

    await client.setPower!('on');
    expect(await client.powerState!()).toBe('on');
    expect(await sim.ipmitool('chassis', 'power', 'status')).toContain('Chassis Power is on');
    await client.setBootOverride!({ device: 'pxe', persistent: false, mode: 'legacy' });
    expect(await sim.ipmitool('chassis', 'bootparam', 'get', '5')).toMatch(/Boot Device Selector : Force PXE/);
    await client.setPower!('off');
    expect(await sim.ipmitool('chassis', 'power', 'status')).toContain('Chassis Power is off');
    expect(proxy.counts.upDropped + proxy.counts.downDropped).toBeGreaterThan(0);
  }, 60_000);
});
