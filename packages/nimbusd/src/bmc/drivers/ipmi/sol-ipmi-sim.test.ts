// SOL against OpenIPMI's ipmi_sim, whose serial port is a TCP socket this test holds;
// ipmitool's `sol activate` is the other console client contending for it.
import type { Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SerialConsole } from '../../console.ts';
import { BmcBusyError } from '../../errors.ts';
import { ipmiPeersMissing, startIpmiSimWithSerial, type IpmiSim, type IpmiSimWithSerial } from '../../../../../../test/support/ipmi-sim.ts';
import { IpmiClient, IpmiTransport } from './index.ts';

const missing = ipmiPeersMissing();
const FAST_RETRY = { timeoutMs: 300, retries: 3, backoff: 1.5 };

/** Collects what a stream gives until `pattern` shows up in it (or the time runs out). */
function readUntil(stream: NodeJS.ReadableStream | Socket, pattern: string | RegExp, timeoutMs = 10_000): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      text += d.toString('latin1');
      if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) finish();
    };
    const timer = setTimeout(() => { stream.off('data', onData); reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms; got ${JSON.stringify(text.slice(-200))}`)); }, timeoutMs);
    const finish = () => { clearTimeout(timer); stream.off('data', onData); resolve(text); };
    stream.on('data', onData);
  });
}

describe.skipIf(missing !== undefined)(`IPMI SOL against ipmi_sim${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let sim: IpmiSim;
  let transport: IpmiTransport;
  let lab: IpmiSimWithSerial;
  let serial: Socket;
  const open: SerialConsole[] = [];
  const clients: IpmiClient[] = [];
  const client = () => {
    const c = new IpmiClient({ transport, host: sim.host, port: sim.port, username: sim.username, password: sim.password, cipherSuite: 3, retry: FAST_RETRY, keepAliveMs: 0, solTiming: { checkMs: 300 } });
    clients.push(c);
    return c;
  };
  const openConsole = async (c: IpmiClient, force = false) => {
    const console = await c.openConsole({ force });
    open.push(console);
    return console;
  };
  const closed = (console: SerialConsole) => new Promise<void>((resolve) => (console.closed ? resolve() : console.once('close', () => resolve())));

  beforeAll(async () => {
    lab = await startIpmiSimWithSerial();
    ({ sim, serial } = lab);
    transport = new IpmiTransport();
  });
  afterAll(async () => {
    for (const c of open) c.destroy();
    for (const c of clients) await c.close();
    await transport?.close();
    await lab?.stop();
  });

  it('carries characters both ways, in order, across many packets', async () => {
    const port = serial;
    const console = await openConsole(client());
    expect(console.via).toBe('IPMI SOL');
    // The machine prints; the console reads it.
    const got = readUntil(console, 'boot done');
    port.write('Linux version 6.1\r\nboot done\r\n');
    expect(await got).toContain('Linux version 6.1\r\nboot done');
    // The user types more than one packet holds; the serial port gets all of it, in order.
    const typed = Array.from({ length: 3000 }, (_, i) => String.fromCharCode(0x21 + (i % 90))).join('') + '\n';
    const arrived = readUntil(port, '\n', 20_000);
    await new Promise<void>((resolve, reject) => console.write(typed, (err) => (err ? reject(err) : resolve())));
    expect(await arrived).toBe(typed);
    console.destroy();
    await closed(console);
  });

  it('delivers the first keystroke of a console opened after another one closed', async () => {
    const port = serial;
    for (const key of ['1', '2']) {
      const console = await openConsole(client());
      const arrived = readUntil(port, key);
      console.write(key);
      await arrived;
      console.destroy();
      await closed(console);
    }
  });

  it('lets go of SOL when closed, so ipmitool can take the console next', async () => {
    const console = await openConsole(client());
    console.destroy();
    await closed(console);
    const port = serial;
    const child = spawn('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', sim.host, '-p', String(sim.port), '-U', sim.username, '-P', sim.password, 'sol', 'activate'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // ipmitool's stdout is block-buffered into a pipe: its banner shows up only with the
      // machine's output, and the machine's output reaches it only once SOL is active there.
      const seen = readUntil(child.stdout, 'from-the-machine');
      const writer = setInterval(() => port.write('from-the-machine\r\n'), 300);
      try {
        expect(await seen).toContain('[SOL Session operational');
      } finally {
        clearInterval(writer);
      }
      child.stdin.write('\n~.'); // ipmitool's own escape: it deactivates SOL as it leaves
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses a console someone else holds, and takes it over when forced', async () => {
    const first = await openConsole(client());
    first.resume(); // a reader, as every console has: the stream ends once its reader has it all
    const second = client();
    await expect(second.openConsole()).rejects.toThrow(BmcBusyError);
    await expect(second.openConsole()).rejects.toThrow(/open in another session; force it/);
    const taken = await openConsole(second, true);
    // The first notices within its check interval, and says why it ended.
    await closed(first);
    expect(first.closeReason).toMatch(/another session took it over|BMC ended/);
    const port = serial;
    const got = readUntil(taken, 'after-takeover');
    port.write('after-takeover\r\n');
    expect(await got).toContain('after-takeover');
    taken.destroy();
    await closed(taken);
    await sleep(50);
  });
});
