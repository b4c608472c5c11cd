// Against OpenIPMI's ipmi_sim, cross-checked with ipmitool: the real peers of this driver.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BmcClient } from '../../driver.ts';
import { BmcAuthError, BmcProtocolError, BmcTimeoutError, BmcUnsupportedError } from '../../errors.ts';
import { freeUdpPort, IpmiSim, ipmiPeersMissing, SIM_FRU } from '../../../../../../test/support/ipmi-sim.ts';
import { createIpmiDriver, IpmiTransport, type IpmiClient } from './index.ts';

const missing = ipmiPeersMissing();
const FAST_RETRY = { timeoutMs: 150, retries: 2, backoff: 1.5 };

describe.skipIf(missing !== undefined)(`IPMI driver against ipmi_sim${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let sim: IpmiSim;
  let transport: IpmiTransport;
  let client: BmcClient;
  const driver = () => createIpmiDriver({ transport, retry: FAST_RETRY, keepAliveMs: 0 });
  const connect = (extra: Partial<Parameters<ReturnType<typeof driver>['create']>[0]> = {}) =>
    driver().create({ driver: 'ipmi', host: sim.host, port: sim.port, username: sim.username, password: sim.password, cipherSuite: 3, ...extra });

  beforeAll(async () => {
    sim = await new IpmiSim().start();
    transport = new IpmiTransport();
    client = connect();
  });
  afterAll(async () => {
    await client?.close();
    await transport?.close();
    await sim?.stop();
  });

  it('powers on, off and cycles, as ipmitool then reads it', async () => {
    expect(await client.powerState!()).toBe('off');
    await client.setPower!('on');
    expect(await sim.ipmitool('chassis', 'power', 'status')).toContain('Chassis Power is on');
    await client.setPower!('off');
    expect(await sim.ipmitool('chassis', 'power', 'status')).toContain('Chassis Power is off');
    await client.setPower!('cycle'); // cycling a machine that is off powers it on
    expect(await sim.ipmitool('chassis', 'power', 'status')).toContain('Chassis Power is on');
    expect(await client.powerState!()).toBe('on');
  });

  it('sends nothing for on when the machine is already on', async () => {
    await client.setPower!('on');
    const before = await sim.calls();
    await client.setPower!('on');
    expect((await sim.calls()).slice(before.length).filter((l) => l.startsWith('set'))).toEqual([]);
  });

  it('reads off after ipmitool powers the machine off', async () => {
    expect(await sim.ipmitool('chassis', 'power', 'off')).toContain('Down/Off');
    expect(await client.powerState!()).toBe('off');
  });

  it('sets boot device PXE, which ipmitool chassis bootparam get 5 reads back', async () => {
    await client.setBootOverride!({ device: 'pxe', persistent: false, mode: 'legacy' });
    expect(await sim.ipmitool('chassis', 'bootparam', 'get', '5')).toMatch(/Boot Device Selector : Force PXE/);
    await client.setBootOverride!({ device: 'disk', persistent: false, mode: 'legacy' });
    expect(await sim.ipmitool('chassis', 'bootparam', 'get', '5')).toMatch(/Boot Device Selector : Force Boot from default Hard-Drive/);
  });

  it('reads the sensors of the SDR repository, as ipmitool sdr list shows them', async () => {
    const sensors = await client.sensors!();
    expect(sensors).toEqual([
      { name: 'CPU Temp', kind: 'temperature', value: 45, unit: 'C' },
      { name: 'Fan 1', kind: 'fan', value: 4800, unit: 'RPM' },
      { name: '12V', kind: 'voltage', value: 12.06, unit: 'V' },
    ]);
    const IPMITOOL_UNIT: Readonly<Record<string, string>> = { 'degrees C': 'C', RPM: 'RPM', Volts: 'V' };
    const listed = (await sim.ipmitool('sdr', 'list')).split('\n').filter((l) => l.includes('|')).map((line) => {
      const [name, reading] = line.split('|').map((f) => f.trim());
      const [, value, unit] = /^([-\d.]+) (.+)$/.exec(reading!)!;
      return { name, value: Number(value), unit: IPMITOOL_UNIT[unit!] ?? unit };
    });
    expect(listed).toEqual(sensors.map(({ name, value, unit }) => ({ name, value, unit })));
  });

  it('reads manufacturer, model and serial from FRU 0, as ipmitool fru print shows them', async () => {
    const inv = await client.inventory!();
    expect(inv.system).toMatchObject({ manufacturer: SIM_FRU.productManufacturer, model: SIM_FRU.productName, serial: SIM_FRU.productSerial, bmcFirmware: '9.08' });
    const printed = await sim.ipmitool('fru', 'print', '0');
    expect(printed).toMatch(new RegExp(`Product Manufacturer\\s*: ${inv.system.manufacturer}\n`));
    expect(printed).toMatch(new RegExp(`Product Name\\s*: ${inv.system.model}\n`));
    expect(printed).toMatch(new RegExp(`Product Serial\\s*: ${inv.system.serial}\n`));
  });

  it('answers a wrong password with BmcAuthError, naming no secret', async () => {
    const bad = connect({ password: 'not-the-password' });
    const error = await bad.powerState!().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BmcAuthError);
    expect((error as Error).message).not.toContain('not-the-password');
    expect((error as Error).message).not.toContain(sim.password);
    await bad.close();
  });

  it('reports that ipmi_sim does not offer cipher suite 17, and falls back to 3 when not insisting', async () => {
    const strict = connect({ cipherSuite: 17 });
    const error = await strict.powerState!().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BmcUnsupportedError);
    expect((error as Error).message).toMatch(/suite 17: RMCP\+ status 0x04 \(invalid authentication algorithm\)/);
    await strict.close();
    const best = driver().create({ driver: 'ipmi', host: sim.host, port: sim.port, username: sim.username, password: sim.password }) as IpmiClient;
    expect(['on', 'off']).toContain(await best.powerState());
    expect(await best.cipherSuite()).toBe(3);
    await best.close();
  });

  it('answers an unknown user with BmcAuthError', async () => {
    const stranger = connect({ username: 'nobody' });
    await expect(stranger.powerState!()).rejects.toBeInstanceOf(BmcAuthError);
    await stranger.close();
  });

  it('serves two BMCs and two sessions to one BMC over one socket, calls interleaved', async () => {
    const other = await new IpmiSim().start();
    try {
      const a1 = client;
      const a2 = connect();
      const b = connect({ port: other.port });
      await b.setPower!('on');
      await a1.setPower!('off');
      const states = await Promise.all([...Array(5)].flatMap(() => [a1.powerState!(), a2.powerState!(), b.powerState!()]));
      expect(states).toEqual([...Array(5)].flatMap(() => ['off', 'off', 'on']));
      expect(await other.ipmitool('chassis', 'power', 'status')).toContain('Chassis Power is on');
      await Promise.all([a2.close(), b.close()]);
    } finally {
      await other.stop();
    }
  });

  it('keeps an idle session alive with Get Device ID', async () => {
    const asked: string[] = [];
    class RecordingTransport extends IpmiTransport {
      override request<T>(...args: Parameters<IpmiTransport['request']>): Promise<T> {
        asked.push(args[4]);
        return super.request(...args) as Promise<T>;
      }
    }
    const recording = new RecordingTransport();
    const idle = createIpmiDriver({ transport: recording, retry: FAST_RETRY, keepAliveMs: 50 })
      .create({ driver: 'ipmi', host: sim.host, port: sim.port, username: sim.username, password: sim.password, cipherSuite: 3 });
    await idle.powerState!();
    await expect.poll(() => asked.filter((w) => w.includes('keep-alive')).length, { timeout: 2000, interval: 20 }).toBeGreaterThanOrEqual(2);
    expect(await idle.powerState!()).toMatch(/^(on|off)$/);
    await idle.close();
    expect(asked).toContain('Close Session');
    await expect(idle.powerState!()).rejects.toThrow(/closed/);
    await recording.close();
  });

  it('stops a call when its AbortSignal fires', async () => {
    const port = await freeUdpPort();
    const slow = driver().create({ driver: 'ipmi', host: sim.host, port, username: sim.username, password: sim.password });
    const reason = new Error('caller gave up');
    await expect(slow.powerState!(AbortSignal.abort(reason))).rejects.toBe(reason);
    const controller = new AbortController();
    const call = slow.powerState!(controller.signal);
    setTimeout(() => controller.abort(reason), 20);
    await expect(call).rejects.toBe(reason);
    await slow.close();
  });

  it('times out with BmcTimeoutError when nothing listens', async () => {
    const port = await freeUdpPort();
    const nobody = connect({ port });
    await expect(nobody.powerState!()).rejects.toBeInstanceOf(BmcTimeoutError);
    await nobody.close();
  });

  describe('a BMC that answers garbage', () => {
    let fake: Socket;
    let fakePort: number;
    const replies: Buffer[] = [];
    beforeAll(async () => {
      fake = createSocket('udp4');
      // Answers each datagram with the next canned reply: random bytes, then truncated RMCP.
      fake.on('message', (_msg, rinfo) => {
        const reply = replies.shift();
        if (reply) fake.send(reply, rinfo.port, rinfo.address);
      });
      await new Promise<void>((resolve) => fake.bind(0, '127.0.0.1', () => resolve()));
      fakePort = fake.address().port;
    });
    afterAll(() => new Promise<void>((resolve) => fake.close(() => resolve())));

    it('fails that call with BmcProtocolError and the shared socket keeps serving the real BMC', async () => {
      replies.push(Buffer.from('7f3a9c0011223344556677', 'hex'));
      const random = connect({ port: fakePort });
      await expect(random.powerState!()).rejects.toBeInstanceOf(BmcProtocolError);
      // RMCP + an IPMI 1.5 header that claims more message than it carries.
      replies.push(Buffer.from('0600ff07' + '00' + '00000000' + '00000000' + '10' + '201c', 'hex'));
      await expect(random.powerState!()).rejects.toBeInstanceOf(BmcProtocolError);
      await random.close();
      expect(['on', 'off']).toContain(await client.powerState!());
    });
  });
});
