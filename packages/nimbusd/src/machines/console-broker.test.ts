// The console broker against ipmi_sim's SOL: one console per machine, takeover when forced,
// closing on release and on stop. The machine's serial port is a TCP socket this test holds.
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpmiClient, IpmiTransport } from '../bmc/drivers/ipmi/index.ts';
import { ConflictError, type Instance, type Machine, type Store } from '../state/index.ts';
import { enrollReady, openTestStore, tempStateDir } from '../state/testdata/fixtures.ts';
import { ipmiPeersMissing, startIpmiSimWithSerial, type IpmiSim, type IpmiSimWithSerial } from '../../../../test/support/ipmi-sim.ts';
import { ConsoleBroker } from './console-broker.ts';
import type { ConnectBmc } from './machine-bmc.ts';

const missing = ipmiPeersMissing();
const closed = (s: NodeJS.EventEmitter & { closed: boolean }) => new Promise<void>((resolve) => (s.closed ? resolve() : s.once('close', () => resolve())));

describe.skipIf(missing !== undefined)(`console broker against ipmi_sim${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let sim: IpmiSim;
  let transport: IpmiTransport;
  let lab: IpmiSimWithSerial;
  let serial: Socket;
  let store: Store;
  let machine: Machine;
  let instance: Instance;
  let clientsOpened = 0;
  let clientsClosed = 0;
  let broker: ConsoleBroker;

  beforeAll(async () => {
    lab = await startIpmiSimWithSerial();
    ({ sim, serial } = lab);
    transport = new IpmiTransport();
    store = openTestStore(join(tempStateDir(), 'nimbusd.sqlite'));
    const id = enrollReady(store, 'node1');
    instance = store.allocate({ tenant: 'SHA256:tenant', request: {}, idempotencyKey: 'k', actor: { fingerprint: 'SHA256:tenant', role: 'tenant' } }).instance;
    machine = store.getMachine(id);
    const connect: ConnectBmc = () => {
      clientsOpened += 1;
      const client = new IpmiClient({ transport, host: sim.host, port: sim.port, username: sim.username, password: sim.password, cipherSuite: 3, keepAliveMs: 0 });
      const close = client.close.bind(client);
      client.close = async () => { clientsClosed += 1; await close(); };
      return client;
    };
    broker = new ConsoleBroker(connect);
  });
  afterAll(async () => {
    await broker?.closeAll('test over');
    store?.close();
    await transport?.close();
    await lab?.stop();
  });

  it('refuses a second console on the machine unless forced, and a forced one takes it over', async () => {
    const first = await broker.open({ machine, instance, force: false });
    first.resume();
    await expect(broker.open({ machine, instance, force: false })).rejects.toThrow(ConflictError);
    await expect(broker.open({ machine, instance, force: false })).rejects.toThrow(/open in another session \(since .*\); force it/);
    const second = await broker.open({ machine, instance, force: true });
    expect(first.destroyed).toBe(true);
    expect(first.closeReason).toBe('another session took the console over');
    const seen = new Promise<string>((resolve) => second.once('data', (d: Buffer) => resolve(d.toString())));
    serial.write('still here\r\n');
    expect(await seen).toContain('still here');
    expect(broker.size).toBe(1);
    second.destroy();
    await closed(second);
    await new Promise((r) => setImmediate(r));
    expect(broker.size).toBe(0);
    // Every BMC client the broker opened, it closed.
    expect(clientsClosed).toBe(clientsOpened);
  });

  it('closes a console whose instance is released, and not one whose instance lives', async () => {
    const console = await broker.open({ machine, instance, force: false });
    console.resume();
    broker.sweep(() => instance);
    expect(console.destroyed).toBe(false);
    broker.sweep(() => ({ ...instance, state: 'releasing' }));
    await closed(console);
    expect(console.closeReason).toBe(`instance ${instance.id} was released`);
  });

  it('closes every console when nimbusd stops, and says so', async () => {
    const console = await broker.open({ machine, instance, force: false });
    console.resume();
    await broker.closeAll('nimbusd is stopping');
    expect(console.closeReason).toBe('nimbusd is stopping');
    expect(broker.size).toBe(0);
    // Closed on the BMC too: a fresh console opens without force.
    const again = await broker.open({ machine, instance, force: false });
    again.destroy();
    await closed(again);
  });
});
